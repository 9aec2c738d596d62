"""Churn family: answers worked out by hand on a tiny fixture, planted truths on the sample.

The tiny fixture is `churn_extracts` (as of 2026-03-31, UTC). Its subscriptions, as active days
[start, end), with MRR:
  A1  S1 400 from 2025-10-15; S6 100 2025-12-01 -> 2026-03-31
  A2  S2 4000 2025-10-20 -> 2026-01-10
  A3  S3 9000 2025-11-05 -> 2026-02-01; S4 12500 from 2026-02-01 (end 15 Apr: future)
  A4  S5 1500 2025-12-03 -> 2025-12-20 (starts and ends in one month)
  A6  S7 1000 2025-10-01 -> 2026-03-01
  A7  S8 250 2024-10-10 -> 2026-02-14; S9 50 2025-06-01 -> 2026-02-14
  A8  S10 2000 2025-11-10 -> 2026-01-05; S11 1500 from 2026-01-20
Customers at the start of each month (active on the day before) and lost by its last day:
  Oct-24 none; Nov-24 .. Oct-25 A7 only, never lost
  Nov-25 A1 A2 A6 A7 (4)          lost none
  Dec-25 A1 A2 A3 A6 A7 A8 (6)    lost none (A4 starts and ends inside December: in neither)
  Jan-26 the same 6               lost A2 (A8 is back on 20 Jan: not a loss)
  Feb-26 A1 A3 A6 A7 A8 (5)       lost A7 (A3's same-day plan change is not a loss)
  Mar-26 A1 A3 A6 A8 (4)          lost A6
Customer spells (a day with nothing active ends one): one per account, A8 two ([10 Nov, 5 Jan)
and [20 Jan, running)); A3's same-day plan change and A1's overlapping add-on are one spell.

The returning fixture (`write_returning_extracts`, as of 2026-03-31) has accounts that leave and
come back across month ends; its hand computation is beside its tests below.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from cx_pipeline import catalog
from cx_pipeline.generate import TRUTH_FILE
from cx_pipeline.resources import install_rules
from cx_pipeline_tests.conftest import SAMPLE_ROOT, materialize_all, reader, up_to
from cx_pipeline_tests.marts.churn_extracts import (
    write_churn_extracts,
    write_returning_extracts,
)

Query = Callable[..., list[tuple]]

CHURN_MARTS = (
    "customer_spells",
    "churn_by_month",
    "churn_by_segment",
    "revenue_retention_by_month",
    "cohort_retention",
    "survival_by_segment",
    "praise_but_cancel",
)
SEGMENT_TYPES = ("region", "industry", "revenue_tier", "tenure_band")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Query:
    """The churn marts (and only what they need) built once from the churn fixture."""
    root = tmp_path_factory.mktemp("churn")
    warehouse = root / "cx.duckdb"
    selection = dg.AssetSelection.assets(
        *(catalog.key("marts", name) for name in CHURN_MARTS)
    ).upstream()
    materialize_all(write_churn_extracts(root / "extracts"), warehouse, selection=selection)
    return reader(warehouse)


def months_between(first: str, last: str) -> list[str]:
    """'YYYY-MM' keys from first to last inclusive."""
    y, m = map(int, first.split("-"))
    keys = []
    while f"{y:04d}-{m:02d}" <= last:
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return keys


def life_table(lifetimes: list[tuple[int, bool]]) -> list[tuple[Any, ...]]:
    """Actuarial (Cutler-Ederer) estimate from (whole months of tenure, lost?) pairs, written the
    textbook way (a running product), independently of the SQL's exp(sum(ln(...))): a spell
    censored in month t is at risk for half of it. With Greenwood's variance on the log-log
    scale, as lifelines computes its bounds (None where ln survival is 0 or -infinity)."""
    rows, survival, greenwood = [], 1.0, 0.0
    for t in range(max(tenure for tenure, _ in lifetimes) + 1):
        at_risk = sum(1 for tenure, _ in lifetimes if tenure >= t)
        lost = sum(1 for tenure, is_lost in lifetimes if tenure == t and is_lost)
        censored = sum(1 for tenure, is_lost in lifetimes if tenure == t and not is_lost)
        effective = at_risk - censored / 2
        survival *= 1 - lost / effective
        if lost < effective:
            greenwood += lost / (effective * (effective - lost))
        low = high = None
        if 0 < survival < 1:
            spread = 1.959964 * math.sqrt(greenwood) / math.log(survival)
            low = 100 * math.exp(-math.exp(math.log(-math.log(survival)) - spread))
            high = 100 * math.exp(-math.exp(math.log(-math.log(survival)) + spread))
        rows.append((t, at_risk, lost, censored, effective, 100 * survival, low, high))
    return rows


def approx_or_none(value: float | None) -> object:
    return None if value is None else pytest.approx(value, abs=1e-9)


def test_fixture_is_loaded_whole(tiny: Query) -> None:
    counts = tiny(
        "SELECT (SELECT count(*) FROM staging.accounts), (SELECT count(*) FROM "
        "staging.subscriptions), (SELECT count(*) FROM staging.nps_responses)"
    )
    assert counts == [(8, 11, 16)]


def test_churn_by_month_of_the_fixture(tiny: Query) -> None:
    """The base every segment must add up to (see the module docstring)."""
    rows = tiny(
        "SELECT strftime(month, '%Y-%m'), customers_at_start, customers_lost "
        "FROM marts.churn_by_month ORDER BY month"
    )
    expected = {m: (1, 0) for m in months_between("2024-11", "2025-10")}
    expected |= {
        "2024-10": (0, 0),
        "2025-11": (4, 0),
        "2025-12": (6, 0),
        "2026-01": (6, 1),
        "2026-02": (5, 1),
        "2026-03": (4, 1),
    }
    assert rows == sorted((m, *v) for m, v in expected.items())


def test_churn_by_segment_adds_up_to_churn_by_month(tiny: Query) -> None:
    assert_segments_add_up(tiny)


def assert_segments_add_up(query: Query) -> None:
    mismatches = query(
        """
        SELECT c.month, t.segment_type
        FROM marts.churn_by_month AS c
        CROSS JOIN (SELECT unnest(?) AS segment_type) AS t
        LEFT JOIN (
            SELECT month, segment_type, sum(customers_at_start) AS n, sum(customers_lost) AS lost
            FROM marts.churn_by_segment GROUP BY ALL
        ) AS s USING (month, segment_type)
        WHERE coalesce(s.n, -1) <> c.customers_at_start OR s.lost <> c.customers_lost
        """,
        [list(SEGMENT_TYPES)],
    )
    assert mismatches == []


def test_churn_by_segment_hand_computed(tiny: Query) -> None:
    rows = {
        (m, t, s): (n, lost, pct)
        for m, t, s, n, lost, pct in tiny(
            "SELECT strftime(month, '%Y-%m'), segment_type, segment, customers_at_start, "
            "customers_lost, churn_rate_pct FROM marts.churn_by_segment"
        )
    }
    # Segments that ever had a customer at a month's start; every one has a row every month.
    # LATAM and Education (A4) never did: A4 started and ended inside December.
    segments = {(t, s) for _, t, s in rows}
    assert segments == {
        ("region", "APAC"),
        ("region", "EMEA"),
        ("region", "North America"),
        *(("industry", i) for i in ("Healthcare", "Manufacturing", "Media", "Retail", "Software")),
        *(("revenue_tier", t) for t in ("SMB", "mid-market", "enterprise")),
        *(("tenure_band", b) for b in ("0-5 months", "6-11 months", "1-2 years")),
    }
    assert len(rows) == 18 * len(segments)
    # Region: EMEA = A2 A6 A7, North America = A1 A8, APAC = A3.
    # Tier from 12 x MRR on the day before the month: SMB = A1 (4800-6000) and A7 (3000-3600);
    # mid-market = A2 (48000), A6 (12000, although the CRM now says ARR 0) and A8 (24000, 18000
    # after its gap); enterprise = A3 (108000, then 150000).
    expected = {
        ("2026-01", "region", "EMEA"): (3, 1, 100 / 3),
        ("2026-01", "region", "North America"): (2, 0, 0.0),
        ("2026-01", "region", "APAC"): (1, 0, 0.0),
        ("2026-02", "region", "EMEA"): (2, 1, 50.0),
        ("2026-03", "region", "EMEA"): (1, 1, 100.0),
        ("2026-03", "region", "North America"): (2, 0, 0.0),
        ("2026-01", "revenue_tier", "SMB"): (2, 0, 0.0),
        ("2026-01", "revenue_tier", "mid-market"): (3, 1, 100 / 3),
        ("2026-01", "revenue_tier", "enterprise"): (1, 0, 0.0),
        ("2026-02", "revenue_tier", "SMB"): (2, 1, 50.0),
        ("2026-02", "revenue_tier", "mid-market"): (2, 0, 0.0),
        ("2026-03", "revenue_tier", "SMB"): (1, 0, 0.0),
        ("2026-03", "revenue_tier", "mid-market"): (2, 1, 50.0),
        ("2026-02", "industry", "Manufacturing"): (1, 1, 100.0),
        ("2024-10", "region", "EMEA"): (0, 0, None),
    }
    for cell, (n, lost, pct) in expected.items():
        assert rows[cell] == (n, lost, pytest.approx(pct) if pct is not None else None), cell
    # Tenure band at the month's start, whole months since the first start: A7 (since 10 Oct
    # 2024) has 5 months on 1 Apr 2025, 6 on 1 May, 11 on 1 Oct, 12 on 1 Nov 2025; everyone else
    # started in Oct-Nov 2025, so is 0-5 months through March 2026.
    bands = ("0-5 months", "6-11 months", "1-2 years")
    by_month = {
        m: tuple(rows[(m, "tenure_band", b)][:2] for b in bands)
        for m in months_between("2024-10", "2026-03")
    }
    expected_bands = {"2024-10": ((0, 0), (0, 0), (0, 0))}
    expected_bands |= {m: ((1, 0), (0, 0), (0, 0)) for m in months_between("2024-11", "2025-04")}
    expected_bands |= {m: ((0, 0), (1, 0), (0, 0)) for m in months_between("2025-05", "2025-10")}
    expected_bands |= {
        "2025-11": ((3, 0), (0, 0), (1, 0)),
        "2025-12": ((5, 0), (0, 0), (1, 0)),
        "2026-01": ((5, 1), (0, 0), (1, 0)),
        "2026-02": ((4, 0), (0, 0), (1, 1)),
        "2026-03": ((4, 1), (0, 0), (0, 0)),
    }
    assert by_month == expected_bands


def test_revenue_retention_hand_computed(tiny: Query) -> None:
    rows = {
        m: (n, float(start), float(churned), float(contraction), float(expansion), grc, grr, nrr)
        for m, n, start, churned, contraction, expansion, grc, grr, nrr in tiny(
            "SELECT strftime(month, '%Y-%m'), customers_at_start, mrr_at_start, churned_mrr, "
            "contraction_mrr, expansion_mrr, gross_revenue_churn_pct, grr_pct, nrr_pct "
            "FROM marts.revenue_retention_by_month"
        )
    }
    flat = (0.0, 100.0, 100.0)
    expected: dict[str, tuple[Any, ...]] = {
        # Nothing active on 30 Sep 2024: no start MRR, no percentages.
        "2024-10": (0, 0.0, 0.0, 0.0, 0.0, None, None, None),
        # Jun-25: A7's add-on (50) starts on 1 Jun: 250 -> 300, NRR 120.
        "2025-06": (1, 250.0, 0.0, 0.0, 50.0, 0.0, 100.0, 120.0),
        # Nov-25: A1 400 + A2 4000 + A6 1000 + A7 300; nothing changes.
        "2025-11": (4, 5700.0, 0.0, 0.0, 0.0, *flat),
        # Dec-25: + A3 9000 + A8 2000; A1's add-on (100) starts 1 Dec. A4 is new: left out.
        "2025-12": (6, 16700.0, 0.0, 0.0, 100.0, 0.0, 100.0, 100 * 16800 / 16700),
        # Jan-26: A2 lost (4000); A8 back at 1500 instead of 2000 (contraction 500).
        "2026-01": (6, 16800.0, 4000.0, 500.0, 0.0, 100 * 4500 / 16800, *[100 * 12300 / 16800] * 2),
        # Feb-26: A7 lost (250 + 50); A3 moves from 9000 to 12500 on 1 Feb (expansion 3500).
        "2026-02": (
            5,
            12300.0,
            300.0,
            0.0,
            3500.0,
            100 * 300 / 12300,
            100 * 12000 / 12300,
            100 * 15500 / 12300,
        ),
        # Mar-26: A6 lost (1000); A1's add-on ends on 31 Mar, the last day (contraction 100).
        "2026-03": (4, 15500.0, 1000.0, 100.0, 0.0, 100 * 1100 / 15500, *[100 * 14400 / 15500] * 2),
    }
    expected |= {m: (1, 250.0, 0.0, 0.0, 0.0, *flat) for m in months_between("2024-11", "2025-05")}
    expected |= {m: (1, 300.0, 0.0, 0.0, 0.0, *flat) for m in months_between("2025-07", "2025-10")}
    assert rows.keys() == expected.keys()
    for month, row in expected.items():
        assert rows[month] == tuple(pytest.approx(v) if v is not None else None for v in row), month


def test_cohort_retention_hand_computed(tiny: Query) -> None:
    rows = tiny(
        "SELECT strftime(cohort_month, '%Y-%m'), months_since_start, cohort_customers, "
        "customers_active, retention_pct FROM marts.cohort_retention "
        "ORDER BY cohort_month, months_since_start"
    )
    # k = 0 is the start: the whole cohort. k >= 1 counts the accounts active on the last day of
    # month cohort + k - 1 (customers at the start of month cohort + k), up to 31 Mar 2026.
    # 2024-10: A7, active at every month end from Oct-24 to Jan-26 (k = 1..16), gone by Feb-26.
    # 2025-10: A1 A2 A6; A2 gone by end Jan (k = 4), A6 by end Mar (k = 6).
    # 2025-11: A3 A8; A8's January gap closes before the month's end, so always 2.
    # 2025-12: A4, already gone by the end of its first month (k = 1).
    active = {
        "2024-10": [1, *[1] * 16, 0, 0],
        "2025-10": [3, 3, 3, 3, 2, 2, 1],
        "2025-11": [2, 2, 2, 2, 2, 2],
        "2025-12": [1, 0, 0, 0, 0],
    }
    size = {"2024-10": 1, "2025-10": 3, "2025-11": 2, "2025-12": 1}
    expected = [
        (cohort, k, size[cohort], n, pytest.approx(100 * n / size[cohort]))
        for cohort, counts in active.items()
        for k, n in enumerate(counts)
    ]
    assert rows == expected
    # Month 0 is 100% by definition, also for A4's cohort (the old end-of-month rule said 0%).
    assert {r[4] for r in rows if r[1] == 0} == {100.0}


def test_customer_spells_hand_computed(tiny: Query) -> None:
    # (spell, start, end or None, lost, last active day, whole months to end or 31 Mar, MRR then)
    rows = tiny(
        "SELECT account_id, spell_number, spell_start, spell_end, lost, last_active_day, "
        "tenure_months, mrr_at_end FROM marts.customer_spells ORDER BY account_id, spell_number"
    )
    d = date
    assert [(*r[:7], float(r[7])) for r in rows] == [
        # S1 from 15 Oct with S6 inside it: one spell; S6 ends 31 Mar, so 400 on 31 Mar.
        ("A1", 1, d(2025, 10, 15), None, False, d(2026, 3, 31), 5, 400.0),
        ("A2", 1, d(2025, 10, 20), d(2026, 1, 10), True, d(2026, 1, 9), 2, 4000.0),
        # S3 ends on 1 Feb and S4 starts that day: one spell; S4's end (15 Apr) is after as-of.
        ("A3", 1, d(2025, 11, 5), None, False, d(2026, 3, 31), 4, 12500.0),
        ("A4", 1, d(2025, 12, 3), d(2025, 12, 20), True, d(2025, 12, 19), 0, 1500.0),
        ("A6", 1, d(2025, 10, 1), d(2026, 3, 1), True, d(2026, 2, 28), 5, 1000.0),
        ("A7", 1, d(2024, 10, 10), d(2026, 2, 14), True, d(2026, 2, 13), 16, 300.0),
        # Nothing active from 5 to 19 January: two spells (one monthly count, no loss, though).
        ("A8", 1, d(2025, 11, 10), d(2026, 1, 5), True, d(2026, 1, 4), 1, 2000.0),
        ("A8", 2, d(2026, 1, 20), None, False, d(2026, 3, 31), 2, 1500.0),
    ]


# The churn rule restated on spells: an account is lost in month m when the spell running on the
# day before m ends inside m and no spell of the account runs on m's last day.
LOSSES_FROM_SPELLS_SQL = """
SELECT s.account_id, CAST(date_trunc('month', s.spell_end) AS DATE) AS month
FROM marts.customer_spells AS s
WHERE s.lost
  AND s.spell_start < date_trunc('month', s.spell_end)
  AND NOT EXISTS (
      SELECT 1 FROM marts.customer_spells AS r
      WHERE r.account_id = s.account_id
        AND r.spell_start <= last_day(s.spell_end)
        AND (r.spell_end IS NULL OR r.spell_end > last_day(s.spell_end))
  )
  AND s.spell_end <= (SELECT max(last_day(month)) FROM marts.customer_months)
