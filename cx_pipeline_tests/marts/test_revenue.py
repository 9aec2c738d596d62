"""Revenue family: MRR movements worked out by hand on a tiny fixture, reconciliation and
agreement with the churn marts on the sample, and currency conversion.

The fixture is `revenue_extracts` (as of 2026-03-31, UTC): the churn fixture plus A9 (new,
churned, back after a gap) and A10 (a same-day plan change in mid-January). Subscriptions as
active days [start, end), with MRR:
  A1  S1 400 from 2025-10-15; S6 100 2025-12-01 -> 2026-03-31
  A2  S2 4000 2025-10-20 -> 2026-01-10
  A3  S3 9000 2025-11-05 -> 2026-02-01; S4 12500 from 2026-02-01 (end 15 Apr: future)
  A4  S5 1500 2025-12-03 -> 2025-12-20 (starts and ends in one month)
  A6  S7 1000 2025-10-01 -> 2026-03-01
  A7  S8 250 2024-10-10 -> 2026-02-14; S9 50 2025-06-01 -> 2026-02-14
  A8  S10 2000 2025-11-10 -> 2026-01-05; S11 1500 from 2026-01-20
  A9  S12 800 2025-11-03 -> 2025-12-15; S13 600 from 2026-02-10
  A10 S14 3000 2025-12-10 -> 2026-01-15 12:00; S15 2000 from 2026-01-15 12:00
Each account's MRR on the day before each month (s) and on its last day (e), and its movement:
  Oct-24  A7 new 250                                   -> closing 250
  Jun-25  A7 250 -> 300 expansion 50                   -> closing 300
  Oct-25  new A1 400, A2 4000, A6 1000 (5400)          -> 300 + 5400 = 5700
  Nov-25  new A3 9000, A8 2000, A9 800 (11800)         -> 5700 + 11800 = 17500
  Dec-25  new A10 3000; A1 400 -> 500 expansion 100; A9 churned 800 (ended 15 Dec);
          A4 starts 3 Dec and ends 20 Dec: in no movement -> 17500 + 3000 + 100 - 800 = 19800
  Jan-26  A2 churned 4000; A8 2000 -> 1500 contraction 500 (back on 20 Jan: not churn);
          A10 3000 -> 2000 contraction 1000 (same-day plan change: not churn + new);
          A9 at neither boundary: nothing                 -> 19800 - 4000 - 1500 = 14300
  Feb-26  A7 churned 300; A3 9000 -> 12500 expansion 3500 (same-day change on 1 Feb);
          A9 back (first start Nov-25) reactivation 600 -> 14300 - 300 + 3500 + 600 = 18100
  Mar-26  A6 churned 1000; A1 500 -> 400 contraction 100 (S6 ends on 31 Mar, the last day)
                                                        -> 18100 - 1000 - 100 = 17000
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from cx_pipeline import catalog, settings
from cx_pipeline.partitions import delivered_days, range_tags
from cx_pipeline.resources import ExtractStore
from cx_pipeline_tests.conftest import all_assets, make_resources, reader
from cx_pipeline_tests.marts.revenue_extracts import (
    CURRENCIES,
    write_exchange_rates,
    write_revenue_extracts,
)
from cx_pipeline_tests.marts.test_churn import months_between

Query = Callable[..., list[tuple]]

MARTS = (
    "mrr_movements",
    "subscription_mrr",
    "churn_by_month",
    "churn_by_segment",
    "revenue_retention_by_month",
)
SEGMENT_TYPES = ("all", "region", "industry", "revenue_tier", "tenure_band")
MOVEMENT_COLUMNS = (
    "customers_at_start, new_customers, expansion_customers, contraction_customers, "
    "churned_customers, reactivated_customers, customers_at_end, opening_mrr, new_mrr, "
    "expansion_mrr, contraction_mrr, churned_mrr, reactivation_mrr, closing_mrr"
)


def _materialize(
    extracts: Path, reference_root: Path | None, warehouse: Path, raise_on_error: bool = True
) -> dg.ExecuteInProcessResult:
    """The revenue and churn marts (and only what they need); with `reference_root`, the
    exchange rates come from there."""
    resources = make_resources(extracts, warehouse)
    if reference_root is not None:
        resources["extracts"] = ExtractStore(root=str(extracts), reference_root=str(reference_root))
    days = delivered_days(extracts)
    return dg.materialize(
        all_assets(),
        resources=resources,
        selection=dg.AssetSelection.assets(
            *(catalog.key("marts", name) for name in MARTS)
        ).upstream(),
        raise_on_error=raise_on_error,
        tags=range_tags(days[0], days[-1]),
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Query:
    root = tmp_path_factory.mktemp("revenue")
    _materialize(write_revenue_extracts(root / "extracts"), None, root / "cx.duckdb")
    return reader(root / "cx.duckdb")


def _movements(query: Query, segment_type: str, segment: str) -> dict[str, tuple]:
    return {
        month: tuple(int(v) if isinstance(v, int) else float(v) for v in values)
        for month, *values in query(
            f"SELECT strftime(month, '%Y-%m'), {MOVEMENT_COLUMNS} FROM marts.mrr_movements "
            "WHERE segment_type = $type AND segment = $segment",
            {"type": segment_type, "segment": segment},
        )
    }


def test_mrr_movements_hand_computed(tiny: Query) -> None:
    # (at start, new, expanded, contracted, churned, reactivated, at end,
    #  opening, new, expansion, contraction, churned, reactivation, closing MRR)
    expected: dict[str, tuple] = {
        "2024-10": (0, 1, 0, 0, 0, 0, 1, 0, 250, 0, 0, 0, 0, 250),
        "2025-06": (1, 0, 1, 0, 0, 0, 1, 250, 0, 50, 0, 0, 0, 300),
        "2025-10": (1, 3, 0, 0, 0, 0, 4, 300, 5400, 0, 0, 0, 0, 5700),
        "2025-11": (4, 3, 0, 0, 0, 0, 7, 5700, 11800, 0, 0, 0, 0, 17500),
        # A4 (in and out in December) is in no count: one new customer, A10.
        "2025-12": (7, 1, 1, 0, 1, 0, 7, 17500, 3000, 100, 0, 800, 0, 19800),
        # A10's same-day plan change: a contraction, no churn, no new customer.
        "2026-01": (7, 0, 0, 2, 1, 0, 6, 19800, 0, 0, 1500, 4000, 0, 14300),
        # A9 back after an empty January: a reactivation.
        "2026-02": (6, 0, 1, 0, 1, 1, 6, 14300, 0, 3500, 0, 300, 600, 18100),
        "2026-03": (6, 0, 0, 1, 1, 0, 5, 18100, 0, 0, 100, 1000, 0, 17000),
    }
    steady = {250: months_between("2024-11", "2025-05"), 300: months_between("2025-07", "2025-09")}
    for mrr, months in steady.items():
        expected |= {m: (1, 0, 0, 0, 0, 0, 1, mrr, 0, 0, 0, 0, 0, mrr) for m in months}
    assert _movements(tiny, "all", "all") == expected


def test_ratios_arpa_and_ltv_hand_computed(tiny: Query) -> None:
    rows = {
        m: (quick, arpa, churn, churn_12m, ltv)
        for m, quick, arpa, churn, churn_12m, ltv in tiny(
            "SELECT strftime(month, '%Y-%m'), quick_ratio, arpa, mrr_churn_pct, "
            "mrr_churn_12m_pct, ltv_estimate FROM marts.mrr_movements "
            "WHERE segment_type = 'all' AND month >= '2025-10-01'"
        )
    }
    # Opening MRR of the 12 months to each month, and the MRR lost (churned + contraction):
    #   to Dec-25 (Jan-25 .. Dec-25): 250 x 6 + 300 x 4 + 5700 + 17500 = 25900; lost 800
    #   to Jan-26: 250 x 5 + 300 x 4 + 5700 + 17500 + 19800 = 45450; lost 800 + 5500
    #   to Feb-26: 250 x 4 + 300 x 4 + 5700 + 17500 + 19800 + 14300 = 59500; lost 6300 + 300
    #   to Mar-26: 250 x 3 + 300 x 4 + 5700 + 17500 + 19800 + 14300 + 18100 = 77350;
    #              lost 6600 + 1100 = 7700
    # LTV = ARPA / (lost / opening).
    expected = {
        # No loss yet: no quick ratio, churn rates of 0 and no LTV.
        "2025-10": (None, 5700 / 4, 0.0, 0.0, None),
        "2025-11": (None, 17500 / 7, 0.0, 0.0, None),
        # Quick ratio Dec-25: (3000 + 100) / 800.
        "2025-12": (
            3100 / 800,
            19800 / 7,
            100 * 800 / 17500,
            100 * 800 / 25900,
            19800 / 7 * 25900 / 800,
        ),
        "2026-01": (
            0.0,
            14300 / 6,
            100 * 5500 / 19800,
            100 * 6300 / 45450,
            14300 / 6 * 45450 / 6300,
        ),
        # Quick ratio Feb-26: (3500 + 600) / 300.
        "2026-02": (
            4100 / 300,
            18100 / 6,
            100 * 300 / 14300,
            100 * 6600 / 59500,
            18100 / 6 * 59500 / 6600,
        ),
        "2026-03": (0.0, 17000 / 5, 100 * 1100 / 18100, 100 * 7700 / 77350, 3400 * 77350 / 7700),
    }
    assert rows == {
        m: tuple(v if v is None else pytest.approx(v) for v in row) for m, row in expected.items()
    }


def test_reactivation_after_a_gap_and_same_day_plan_change(tiny: Query) -> None:
    emea = _movements(tiny, "region", "EMEA")
    # EMEA is A2 (from Oct-25), A6 (from Oct-25), A7 and A9.
    # Jan-26: A9 is at neither boundary; A2 churns 4000. Feb-26: A7 churns 300, A9 returns 600.
    assert emea["2026-01"] == (3, 0, 0, 0, 1, 0, 2, 5300, 0, 0, 0, 4000, 0, 1300)
    assert emea["2026-02"] == (2, 0, 0, 0, 1, 1, 2, 1300, 0, 0, 0, 300, 600, 1600)
    apac = _movements(tiny, "region", "APAC")
    # APAC is A3 and A10. Jan-26: A10 moves from 3000 to 2000 on the 15th (contraction);
    # Feb-26: A3 moves from 9000 to 12500 on the 1st (expansion). No churn, nothing new.
    assert apac["2026-01"] == (2, 0, 0, 1, 0, 0, 2, 12000, 0, 0, 1000, 0, 0, 11000)
    assert apac["2026-02"] == (2, 0, 1, 0, 0, 0, 2, 11000, 0, 3500, 0, 0, 0, 14500)


def test_segments_hand_computed(tiny: Query) -> None:
    # Feb-26 by revenue tier (12 x start MRR; 12 x end MRR for A9, which returns):
    #   enterprise  A3 108,000                    9000 -> expansion 3500 -> 12500
    #   mid-market  A6 12,000, A8 18,000, A10 24,000    4500 -> 4500
    #   SMB         A1 6,000, A7 3,600 (churns 300), A9 7,200 (reactivation 600)  800 -> 1100
    feb = {
        segment: values
        for segment in ("enterprise", "mid-market", "SMB")
        for month, values in _movements(tiny, "revenue_tier", segment).items()
        if month == "2026-02"
    }
    assert feb == {
        "enterprise": (1, 0, 1, 0, 0, 0, 1, 9000, 0, 3500, 0, 0, 0, 12500),
        "mid-market": (3, 0, 0, 0, 0, 0, 3, 4500, 0, 0, 0, 0, 0, 4500),
        "SMB": (2, 0, 0, 0, 1, 1, 2, 800, 0, 0, 0, 300, 600, 1100),
    }
    # Dec-25's new A10 (3000: 36,000 ARR) is mid-market by its end MRR, not SMB by its 0 start.
    dec_mid = _movements(tiny, "revenue_tier", "mid-market")["2025-12"]
    assert dec_mid[1] == 1 and dec_mid[8] == 3000


def assert_reconciles_and_adds_up(query: Query) -> None:
    """opening + new + expansion + reactivation - contraction - churned = closing in every row,
    the counts likewise, and every segment type adds up to 'all'."""
    rows = query(
        f"SELECT month, segment_type, segment, {MOVEMENT_COLUMNS}, net_new_mrr "
        "FROM marts.mrr_movements"
    )
    assert rows
    totals: dict[tuple[date, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 14)
    for month, segment_type, _, *values, net_new in rows:
        start, new, _, _, churned, reactivated, end = values[:7]
        opening, new_mrr, expansion, contraction, churned_mrr, reactivation, closing = values[7:]
        assert opening + new_mrr + expansion + reactivation - contraction - churned_mrr == closing
        assert net_new == closing - opening
        assert start + new + reactivated - churned == end
        assert min(values) >= 0
        totals[(month, segment_type)] = [
            a + b for a, b in zip(totals[(month, segment_type)], values, strict=True)
        ]
    for (month, segment_type), summed in totals.items():
        assert summed == totals[(month, "all")], (month, segment_type)
    assert {t for _, t in totals} == set(SEGMENT_TYPES)


def test_fixture_reconciles_and_segments_add_up(tiny: Query) -> None:
    assert_reconciles_and_adds_up(tiny)


def assert_agrees_with_churn_marts(query: Query) -> None:
    """One churn rule: the same customers at start and losses as churn_by_month and
    churn_by_segment, the same MRR figures (reporting currency) as revenue_retention_by_month."""
    rows = query(
        "SELECT m.month, m.customers_at_start, c.customers_at_start, m.churned_customers, "
        "c.customers_lost, m.opening_mrr, r.mrr_at_start, m.churned_mrr, r.churned_mrr, "
        "m.contraction_mrr, r.contraction_mrr, m.expansion_mrr, r.expansion_mrr, "
        "m.mrr_churn_pct, r.gross_revenue_churn_pct "
        "FROM marts.mrr_movements AS m JOIN marts.churn_by_month AS c USING (month) "
        "JOIN marts.revenue_retention_by_month AS r USING (month) WHERE m.segment_type = 'all'"
    )
    assert len(rows) == len(query("SELECT month FROM marts.churn_by_month"))
    for month, *pairs in rows:
        assert pairs[0::2] == pairs[1::2], month
    mismatches = query(
        "SELECT count(*) FROM marts.churn_by_segment AS c "
        "LEFT JOIN marts.mrr_movements AS m USING (month, segment_type, segment) "
        "WHERE m.customers_at_start IS DISTINCT FROM c.customers_at_start "
        "OR m.churned_customers IS DISTINCT FROM c.customers_lost"
    )
    assert mismatches == [(0,)]


def test_fixture_agrees_with_churn_marts(tiny: Query) -> None:
    assert_agrees_with_churn_marts(tiny)


def test_sample_reconciles_and_agrees_with_churn_marts(sample_query: Query) -> None:
    assert_reconciles_and_adds_up(sample_query)
    assert_agrees_with_churn_marts(sample_query)
    # Closing MRR of a month is the next month's opening MRR (the same day: the month's last).
    rows = sample_query(
        "SELECT month, opening_mrr, closing_mrr, customers_at_start, customers_at_end "
        "FROM marts.mrr_movements WHERE segment_type = 'all' ORDER BY month"
    )
    for before, after in itertools.pairwise(rows):
        assert (before[2], before[4]) == (after[1], after[3]), after[0]
    movements = sample_query(
        "SELECT sum(new_mrr), sum(expansion_mrr), sum(contraction_mrr), sum(churned_mrr), "
        "sum(reactivation_mrr) FROM marts.mrr_movements WHERE segment_type = 'all'"
    )[0]
    assert all(total > 0 for total in movements[:4]), movements


def _independent_movements(query: Query) -> dict[date, list[Decimal]]:
    """Every movement of every complete month recomputed in Python from the subscriptions
    (active on d: start_day <= d < end_day), without the marts' SQL."""
    subscriptions = query("SELECT account_id, start_day, end_day, mrr FROM marts.subscription_days")
    as_of = query("SELECT max(month) FROM marts.customer_months")[0][0]
    by_account: dict[str, list[tuple]] = defaultdict(list)
    for account, start, end, mrr in subscriptions:
        by_account[account].append((start, end, mrr or Decimal(0)))

    def state(account: str, day: date) -> tuple[bool, Decimal]:
        active = [mrr for s, e, mrr in by_account[account] if s <= day and (e is None or e > day)]
        return bool(active), sum(active, Decimal(0))

    first = min(start for subs in by_account.values() for start, _, _ in subs)
    month = first.replace(day=1)
    out: dict[date, list[Decimal]] = {}
    while month <= as_of:
        following = (month + timedelta(days=32)).replace(day=1)
        totals = [Decimal(0)] * 5  # new, expansion, contraction, churned, reactivation
        for account, subs in by_account.items():
            was, s = state(account, month - timedelta(days=1))
            now, e = state(account, following - timedelta(days=1))
            started = min(start for start, _, _ in subs)
            if was and not now:
                totals[3] += s
            elif was and e > s:
                totals[1] += e - s
            elif was:
                totals[2] += s - e
            elif now and started >= month:
                totals[0] += e
            elif now and started < month:
                totals[4] += e
        out[month] = totals
        month = following
    return out


