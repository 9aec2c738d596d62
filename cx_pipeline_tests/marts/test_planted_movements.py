"""The revenue marts recover the MRR movements the generator planted, exactly.

A small generated set (seconds) with `currencies=True`: accounts billed in EUR, GBP, CAD and AUD
beside USD, the synthetic rates to USD the generator wrote to `_reference/exchange_rates.csv`,
reactivations (a lost account back on a new subscription after at least one whole month away,
sometimes lost again) and same-day plan changes. The generator states every month's movements in
its truth file, worked out on its own arrays in whole cents (subscriptions.movements); the test
also recomputes the conversion from the delivered files with polars and Decimal, and checks
that the rates cover every start day.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from cx_pipeline.generate import generate
from cx_pipeline.generate.subscriptions import MOVEMENT_AMOUNTS, MOVEMENT_COUNTS
from cx_pipeline_tests.conftest import Query, reader
from cx_pipeline_tests.marts.test_revenue import (
    _materialize,
    assert_agrees_with_churn_marts,
    assert_reconciles_and_adds_up,
)

AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Query]:
    root = tmp_path_factory.mktemp("planted_movements")
    extracts = root / "extracts"
    truth = generate(extracts, scale="small", seed=11, as_of=AS_OF, currencies=True, progress=None)
    _materialize(extracts, extracts / "_reference", root / "cx.duckdb")
    return extracts, truth, reader(root / "cx.duckdb")


@pytest.fixture(scope="module")
def truth(planted: tuple[Path, dict[str, Any], Query]) -> dict[str, Any]:
    return planted[1]


@pytest.fixture(scope="module")
def query(planted: tuple[Path, dict[str, Any], Query]) -> Query:
    return planted[2]


def _last_subscriptions(extracts: Path, truth: dict[str, Any]) -> pl.DataFrame:
    return pl.read_csv(
        extracts / "crm" / truth["deliveries"][-1] / "subscriptions.csv",
        schema_overrides={"mrr": pl.String},
    ).with_columns(
        start_day=pl.col("started_at").str.to_datetime(time_zone="UTC").dt.date(),
    )


def test_every_planted_movement_is_recovered_exactly(truth: dict, query: Query) -> None:
    columns = ", ".join((*MOVEMENT_COUNTS, *MOVEMENT_AMOUNTS))
    reported = {
        month: values
        for month, *values in query(
            f"SELECT strftime(month, '%Y-%m'), {columns} FROM marts.mrr_movements "
            "WHERE segment_type = 'all' ORDER BY month"
        )
    }
    planted = truth["mrr_movements"]
    assert list(reported) == list(planted)
    assert len(planted) == 24  # every month of the history is complete on 31 Oct
    for month, cell in planted.items():
        expected = [cell[c] for c in MOVEMENT_COUNTS]
        expected += [Decimal(str(cell[c])).quantize(Decimal("0.01")) for c in MOVEMENT_AMOUNTS]
        assert reported[month] == expected, month
    # Every kind of movement is planted, reactivations included.
    totals = {c: sum(cell[c] for cell in planted.values()) for c in MOVEMENT_AMOUNTS}
    assert all(totals[c] > 0 for c in MOVEMENT_AMOUNTS if c != "opening_mrr"), totals


def test_reactivations_come_back_in_their_planted_month(truth: dict, query: Query) -> None:
    returns = truth["planted"]["reactivations"]
    assert len(returns) >= 10
    by_month = Counter(r["back_month"] for r in returns)
    reported = dict(
        query(
            "SELECT strftime(month, '%Y-%m'), reactivated_customers FROM marts.mrr_movements "
            "WHERE segment_type = 'all' AND reactivated_customers > 0"
        )
    )
    assert reported == dict(by_month)
    # Each is two spells: the first lost, the second starting in the return month, at least one
    # whole month after the month of the loss; lost again where the truth says so.
    spells: dict[str, list[tuple]] = {}
    for account, start, end, lost in query(
        "SELECT account_id, spell_start, spell_end, lost FROM marts.customer_spells "
        "ORDER BY account_id, spell_number"
    ):
        spells.setdefault(account, []).append((start, end, lost))
    for r in returns:
        (_, first_end, first_lost), (second_start, second_end, _) = spells[r["account_id"]]
        assert first_lost and first_end.strftime("%Y-%m") == r["lost_month"], r
        assert second_start.strftime("%Y-%m") == r["back_month"], r
        assert (second_start.year * 12 + second_start.month) - (
            first_end.year * 12 + first_end.month
        ) >= 2, r
        again = second_end.strftime("%Y-%m") if second_end is not None else None
        assert again == r["lost_again_month"], r
    assert any(r["lost_again_month"] for r in returns)
    # Nobody else ever comes back.
    twice = {a for a, s in spells.items() if len(s) > 1}
    assert twice == {r["account_id"] for r in returns}


def test_same_day_plan_changes_are_not_churn(
    planted: tuple[Path, dict[str, Any], Query], truth: dict, query: Query
) -> None:
    extracts = planted[0]
    changed = truth["planted"]["plan_change_accounts"]
    assert len(changed) >= 3
    subs = _last_subscriptions(extracts, truth).filter(
        pl.col("account_id").is_in(changed) & (pl.col("product") == "Core")
    )
    # One Core row ends at the very instant the next starts...
    joined = subs.join(
        subs, left_on=["account_id", "ended_at"], right_on=["account_id", "started_at"]
    )
    assert set(joined["account_id"]) == set(changed)
    # ...and the account stays in one spell (two only when it was also lost and came back).
    returned = {r["account_id"] for r in truth["planted"]["reactivations"]}
    counts = dict(
        query(
            "SELECT account_id, count(*) FROM marts.customer_spells "
            "WHERE list_contains($accounts, account_id) GROUP BY 1",
            {"accounts": changed},
        )
    )
    assert counts == {a: 2 if a in returned else 1 for a in changed}


def test_currencies_convert_at_the_generated_rates(
    planted: tuple[Path, dict[str, Any], Query], truth: dict, query: Query
) -> None:
    """Recomputed from the delivered files: each row at the latest rate dated on or before its
    start day, rounded half up to the cent; the rates cover every start (none missing)."""
    extracts = planted[0]
    rates = pl.read_csv(
        extracts / truth["currencies"]["rates_file"],
        schema_overrides={"rate": pl.String},
        try_parse_dates=True,
    )
    assert set(rates["to_currency"]) == {"USD"}
    subs = _last_subscriptions(extracts, truth)
    by_currency = Counter(subs["currency"].to_list())
    assert dict(by_currency) == {k: v for k, v in truth["currencies"]["subscriptions"].items() if v}
    assert set(by_currency) == {"USD", "EUR", "GBP", "CAD", "AUD"}
    table: dict[str, list[tuple[dt.date, Decimal]]] = {}
    for currency, rate_date, rate in rates.select("currency", "rate_date", "rate").iter_rows():
        table.setdefault(currency, []).append((rate_date, Decimal(rate)))
    expected: dict[str, tuple[str, Decimal, dt.date | None]] = {}
    for sub_id, currency, mrr, start in subs.select(
        "subscription_id", "currency", "mrr", "start_day"
    ).iter_rows():
        if currency == "USD":
            expected[sub_id] = ("USD", Decimal(mrr), None)
            continue
        dated = [(d, r) for d, r in table[currency] if d <= start]
        assert dated, (sub_id, currency, start)  # a rate on or before every start day
        day, rate = max(dated)
        converted = (Decimal(mrr) * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        expected[sub_id] = (currency, converted, day)
    reported = {
        sub_id: (currency, reporting, rate_date)
        for sub_id, currency, reporting, rate_date in query(
            "SELECT subscription_id, currency, mrr_reporting, rate_date FROM marts.subscription_mrr"
        )
    }
    assert reported == expected


def test_churn_and_revenue_marts_agree_in_several_currencies(truth: dict, query: Query) -> None:
    """The returning accounts are in the planted churn too (the generator counts them at risk
    again), and every MRR reader adds up the same converted figures."""
    months = {
        m: (start, lost)
        for m, start, lost in query(
            "SELECT strftime(month, '%Y-%m'), customers_at_start, customers_lost "
            "FROM marts.churn_by_month"
        )
    }
    for month, cell in truth["churn_months"].items():
        assert months[month] == (cell["exposures"], cell["lost"]), month
    assert_reconciles_and_adds_up(query)
    assert_agrees_with_churn_marts(query)