ORDER BY ALL
"""
CHURN_LOSSES_SQL = """
SELECT account_id, month FROM marts.customer_months
WHERE active_at_start AND NOT active_at_end
ORDER BY ALL
"""


def assert_losses_are_spell_ends(query: Query) -> None:
    """Every loss in churn_by_month is the end of one spell, and vice versa by the rule above."""
    losses = query(CHURN_LOSSES_SQL)
    assert query(LOSSES_FROM_SPELLS_SQL) == losses
    by_month = dict(query("SELECT month, customers_lost FROM marts.churn_by_month"))
    assert sum(by_month.values()) == len(losses)


def test_every_churn_loss_is_one_spell_end(tiny: Query) -> None:
    assert_losses_are_spell_ends(tiny)
    # And the spell ends that are no monthly loss: A4 (inside December), A8's first (back on 20
    # January, before the month's end).
    assert tiny(
        "SELECT account_id, spell_number FROM marts.customer_spells WHERE lost ORDER BY ALL"
    ) == [("A2", 1), ("A4", 1), ("A6", 1), ("A7", 1), ("A8", 1)]


def survival_rows(
    spells: dict[tuple[str, int], tuple[int, bool, str, str]],
) -> list[tuple[Any, ...]]:
    """The expected survival table of (account, spell number) -> (whole months, lost?, region,
    tier), on both bases, in the mart's order."""
    groups: dict[tuple[str, str, str], list[tuple[int, bool]]] = {}
    for (_, number), (tenure, lost, region, tier) in spells.items():
        for basis in ("every_spell", "first_spell") if number == 1 else ("every_spell",):
            for cell in (("all", "all"), ("region", region), ("revenue_tier", tier)):
                groups.setdefault((basis, *cell), []).append((tenure, lost))
    return [
        (
            *(b, t, s, month, at_risk, lost, censored, effective),
            pytest.approx(pct, abs=1e-9),
            approx_or_none(low),
            approx_or_none(high),
        )
        for (b, t, s), lifetimes_of_cell in sorted(groups.items())
        for month, at_risk, lost, censored, effective, pct, low, high in life_table(
            lifetimes_of_cell
        )
    ]


