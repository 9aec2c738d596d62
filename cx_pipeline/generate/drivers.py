"""Planted drivers: what moves NPS and churn, with known effects the driver analysis must recover.

- Slow support: a fixed share of accounts get every ticket's first response delayed by a day or
  more. Their NPS answers have the detractor probability raised and the promoter probability
  lowered by the same amount, the other accounts the reverse in proportion, so slow support costs
  `SLOW_SUPPORT_NPS_GAP` NPS points against fast support while each region's expected NPS stays
  as planted.
- Falling usage: from a drawn month on, an account's product usage drops to
  `USAGE_DECLINE_FACTOR` of what it was (for good); in the month after the drop its churn hazard
  is multiplied by `FALLING_USAGE_MULTIPLIER`.
- Company size (employees) is planted irrelevant: nothing in NPS or churn depends on it.

Draws come from streams of their own, so turning a driver off leaves the other outputs alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cx_pipeline.generate.accounts import Accounts
from cx_pipeline.generate.streams import stream
from cx_pipeline.generate.timeline import HOUR

SLOW_SUPPORT_SHARE = 0.20
SLOW_FIRST_RESPONSE_EXTRA_HOURS = (30.0, 96.0)  # added uniformly to every first response
SLOW_SUPPORT_NPS_GAP = 25.0  # NPS points: slow-support answers against the others
USAGE_DECLINE_MONTHLY_PROBABILITY = 0.04  # per month, from the account's third month on
USAGE_DECLINE_FACTOR = 0.1
FALLING_USAGE_MULTIPLIER = 4.0  # churn hazard in the month after the drop
NEVER_MONTH = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Drivers:
    """Per account: slow support, and the month its usage drops (NEVER_MONTH when it does not)."""

    slow_support: np.ndarray
    decline_month: np.ndarray

    def band_shift(self, account: np.ndarray) -> np.ndarray:
        """Shift of (detractor, passive, promoter) probabilities per answer: slow support moves
        (1 - share) x gap / 2 points from promoter to detractor, fast moves share x gap / 2 back."""
        half_gap = SLOW_SUPPORT_NPS_GAP / 200.0
        delta = np.where(
            self.slow_support[account],
            (1 - SLOW_SUPPORT_SHARE) * half_gap,
            -SLOW_SUPPORT_SHARE * half_gap,
        )
        return np.stack([delta, np.zeros_like(delta), -delta], axis=1)

    def usage_factor(self, account: np.ndarray, month: int) -> np.ndarray:
        return np.where(self.decline_month[account] <= month, USAGE_DECLINE_FACTOR, 1.0)

    def falling_usage(self, month: int) -> np.ndarray:
        """Accounts whose usage dropped in the month before `month`."""
        return self.decline_month == month - 1

    def extra_first_response(self, account: np.ndarray, seed: int, month: int) -> np.ndarray:
        """Microseconds added to each ticket's first response (0 for fast-support accounts)."""
        rng = stream(seed, "slow-support-delay", month)
        lo, hi = SLOW_FIRST_RESPONSE_EXTRA_HOURS
        hours = lo + (hi - lo) * rng.random(account.size)
        return np.where(self.slow_support[account], hours * HOUR, 0).astype(np.int64)


def plant_drivers(accounts: Accounts, n_months: int, seed: int) -> Drivers:
    rng = stream(seed, "drivers")
    n = accounts.n
    slow = rng.permutation(n) < round(n * SLOW_SUPPORT_SHARE)
    # First month m >= start + 2 with a draw under the probability (a full month before the drop).
    draws = rng.random((n, n_months)) < USAGE_DECLINE_MONTHLY_PROBABILITY
    months = np.arange(n_months)
    eligible = months[None, :] >= (accounts.start_month[:, None] + 2)
    hit = draws & eligible
    decline = np.where(hit.any(axis=1), hit.argmax(axis=1), NEVER_MONTH).astype(np.int64)
    return Drivers(slow_support=slow, decline_month=decline)


def truth(drivers: Drivers) -> dict[str, Any]:
    """The planted drivers as plain JSON values."""
    return {
        "nps": {
            "slow_first_response": {
                "effect_nps_points": -SLOW_SUPPORT_NPS_GAP,
                "accounts_share": SLOW_SUPPORT_SHARE,
                "extra_first_response_hours": list(SLOW_FIRST_RESPONSE_EXTRA_HOURS),
                "accounts": int(drivers.slow_support.sum()),
            },
            "irrelevant": ["log_employees"],
        },
        "churn": {
            "usage_falling": {
                "hazard_multiplier": FALLING_USAGE_MULTIPLIER,
                "usage_factor_after_drop": USAGE_DECLINE_FACTOR,
                "monthly_probability": USAGE_DECLINE_MONTHLY_PROBABILITY,
                "window": "hazard multiplied in the calendar month after the usage drop",
                "accounts": int((drivers.decline_month != NEVER_MONTH).sum()),
            },
            "irrelevant": ["log_employees"],
        },
    }
