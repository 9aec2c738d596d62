"""Independent random streams per concern and chunk.

Each stream is seeded by (seed, concern, chunk...), so changing how one entity is generated, or
how many months a run has, never shifts the random numbers of another.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, concern: str, *chunk: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(concern.encode()), *chunk])


def weighted_choice(
    rng: np.random.Generator, weights: list[float] | np.ndarray, n: int
) -> np.ndarray:
    """n indices drawn with the given (normalised) weights, as int64."""
    p = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(p / p.sum())
    idx = np.searchsorted(cdf, rng.random(n), side="right")
    return np.minimum(idx, p.size - 1).astype(np.int64)