def test_sample_movements_match_an_independent_computation(sample_query: Query) -> None:
    expected = _independent_movements(sample_query)
    rows = sample_query(
        "SELECT month, new_mrr, expansion_mrr, contraction_mrr, churned_mrr, reactivation_mrr "
        "FROM marts.mrr_movements WHERE segment_type = 'all'"
    )
    assert {month: list(values) for month, *values in rows} == expected


def test_currencies_convert_at_the_rate_of_the_start_day(tmp_path: Path) -> None:
    extracts = write_revenue_extracts(tmp_path / "extracts", currencies=CURRENCIES)
    references = write_exchange_rates(tmp_path / "reference")
    _materialize(extracts, references, tmp_path / "cx.duckdb")
    query = reader(tmp_path / "cx.duckdb")
    converted = query(
        "SELECT subscription_id, currency, mrr, rate_date, rate, mrr_reporting "
        "FROM marts.subscription_mrr WHERE subscription_id IN ('S1', 'S14', 'S15')"
    )
    assert sorted(converted) == [
        ("S1", "USD", Decimal("400.00"), None, Decimal("1"), Decimal("400.00")),
        # 3000 EUR from 10 Dec 2025: the rate of 1 Jan 2025, 1.10 (not EUR to GBP).
        ("S14", "EUR", Decimal("3000.00"), date(2025, 1, 1), Decimal("1.1"), Decimal("3300.00")),
        # 2000 'eur' from 15 Jan 2026: the rate of 1 Jan 2026, 1.20.
        ("S15", "EUR", Decimal("2000.00"), date(2026, 1, 1), Decimal("1.2"), Decimal("2400.00")),
    ]
    movements = _movements(query, "all", "all")
    # Dec-25: A10 new at 3300 USD. Jan-26: A10 3300 -> 2400 (contraction 900) beside A8's 500.
    assert movements["2025-12"] == (7, 1, 1, 0, 1, 0, 7, 17500, 3300, 100, 0, 800, 0, 20100)
    assert movements["2026-01"] == (7, 0, 0, 2, 1, 0, 6, 20100, 0, 0, 1400, 4000, 0, 14700)
    assert_reconciles_and_adds_up(query)


