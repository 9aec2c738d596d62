"""The planted drivers do what drivers.py says: slow support costs the planted NPS gap without
moving any region's expected NPS, and a usage drop is followed by the planted churn hazard."""

from __future__ import annotations

import numpy as np
import pytest

from cx_pipeline.generate.drivers import (
    FALLING_USAGE_MULTIPLIER,
    NEVER_MONTH,
    SLOW_FIRST_RESPONSE_EXTRA_HOURS,
    SLOW_SUPPORT_NPS_GAP,
    SLOW_SUPPORT_SHARE,
    Drivers,
)
from cx_pipeline.generate.timeline import HOUR


def drivers(n: int = 1000) -> Drivers:
    slow = np.arange(n) < round(n * SLOW_SUPPORT_SHARE)
    decline = np.where(np.arange(n) % 10 == 0, 5, NEVER_MONTH)
    return Drivers(slow_support=slow, decline_month=decline)


def test_slow_support_costs_the_gap_and_keeps_the_expected_nps() -> None:
    d = drivers()
    shift = d.band_shift(np.arange(1000))  # (detractor, passive, promoter) per answer
    nps_shift = 100 * (shift[:, 2] - shift[:, 0])
    assert shift[:, 1].tolist() == [0.0] * 1000  # passives untouched: probabilities sum to 1
    slow, fast = nps_shift[d.slow_support], nps_shift[~d.slow_support]
    assert slow.mean() - fast.mean() == pytest.approx(-SLOW_SUPPORT_NPS_GAP)
    # With the planted share of slow accounts, the average answer's NPS does not move.
    assert abs(nps_shift.mean()) < 1e-9


def test_slow_support_delays_every_first_response_of_its_accounts_only() -> None:
    d = drivers()
    delay = d.extra_first_response(np.arange(1000), seed=1, month=3) / HOUR
    low, high = SLOW_FIRST_RESPONSE_EXTRA_HOURS
    assert ((delay[d.slow_support] >= low) & (delay[d.slow_support] < high)).all()
    assert (delay[~d.slow_support] == 0).all()


def test_usage_drop_lowers_usage_for_good_and_flags_the_next_month() -> None:
    d = drivers()
    dropped = np.flatnonzero(d.decline_month == 5)
    assert (d.usage_factor(dropped, 4) == 1.0).all()
    assert (d.usage_factor(dropped, 5) < 1.0).all() and (d.usage_factor(dropped, 9) < 1.0).all()
    assert set(np.flatnonzero(d.falling_usage(6))) == set(dropped)
    assert not d.falling_usage(7).any()
    assert FALLING_USAGE_MULTIPLIER > 1