SURVIVAL_SQL = (
    "SELECT spell_basis, segment_type, segment, month, at_risk, lost, censored, "
    "effective_at_risk, survival_pct, survival_low_95, survival_high_95 "
    "FROM marts.survival_by_segment ORDER BY spell_basis, segment_type, segment, month"
)


def test_survival_by_segment_hand_computed(tiny: Query) -> None:
    # Whole months of each spell, from its start to its end (lost) or to 2026-03-31 (censored):
    #   A1 15 Oct -> 31 Mar: 5, live    A2 20 Oct -> 10 Jan: 2, lost   A3 5 Nov -> 31 Mar: 4, live
    #   A4 3 Dec -> 20 Dec: 0, lost     A6 1 Oct -> 1 Mar: 5, lost     A7 10 Oct 2024 -> 14 Feb
    #   2026: 16, lost                  A8 10 Nov -> 5 Jan: 1, lost, then 20 Jan -> 31 Mar: 2, live
    # (the old rule ran A8 from 10 Nov to 31 Mar: 4, live, as if it had never left).
    # Tier from 12 x MRR on the spell's first day: A1 4800 SMB, A2 48000, A4 18000, A6 12000, A8
    # 24000 then 18000 mid-market, A3 108000 enterprise, A7 3000 SMB.
    spells = {
        ("A1", 1): (5, False, "North America", "SMB"),
        ("A2", 1): (2, True, "EMEA", "mid-market"),
        ("A3", 1): (4, False, "APAC", "enterprise"),
        ("A4", 1): (0, True, "LATAM", "mid-market"),
        ("A6", 1): (5, True, "EMEA", "mid-market"),
        ("A7", 1): (16, True, "EMEA", "SMB"),
        ("A8", 1): (1, True, "North America", "mid-market"),
        ("A8", 2): (2, False, "North America", "mid-market"),
    }
    rows = tiny(SURVIVAL_SQL)
    assert rows == survival_rows(spells)
    # By hand, every spell (8), a spell censored in month t at risk for half of it: t0 7/8; t1
    # x 6/7 = 6/8; t2 (6 at risk, A2 lost, A8's second censored: 5.5) x (1 - 1/5.5) = 9/11 ->
    # 75 x 9/11 = 61.36 (the whole-month product-limit said 5/8 = 62.5); t5 (A1 A6 A7 at
    # risk, A6 lost, A1 censored: 2.5) x 3/5 = 405/11 = 36.82 (was 41.67); t16 A7, the last at
    # risk, is lost: 0 (lost = at_risk, where ln would be -infinity).
    every = {r[3]: r[8] for r in rows if r[:2] == ("every_spell", "all")}
    assert (every[0], every[1], every[2]) == (87.5, pytest.approx(75.0), pytest.approx(675 / 11))
    assert (every[15], every[16]) == (pytest.approx(405 / 11), 0.0)
    # Greenwood on the log-log scale at t5, by hand: variance sum 1/(8 x 7) + 1/(7 x 6) +
    # 1/(5.5 x 4.5) + 1/(2.5 x 1.5); S = 81/220; bounds S^exp(-/+ 1.96 sqrt(sum) / ln S).
    s5, v5 = 81 / 220, 1 / 56 + 1 / 42 + 1 / 24.75 + 1 / 3.75
    t5 = next(r for r in rows if r[:4] == ("every_spell", "all", "all", 5))
    assert t5[9:] == (
        pytest.approx(100 * s5 ** math.exp(-1.959964 * math.sqrt(v5) / math.log(s5))),
        pytest.approx(100 * s5 ** math.exp(1.959964 * math.sqrt(v5) / math.log(s5))),
    )
    assert t5[9] == pytest.approx(4.150, abs=1e-3) and t5[10] == pytest.approx(73.07, abs=1e-2)
    # No loss yet, or none left: no log-log interval.
    assert {r[9:] for r in rows if r[8] in (100.0, 0.0)} == {(None, None)}
    # First spells (7): t0 6/7; t1 x 5/6 = 5/7; t2 x 4/5 = 4/7; t5 (A1 censored) x 3/5 = 12/35.
    first = {r[3]: r[8] for r in rows if r[:2] == ("first_spell", "all")}
    assert (first[2], first[15]) == (pytest.approx(400 / 7), pytest.approx(1200 / 35))
    # EMEA (A2 lost at 2, A6 at 5, A7 at 16): 2/3, then 1/3, then 0, on both bases.
    emea = {(r[0], r[3]): r[8] for r in rows if r[2] == "EMEA"}
    for basis in ("every_spell", "first_spell"):
        assert (emea[basis, 2], emea[basis, 5], emea[basis, 16]) == (
            pytest.approx(200 / 3),
            pytest.approx(100 / 3),
            0.0,
        )