def test_a_euro_subscription_counts_converted_in_every_mrr_mart(tmp_path: Path) -> None:
    # The conversion is made once (subscription_days), so revenue_retention_by_month, built on
    # customer_months, adds up A10's 3300 and 2400 USD, not its 3000 and 2000 EUR:
    #   Jan-26 start MRR 17500 + 3300 (A10) + 100 (A1) - 800 (A9) = 20100; contraction A8 500 +
    #   A10 900 = 1400; churned A2 4000. Feb-26 start 20100 - 4000 - 1400 = 14700.
    extracts = write_revenue_extracts(tmp_path / "extracts", currencies=CURRENCIES)
    _materialize(extracts, write_exchange_rates(tmp_path / "reference"), tmp_path / "cx.duckdb")
    query = reader(tmp_path / "cx.duckdb")
    retention = {
        str(month)[:7]: tuple(float(v) for v in values)
        for month, *values in query(
            "SELECT month, mrr_at_start, churned_mrr, contraction_mrr, expansion_mrr "
            "FROM marts.revenue_retention_by_month "
            "WHERE month IN (DATE '2026-01-01', DATE '2026-02-01')"
        )
    }
    assert retention == {
        "2026-01": (20100, 4000, 1400, 0),
        "2026-02": (14700, 300, 0, 3500),
    }
    assert query(
        "SELECT mrr_at_start FROM marts.customer_months "
        "WHERE account_id = 'A10' AND month = DATE '2026-01-01'"
    ) == [(Decimal("3300.00"),)]
    assert_agrees_with_churn_marts(query)


