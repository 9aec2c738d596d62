"""Identifiers: readable prefixed numbers for keys, short hex tokens for sessions."""

from __future__ import annotations

import numpy as np
import polars as pl

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def prefixed(prefix: str, numbers: np.ndarray, width: int, name: str) -> pl.Series:
    """`prefix` + zero-padded number, e.g. A000042; fixed width keeps keys sortable."""
    digits = pl.Series(numbers.astype(np.int64)).cast(pl.String).str.zfill(width)
    return (prefix + digits).alias(name)


def mix64(x: np.ndarray, seed: int) -> np.ndarray:
    """splitmix64 finaliser: spreads structured keys (contact, session no.) into random bits."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hex_tokens(values: np.ndarray, name: str) -> pl.Series:
    """12 lowercase hex characters from the low 48 bits of each value."""
    raw = np.ascontiguousarray(values.astype("<u8")).view(np.uint8).reshape(-1, 8)[:, 5::-1]
    chars = np.empty((raw.shape[0], 12), dtype=np.uint8)
    chars[:, 0::2] = _HEX[raw >> 4]
    chars[:, 1::2] = _HEX[raw & 15]
    tokens = np.ascontiguousarray(chars).view("S12").ravel()
    return pl.Series(name, tokens).cast(pl.String)