def test_praise_but_cancel_hand_computed(tiny: Query) -> None:
    rows = tiny("SELECT * FROM marts.praise_but_cancel")
    # Lost: A2 (10 Jan), A4 (20 Dec), A6 (1 Mar), A7 (14 Feb).
    #   A2: last answer before 10 Jan 12:00 is R07, 8 (passive).            -> listed
    #   A4: its only answer (R10, 31 Jan) came after it was lost.            -> not listed
    #   A6: R13 (7, 5 Mar) came after S7 ended on 1 Mar; before: R09, 6.    -> not listed
    #   A7: R15 (9, contact only) on 10 Feb; R16 (3) came after it left.      -> listed
    #       S8 and S9 end at the same instant; S8 (250) beats S9 (50): its reason.
    # mrr_lost on the day before lost_on: A7 250 + 50; A2 4000.
    assert [r[:9] for r in rows] == [
        (
            "A7",
            "Eta Oy",
            "EMEA",
            "SMB",
            date(2026, 2, 14),
            9,
            "promoter",
            date(2026, 2, 10),
            "switched to competitor",
        ),
        (
            "A2",
            "Beta GmbH",
            "EMEA",
            "mid-market",
            date(2026, 1, 10),
            8,
            "passive",
            date(2026, 1, 6),
            "price",
        ),
    ]
    assert [float(r[9]) for r in rows] == [300.0, 4000.0]