def test_a_missing_or_ambiguous_rate_fails_the_run_naming_currency_day_and_rows(
    tmp_path: Path,
) -> None:
    # EUR rates only from 2026-01-01: S14 (from 10 Dec 2025) has none; two SEK subscriptions
    # have no SEK rate at all...
    extra = (
        "S16,A5,Core,Starter,500,2026-01-05T09:00:00Z,,\n"
        "S17,A5,Analytics,Starter,90,2026-02-07T09:00:00Z,,\n"
    )
    extracts = write_revenue_extracts(
        tmp_path / "extracts",
        currencies={**CURRENCIES, "S16": "SEK", "S17": "SEK"},
        extra_subscriptions=extra,
    )
    # ...and two different EUR rates for 1 Jan 2026 (a GBP pair no subscription uses may).
    rates = (
        "currency,to_currency,rate_date,rate,source\n"
        "EUR,USD,2026-01-01,1.20,test\nEUR,USD,2026-01-01,1.21,test\n"
        "GBP,USD,2026-01-01,1.30,test\nGBP,USD,2026-01-01,1.31,test\n"
    )
    references = write_exchange_rates(tmp_path / "reference", rates)
    result = _materialize(extracts, references, tmp_path / "cx.duckdb", raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "marts__subscription_days"
    message = str(failure.event_specific_data.error)
    assert (
        "no EUR to USD exchange rate dated on or before 2025-12-10 in exchange_rates.csv "
        "(1 subscription rows without a rate)" in message
    )
    assert (
        "no SEK to USD exchange rate dated on or before 2026-01-05 in exchange_rates.csv "
        "(2 subscription rows without a rate)" in message
    )
    assert "exchange_rates.csv has 2 different EUR to USD rates dated 2026-01-01" in message
    assert "GBP" not in message


def test_reporting_currency_setting_wants_an_iso_code(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings.REPORTING_CURRENCY.problem() is None
    monkeypatch.setenv("CX_REPORTING_CURRENCY", "usd")
    problem: Any = settings.REPORTING_CURRENCY.problem()
    assert problem is not None and "ISO 4217" in problem


def test_without_a_rates_file_only_foreign_currencies_fail(tmp_path: Path) -> None:
    # A reference folder from before exchange_rates.csv existed: one currency still builds...
    references = tmp_path / "reference"
    references.mkdir()
    extracts = write_revenue_extracts(tmp_path / "one" / "extracts")
    _materialize(extracts, references, tmp_path / "one" / "cx.duckdb")
    one = _movements(reader(tmp_path / "one" / "cx.duckdb"), "all", "all")
    assert one["2026-03"] == (6, 0, 0, 1, 1, 0, 5, 18100, 0, 0, 100, 1000, 0, 17000)
    # ...and euros without a rate fail, naming them.
    extracts = write_revenue_extracts(tmp_path / "two" / "extracts", currencies=CURRENCIES)
    result = _materialize(
        extracts, references, tmp_path / "two" / "cx.duckdb", raise_on_error=False
    )
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert (
        "no EUR to USD exchange rate dated on or before 2025-12-10 in exchange_rates.csv "
        "(2 subscription rows without a rate)" in str(failure.event_specific_data.error)
    )


def test_sample_report_shows_the_last_months_movements(
    sample_warehouse: Path, sample_query: Query
) -> None:
    page = sample_warehouse.with_name("cx_report.html").read_text()
    start = page.index("<h2>Revenue movements</h2>")
    html = page[start : page.index("<section>", start)]
    rows = sample_query(
        "SELECT month, opening_mrr, new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, "
        "churned_mrr, closing_mrr, quick_ratio FROM marts.mrr_movements "
        "WHERE segment_type = 'all' ORDER BY month DESC LIMIT 6"
    )[::-1]
    month, opening, new, expansion, back, contraction, churned, closing, quick = rows[-1]
    assert (
        f"In {month:%B %Y}: MRR {float(opening):,.0f} at its start, +{float(new):,.0f} new, "
        f"+{float(expansion):,.0f} expansion, +{float(back):,.0f} reactivation, "
        f"-{float(contraction):,.0f} contraction, -{float(churned):,.0f} churned = "
        f"{float(closing):,.0f} at its end; quick ratio {quick:.2f}"
    ) in html
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]
    assert [c for c in cells if c] == [
        [f"{r[0]:%b %y}", *(f"{float(v):,.0f}" for v in r[1:8]), f"{r[8]:.2f}"] for r in rows
    ]
    assert "Source: marts.mrr_movements" in html
