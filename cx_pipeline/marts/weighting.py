"""Raking (iterative proportional fitting): survey weights that make the answers' mix match the
customer base's on several margins at once (Deming & Stephan 1940).

Each answer starts at weight 1; each margin in turn (region, then revenue tier) multiplies the
weights of every category by target share / weighted share, and the cycle repeats until every
margin matches within `TOLERANCE`. The result is the table closest to the answers' own (in the
Kullback-Leibler sense) with the base's margins: for two margins, the weighted cell counts keep
the answers' odds ratios. Weights are then scaled to a mean of 1.

Extreme weights are capped inside each cycle: the weights are scaled to a mean of 1 and any
above `WEIGHT_CAP` is set to it, so the next cycle re-fits the margins around the capped weight
(trimmed raking). When the cap and the margins cannot both hold, the last cycle's weights are
kept and `converged` is False.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# A weight above 5 x the mean lets one answer speak for five: past that, the variance it adds
# (the design effect) costs more than the bias it removes. A common practical cap (between 3 and
# 8 in survey practice); applied relative to the mean weight.
WEIGHT_CAP = 5.0
TOLERANCE = 1e-9  # largest gap between a weighted share and its target, as a fraction
MAX_CYCLES = 1000


@dataclass(frozen=True)
class Raking:
    """Weights (mean 1 over the answers that could be weighted, 0 for the others) and how
    they were reached."""

    weights: np.ndarray
    converged: bool
    cycles: int
    capped: int  # answers whose weight sits at the cap
    dropped: tuple[str, ...]  # "margin=category": in the base, without any answer: not a target


def rake(
    answers: Sequence[Sequence[str]],
    targets: Sequence[dict[str, float]],
    names: Sequence[str],
    cap: float | None = WEIGHT_CAP,
    tolerance: float = TOLERANCE,
    max_cycles: int = MAX_CYCLES,
) -> Raking:
    """Rake the answers to the targets.

    `answers[k][i]` is answer i's category on margin k (named `names[k]`); `targets[k]` maps
    each category of margin k to its size in the base (counts or shares). An answer in a
    category the base does not have (or has at size 0) gets weight 0; a base category without
    answers is dropped from its margin's targets (the rest keep their relative sizes)."""
    n = len(answers[0]) if answers else 0
    eligible = np.ones(n, dtype=bool)
    for values, target in zip(answers, targets, strict=True):
        eligible &= np.array([target.get(v, 0) > 0 for v in values], dtype=bool)
    margins: list[tuple[np.ndarray, np.ndarray]] = []
    dropped: list[str] = []
    for values, target, name in zip(answers, targets, names, strict=True):
        present = {v for v, ok in zip(values, eligible, strict=True) if ok}
        kept = [c for c in target if c in present and target[c] > 0]
        dropped += [f"{name}={c}" for c in target if c not in kept and target[c] > 0]
        index = {c: j for j, c in enumerate(kept)}
        codes = np.array([index.get(v, -1) for v in values], dtype=np.int64)
        share = np.array([target[c] for c in kept], dtype=float)
        margins.append((codes[eligible], share / share.sum() if share.size else share))
    w = np.ones(int(eligible.sum()))
    converged, cycles = w.size == 0, 0
    while not converged and cycles < max_cycles:
        cycles += 1
        for codes, share in margins:
            weighted = np.bincount(codes, weights=w, minlength=share.size) / w.sum()
            w = w * (share / weighted)[codes]
        w = w / w.mean()
        if cap is not None:
            w = np.minimum(w, cap)
        converged = _largest_gap(w, margins) < tolerance
    capped = int(np.sum(w >= cap * (1 - 1e-12))) if cap is not None and w.size else 0
    if w.size == 0:  # nothing was raked: no target was left out of anything
        dropped = []
    w = w / w.mean() if w.size else w
    weights = np.zeros(n)
    weights[eligible] = w
    return Raking(weights, bool(converged), cycles, capped, tuple(sorted(dropped)))


def _largest_gap(w: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]]) -> float:
    return max(
        float(np.max(np.abs(np.bincount(c, weights=w, minlength=s.size) / w.sum() - s)))
        for c, s in margins
    )


def kish_design_effect(weights: np.ndarray) -> float | None:
    """Kish's design effect of unequal weights: n x sum(w^2) / sum(w)^2 over the answers with a
    weight (1 when all are equal); None without any."""
    w = weights[weights > 0]
    if w.size == 0:
        return None
    return float(w.size * np.sum(w**2) / np.sum(w) ** 2)


def effective_sample_size(weights: np.ndarray) -> float | None:
    """n / design effect = sum(w)^2 / sum(w^2): the simple random sample as precise as these
    weighted answers."""
    w = weights[weights > 0]
    if w.size == 0:
        return None
    return float(np.sum(w) ** 2 / np.sum(w**2))