# --- accounts that leave and come back ------------------------------------------------------
# The returning fixture (churn_extracts.RETURNING_SUBSCRIPTIONS, as of 2026-03-31), as spells
# [start, end) with whole months of tenure (to the end, or to 31 Mar 2026 while running):
#   A1 #1 10 Jan 25 -> 5 Apr 25: 2    #2 15 Jun 25 -> 20 Sep 25: 3    #3 3 Nov 25 -> running: 4
#   A2 #1 1 Feb 25 -> 1 Jul 25: 5     #2 15 Aug 25 -> 10 Jan 26: 4
#   A3 #1 20 Mar 25 -> running: 12 (S6 ends 1 Sep and S7 starts that day: one spell)
#   A6 #1 5 Jan 25 -> 20 May 25: 4    #2 1 Oct 25 -> 1 Mar 26: 5
# Customers at each month's start and lost by its end (every gap crosses a month's end):
#   Jan-25 0; Feb-25 A1 A6 (2); Mar-25 + A2 (3); Apr-25 + A3 (4), lost A1; May-25 A2 A3 A6 (3),
#   lost A6; Jun-25 A2 A3 (2); Jul-25 + A1 (3), lost A2; Aug-25 A1 A3 (2); Sep-25 + A2 (3), lost
#   A1; Oct-25 A2 A3 (2); Nov-25 + A6 (3); Dec-25 + A1 (4); Jan-26 4, lost A2; Feb-26 A1 A3 A6
#   (3); Mar-26 3, lost A6. Six losses: one per spell end.
RETURNING_CHURN = {
    "2025-01": (0, 0),
    "2025-02": (2, 0),
    "2025-03": (3, 0),
    "2025-04": (4, 1),
    "2025-05": (3, 1),
    "2025-06": (2, 0),
    "2025-07": (3, 1),
    "2025-08": (2, 0),
    "2025-09": (3, 1),
    "2025-10": (2, 0),
    "2025-11": (3, 0),
    "2025-12": (4, 0),
    "2026-01": (4, 1),
    "2026-02": (3, 0),
    "2026-03": (3, 1),
}


@pytest.fixture(scope="module")
def returning(tmp_path_factory: pytest.TempPathFactory) -> Query:
    """The churn marts and account_segments built once from the returning fixture."""
    root = tmp_path_factory.mktemp("returning")
    warehouse = root / "cx.duckdb"
    selection = dg.AssetSelection.assets(
        *(catalog.key("marts", name) for name in (*CHURN_MARTS, "account_segments"))
    ).upstream()
    materialize_all(write_returning_extracts(root / "extracts"), warehouse, selection=selection)
    return reader(warehouse)


def test_returning_customer_spells(returning: Query) -> None:
    rows = returning(
        "SELECT account_id, spell_number, spell_start, spell_end, lost, last_active_day, "
        "tenure_months, mrr_at_end FROM marts.customer_spells ORDER BY account_id, spell_number"
    )
    d = date
    assert [(*r[:7], float(r[7])) for r in rows] == [
        ("A1", 1, d(2025, 1, 10), d(2025, 4, 5), True, d(2025, 4, 4), 2, 400.0),
        ("A1", 2, d(2025, 6, 15), d(2025, 9, 20), True, d(2025, 9, 19), 3, 400.0),
        ("A1", 3, d(2025, 11, 3), None, False, d(2026, 3, 31), 4, 600.0),
        # The add-on S11 starts the same day and ends first: the spell ends with S4.
        ("A2", 1, d(2025, 2, 1), d(2025, 7, 1), True, d(2025, 6, 30), 5, 4000.0),
        ("A2", 2, d(2025, 8, 15), d(2026, 1, 10), True, d(2026, 1, 9), 4, 4000.0),
        ("A3", 1, d(2025, 3, 20), None, False, d(2026, 3, 31), 12, 12500.0),
        ("A6", 1, d(2025, 1, 5), d(2025, 5, 20), True, d(2025, 5, 19), 4, 1000.0),
        # S9 and S10 start and end on the same days: one spell, 1000 + 200.
        ("A6", 2, d(2025, 10, 1), d(2026, 3, 1), True, d(2026, 2, 28), 5, 1200.0),
    ]


def test_returning_churn_by_month(returning: Query) -> None:
    rows = returning(
        "SELECT strftime(month, '%Y-%m'), customers_at_start, customers_lost "
        "FROM marts.churn_by_month ORDER BY month"
    )
    assert rows == [(m, *v) for m, v in RETURNING_CHURN.items()]
    assert_losses_are_spell_ends(returning)


def test_returning_survival_losses_equal_churn_losses(returning: Query) -> None:
    """On the every-spell basis every spell end is a loss, as in churn_by_month: 6 here. Survival
    from first start to last end counted 2 (A2 and A6, lost on the as-of date)."""
    churn_losses = sum(lost for _, lost in RETURNING_CHURN.values())
    assert churn_losses == 6
    lost = dict(
        returning(
            "SELECT spell_basis, sum(lost) FROM marts.survival_by_segment "
            "WHERE segment_type = 'all' GROUP BY 1"
        )
    )
    assert lost == {"every_spell": churn_losses, "first_spell": 3}
    # Region: A1 North America, A2 A6 EMEA, A3 APAC. Tier from 12 x MRR on the spell's last
    # active day: A1 4800 then 7200 SMB, A2 48000, A6 12000 then 14400 mid-market, A3 150000
    # enterprise.
    spells = {
        ("A1", 1): (2, True, "North America", "SMB"),
        ("A1", 2): (3, True, "North America", "SMB"),
        ("A1", 3): (4, False, "North America", "SMB"),
        ("A2", 1): (5, True, "EMEA", "mid-market"),
        ("A2", 2): (4, True, "EMEA", "mid-market"),
        ("A3", 1): (12, False, "APAC", "enterprise"),
        ("A6", 1): (4, True, "EMEA", "mid-market"),
        ("A6", 2): (5, True, "EMEA", "mid-market"),
    }
    rows = returning(SURVIVAL_SQL)
    assert rows == survival_rows(spells)
    # By hand, every spell (8): t2 7/8; t3 x 6/7 = 6/8; t4 (A2#2 A6#1 lost, A1#3 censored, of
    # 6: 5.5) x (1 - 2/5.5) = 7/11 -> 21/44; t5 (A2#1 A6#2 lost of 3) x 1/3 = 7/44, which holds
    # to A3's censoring at t12.
    every = {r[3]: r[8] for r in rows if r[:2] == ("every_spell", "all")}
    assert [every[t] for t in (2, 3, 4, 5, 12)] == [
        pytest.approx(v) for v in (87.5, 75.0, 2100 / 44, 700 / 44, 700 / 44)
    ]
    # First spells (A1 2 lost, A6 4 lost, A2 5 lost, A3 12 censored): 3/4, 1/2, 1/4.
    first = {r[3]: r[8] for r in rows if r[:2] == ("first_spell", "all")}
    assert [first[t] for t in (2, 4, 5, 12)] == [pytest.approx(v) for v in (75, 50, 25, 25)]


def test_survival_tier_is_the_spells_first(tmp_path: Path) -> None:
    """With enterprise from 120k ARR, A3 starts its spell at 12 x 9000 = 108000 (mid-market) and
    ends it at 12 x 12500 = 150000 (enterprise, S4 from 1 Feb): its tier is the one it started
    in, so there is no enterprise cell; mid-market holds A2 A3 A4 A6 and A8's two spells."""
    warehouse = tmp_path / "cx.duckdb"
    materialize_all(
        write_churn_extracts(tmp_path / "extracts"),
        warehouse,
        selection=up_to("marts.survival_by_segment"),
        enterprise_from=120_000.0,
    )
    rows = reader(warehouse)(
        "SELECT segment, at_risk FROM marts.survival_by_segment WHERE month = 0 "
        "AND segment_type = 'revenue_tier' AND spell_basis = 'every_spell' ORDER BY segment"
    )
    assert rows == [("SMB", 2), ("mid-market", 6)]


def test_returning_cohort_retention(returning: Query) -> None:
    """A returning account stays in its first cohort and counts as retained at the start of
    every month it is active on the day before (whichever spell)."""
    rows = returning(
        "SELECT strftime(cohort_month, '%Y-%m'), months_since_start, cohort_customers, "
        "customers_active FROM marts.cohort_retention ORDER BY cohort_month, months_since_start"
    )
    # k >= 1: active on the last day of month cohort + k - 1.
    # 2025-01 (A1 A6): ends Jan-Mar both; Apr A6 (A1 left 5 Apr); May none; Jun-Aug A1; Sep none
    #   (A1 left 20 Sep, A6 not back); Oct A6; Nov-Feb both; Mar A1 (A6 left 1 Mar).
    # 2025-02 (A2): ends Feb-Jun; not Jul (left 1 Jul); Aug-Dec (back 15 Aug); not Jan-Mar.
    # 2025-03 (A3): every month end from Mar-25 to Mar-26.
    active = {
        "2025-01": [2, 2, 2, 2, 1, 0, 1, 1, 1, 0, 1, 2, 2, 2, 2, 1],
        "2025-02": [1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0],
        "2025-03": [1] * 14,
    }
    size = {"2025-01": 2, "2025-02": 1, "2025-03": 1}
    assert rows == [
        (cohort, k, size[cohort], n)
        for cohort, counts in active.items()
        for k, n in enumerate(counts)
    ]


def test_returning_tenure_counts_the_current_spell(returning: Query) -> None:
    """account_segments: tenure from the start of the latest spell, to the as-of date while a
    customer and to the loss for a lost account (the old rule: first start to the as-of date)."""
    rows = returning(
        "SELECT account_id, customer_since, spell_start, tenure_months, tenure_band, is_active "
        "FROM marts.account_segments ORDER BY account_id"
    )
    d = date
    assert rows == [
        # Back on 3 Nov 2025: 4 months to 31 Mar (14 from its first start: '1-2 years').
        ("A1", d(2025, 1, 10), d(2025, 11, 3), 4, "0-5 months", True),
        # Lost on 10 Jan 2026 after a spell from 15 Aug 2025: 4 months (13 by the old rule).
        ("A2", d(2025, 2, 1), d(2025, 8, 15), 4, "0-5 months", False),
        ("A3", d(2025, 3, 20), d(2025, 3, 20), 12, "1-2 years", True),
        ("A4", None, None, None, "unknown", False),
        ("A5", None, None, None, "unknown", False),
        # Lost on 1 Mar 2026 after a spell from 1 Oct 2025: 5 months (14 by the old rule).
        ("A6", d(2025, 1, 5), d(2025, 10, 1), 5, "0-5 months", False),
    ]


def test_returning_churn_tenure_bands_follow_the_spell(returning: Query) -> None:
    """churn_by_segment's tenure band at a month's start counts from the running spell's start.
    Dec-25: A1 since 3 Nov (0 months), A2 since 15 Aug (3), A6 since 1 Oct (2): 0-5 months; A3
    since 20 Mar (8): 6-11 months. From first starts all four were 6-11 months."""
    rows = dict(
        returning(
            "SELECT segment, customers_at_start FROM marts.churn_by_segment "
            "WHERE month = DATE '2025-12-01' AND segment_type = 'tenure_band'"
        )
    )
    assert rows == {"0-5 months": 3, "6-11 months": 1}
    assert_segments_add_up(returning)


# --- planted truths on the committed sample ---------------------------------------------------

DETRACTOR_RATE_MIN_Z = 2.58  # two-proportion z: churn after a detractor answer is clearly higher


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    return json.loads((SAMPLE_ROOT / TRUTH_FILE).read_text())


def test_sample_segments_add_up_to_churn_by_month(sample_query: Query) -> None:
    assert_segments_add_up(sample_query)


# The generator's hazard multiplier: at risk in month m (customers on the day before m), with any
# answer scored 0-6 submitted in calendar month m - 1. Answers belong to their account (or their
# contact's). The months are those of churn_by_month, which match the generator's exposures.
DETRACTOR_FLAG_SQL = """
WITH subscriptions AS (
    SELECT
        account_id,
        local_day(started_at, 'UTC') AS start_day,
        CASE WHEN local_day(ended_at, 'UTC') <= ? THEN local_day(ended_at, 'UTC') END AS end_day
    FROM staging.subscriptions
),
months AS (
    SELECT
        month,
        CAST(month - INTERVAL 1 DAY AS DATE) AS day_before,
        CAST(month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS last_day
    FROM marts.churn_by_month
),
at_risk AS (
    SELECT
        m.month,
        s.account_id,
        bool_or(active_on(s.start_day, s.end_day, m.last_day)) AS kept
    FROM months AS m
    JOIN subscriptions AS s ON s.start_day <= m.last_day
    GROUP BY ALL
    HAVING bool_or(active_on(s.start_day, s.end_day, m.day_before))
),
detractor_months AS (
    SELECT DISTINCT
        coalesce(r.account_id, c.account_id) AS account_id,
        local_month(r.submitted_at, 'UTC') AS answer_month
    FROM staging.resolved_nps_responses AS r
    LEFT JOIN staging.contacts AS c USING (contact_id)
    WHERE nps_category(r.score) = 'detractor'
)
SELECT
    d.account_id IS NOT NULL AS detractor_previous_month,
    count(*) AS exposures,
    count(*) FILTER (WHERE NOT a.kept) AS lost
FROM at_risk AS a
LEFT JOIN detractor_months AS d
    ON d.account_id = a.account_id AND d.answer_month = CAST(a.month - INTERVAL 1 MONTH AS DATE)
GROUP BY 1
"""


def test_churn_is_higher_after_a_detractor_answer(sample_warehouse: Path, truth: dict) -> None:
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        install_rules(con)
        cells = {
            flag: (n, lost)
            for flag, n, lost in con.execute(
                DETRACTOR_FLAG_SQL, [date.fromisoformat(truth["as_of"])]
            ).fetchall()
        }
    realised = truth["churn_hazard"]["realised_by_detractor_flag"]
    # The join reproduces the generator's flag, so the counts are exactly what it drew.
    assert cells[True] == tuple(realised["detractor_previous_month"].values())
    assert cells[False] == tuple(realised["no_detractor_previous_month"].values())
    (n1, l1), (n0, l0) = cells[True], cells[False]
    pooled = (l1 + l0) / (n1 + n0)
    z = (l1 / n1 - l0 / n0) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    assert l1 / n1 > 1.5 * l0 / n0 and z > DETRACTOR_RATE_MIN_Z


def test_sample_praise_but_cancel_is_lost_praise(sample_query: Query) -> None:
    """Recomputed in Python from account_segments and staging (answers with their resolved
    identity), independently of the SQL."""
    lost = {
        account: (lost_on, region)
        for account, lost_on, region in sample_query(
            "SELECT account_id, lost_on, region FROM marts.account_segments WHERE NOT is_active "
            "AND customer_since IS NOT NULL"
        )
    }
    lost_at: dict[str, Any] = {}
    for account, ended_at in sample_query(
        "SELECT account_id, max(ended_at) FROM staging.subscriptions GROUP BY 1"
    ):
        if account in lost:
            lost_at[account] = ended_at
    last_answer: dict[str, tuple[Any, str, int]] = {}
    for account, submitted_at, response_id, score in sample_query(
        "SELECT coalesce(r.account_id, c.account_id), r.submitted_at, r.response_id, r.score "
        "FROM staging.resolved_nps_responses AS r "
        "LEFT JOIN staging.contacts AS c USING (contact_id)"
    ):
        if account in lost_at and submitted_at < lost_at[account]:
            last_answer[account] = max(
                last_answer.get(account, (submitted_at, response_id, score)),
                (submitted_at, response_id, score),
            )
    expected = {
        account: (lost[account][0], score, "promoter" if score >= 9 else "passive")
        for account, (_, _, score) in last_answer.items()
        if score >= 7
    }
    rows = sample_query(
        "SELECT account_id, lost_on, last_nps_score, last_nps_category, mrr_lost, region "
        "FROM marts.praise_but_cancel"
    )
    assert len(rows) > 0
    assert {r[0]: r[1:4] for r in rows} == expected
    assert all(r[4] > 0 and r[5] == lost[r[0]][1] for r in rows)


def test_sample_spells_agree_with_churn(sample_query: Query) -> None:
    assert_losses_are_spell_ends(sample_query)


def test_sample_cohorts_and_survival_agree_with_churn(sample_query: Query, truth: dict) -> None:
    starts = dict(
        sample_query(
            "SELECT month, customers_at_start FROM marts.churn_by_month WHERE month > "
            "(SELECT min(month) FROM marts.churn_by_month)"
        )
    )
    # Customers at the start of m = the cohorts' accounts retained at k >= 1 with cohort + k = m.
    at_month_start = dict(
        sample_query(
            "SELECT CAST(cohort_month + to_months(months_since_start) AS DATE), "
            "sum(customers_active) FROM marts.cohort_retention WHERE months_since_start >= 1 "
            "GROUP BY 1"
        )
    )
    assert {m: at_month_start[m] for m in starts} == starts
    # Month 0 is the whole cohort; accounts gone by the end of their first month (k = 1) are
    # exactly the planted same-month cancels.
    assert sample_query(
        "SELECT DISTINCT retention_pct FROM marts.cohort_retention WHERE months_since_start = 0"
    ) == [(100.0,)]
    first_month_drop = sample_query(
        "SELECT sum(cohort_customers - customers_active) FROM marts.cohort_retention "
        "WHERE months_since_start = 1"
    )[0][0]
    assert first_month_drop == len(truth["planted"]["same_month_cancel_accounts"])
    # Survival: every spell is lost or censored once, and only running spells are censored: one
    # per active account; the first-spell basis holds every customer ever once.
    spells, lost_spells = sample_query(
        "SELECT count(*), count(*) FILTER (WHERE lost) FROM marts.customer_spells"
    )[0]
    active, customers = sample_query(
        "SELECT count(*) FILTER (WHERE is_active), count(*) "
        "FROM marts.account_segments WHERE customer_since IS NOT NULL"
    )[0]
    by_basis = {
        basis: (lost, censored)
        for basis, lost, censored in sample_query(
            "SELECT spell_basis, sum(lost), sum(censored) FROM marts.survival_by_segment "
            "WHERE segment_type = 'all' GROUP BY 1"
        )
    }
    assert by_basis["every_spell"] == (lost_spells, active)
    assert sum(by_basis["first_spell"]) == customers and spells - lost_spells == active
    live_by_tier = dict(
        sample_query(
            "SELECT segment, sum(censored) FROM marts.survival_by_segment "
            "WHERE segment_type = 'revenue_tier' AND spell_basis = 'every_spell' GROUP BY 1"
        )
    )
    # The running spells by the tier of 12 x MRR on their first day, counted here in Python.
    subscriptions: dict[str, list[tuple[Any, Any, float]]] = {}
    for account, start, end, mrr in sample_query(
        "SELECT account_id, start_day, end_day, mrr FROM marts.subscription_days"
    ):
        subscriptions.setdefault(account, []).append((start, end, float(mrr)))
    expected: dict[str, int] = {}
    for account, first_day in sample_query(
        "SELECT account_id, spell_start FROM marts.customer_spells WHERE NOT lost"
    ):
        arr = 12 * sum(
            mrr
            for start, end, mrr in subscriptions[account]
            if start <= first_day and (end is None or end > first_day)
        )
        tier = "enterprise" if arr >= 100_000 else "mid-market" if arr >= 10_000 else "SMB"
        expected[tier] = expected.get(tier, 0) + 1
    assert {k: v for k, v in live_by_tier.items() if v} == expected


SURVIVAL_TOLERANCE_SE = 3.0  # Kaplan-Meier vs the planted hazard, in Greenwood standard errors


def test_sample_survival_follows_the_planted_hazard(sample_query: Query, truth: dict) -> None:
    """With a monthly hazard h, an account survives t + 1 whole months with probability about
    (1 - h)^(t + 1); h is the generator's expected monthly churn over the history."""
    h = truth["expected_monthly_churn_pct"] / 100
    rows = sample_query(
        "SELECT month, effective_at_risk, lost, survival_pct FROM marts.survival_by_segment "
        "WHERE segment_type = 'all' AND spell_basis = 'first_spell' ORDER BY month"
    )
    greenwood = 0.0
    for month, at_risk, lost, survival_pct in rows:
        if lost < at_risk:
            greenwood += lost / (at_risk * (at_risk - lost))
        if month in (5, 11, 17, 23):
            se = survival_pct * math.sqrt(greenwood)
            expected = 100 * (1 - h) ** (month + 1)
            assert abs(survival_pct - expected) <= SURVIVAL_TOLERANCE_SE * se, month


def test_sample_revenue_retention_is_consistent(sample_query: Query) -> None:
    rows = sample_query(
        "SELECT r.customers_at_start, c.customers_at_start, c.customers_lost, r.mrr_at_start, "
        "r.churned_mrr, r.contraction_mrr, r.expansion_mrr, r.gross_revenue_churn_pct, "
        "r.grr_pct, r.nrr_pct FROM marts.revenue_retention_by_month AS r "
        "JOIN marts.churn_by_month AS c USING (month) WHERE c.customers_at_start > 0"
    )
    assert len(rows) == 23
    for n, n_churn, lost, start, churned, contraction, expansion, grc, grr, nrr in rows:
        assert n == n_churn
        assert (churned > 0) == (lost > 0)
        assert grc == pytest.approx(float(100 * (churned + contraction) / start))
        assert grr == pytest.approx(100 - grc)
        assert nrr == pytest.approx(grr + float(100 * expansion / start))
