"""One definition of tenure, customer_since and converted MRR across the churn, revenue, NPS
and segment marts, by hand on `consistency_extracts` (its docstring holds the computation)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from cx_pipeline_tests.conftest import materialize_all, reader, up_to
from cx_pipeline_tests.marts.consistency_extracts import write_consistency_extracts

Query = Callable[..., list[tuple]]

MARTS = (
    "marts.churn_by_segment",
    "marts.mrr_movements",
    "marts.nps_answers",
    "marts.cohort_retention",
    "marts.account_segments",
    "marts.account_features",
)


@pytest.fixture(scope="module")
def query(tmp_path_factory: pytest.TempPathFactory) -> Query:
    root = tmp_path_factory.mktemp("consistency")
    materialize_all(
        write_consistency_extracts(root / "extracts"), root / "cx.duckdb", selection=up_to(*MARTS)
    )

    return reader(root / "cx.duckdb")


def test_answers_take_the_tenure_of_the_spell_running_that_day(query: Query) -> None:
    bands = dict(
        query(
            "SELECT response_id, tenure_band FROM marts.nps_answers "
            "WHERE response_id IN ('R14', 'R16', 'R30', 'R31', 'R32', 'R33')"
        )
    )
    assert bands == {
        "R14": "1-2 years",  # A7 customer since 2024-10-10, 15 months on 2026-01-20
        "R16": "not a customer",  # A7 left on 2026-02-14; answered on 2026-02-20
        "R30": "not a customer",  # after a subscription that was never active
        "R31": "not a customer",  # in A11's ten-month gap
        "R32": "6-11 months",  # A11 back since 2025-09-01
        "R33": "not a customer",  # before A12's first subscription
    }


def test_churn_and_movements_band_tenure_alike(query: Query) -> None:
    churn = {
        (str(m), band): (start, lost)
        for m, band, start, lost in query(
            "SELECT month, segment, customers_at_start, customers_lost "
            "FROM marts.churn_by_segment WHERE segment_type = 'tenure_band'"
        )
        if start
    }
    movements = {
        (str(m), band): (start, lost)
        for m, band, start, lost in query(
            "SELECT month, segment, customers_at_start, churned_customers "
            "FROM marts.mrr_movements WHERE segment_type = 'tenure_band'"
        )
        if start
    }
    assert movements == churn
    assert {band: v for (m, band), v in churn.items() if m == "2026-03-01"} == {
        "0-5 months": (7, 1),
        "6-11 months": (1, 0),
    }
    # A12 arrives in Feb-26 at 0 months, A9 comes back at 0 months: both new to a spell.
    feb_arrivals = query(
        "SELECT segment, new_customers, reactivated_customers FROM marts.mrr_movements "
        "WHERE month = DATE '2026-02-01' AND segment_type = 'tenure_band' "
        "AND new_customers + reactivated_customers > 0"
    )
    assert feb_arrivals == [("0-5 months", 1, 1)]


def test_customer_since_is_the_first_day_ever_active(query: Query) -> None:
    # A11's S20 ends the day it starts: its cohort is Mar-24, where it is new (not a
    # reactivation), and no Jan-24 cohort exists.
    assert query(
        "SELECT DISTINCT customer_since, cohort_month FROM marts.customer_months "
        "WHERE account_id = 'A11'"
    ) == [(date(2024, 3, 1), date(2024, 3, 1))]
    assert query(
        "SELECT new_customers, reactivated_customers, new_mrr FROM marts.mrr_movements "
        "WHERE month = DATE '2024-03-01' AND segment_type = 'all'"
    ) == [(1, 0, 1000)]
    assert query(
        "SELECT cohort_month, cohort_customers FROM marts.cohort_retention "
        "WHERE months_since_start = 0 AND cohort_month < DATE '2024-10-01'"
    ) == [(date(2024, 3, 1), 1)]
    # A5 only ever had a subscription that ended the day it started: still a prospect, in no
    # cohort; A11's tenure is its current spell's.
    segments = dict(
        (r[0], r[1:])
        for r in query(
            "SELECT account_id, customer_since, journey_stage, tenure_band "
            "FROM marts.account_segments WHERE account_id IN ('A5', 'A11')"
        )
    )
    assert segments == {
        "A5": (None, "prospect", "unknown"),
        "A11": (date(2024, 3, 1), "dormant", "6-11 months"),  # no product events
    }
    assert query("SELECT count(*) FROM marts.customer_months WHERE account_id = 'A5'") == [(0,)]


def test_features_tenure_is_the_running_spells(query: Query) -> None:
    # The day before each of A11's answers: R31 in the gap, R32 six months into its return.
    rows = query(
        "SELECT feature_day, customer_since, tenure_months, tenure_band "
        "FROM marts.account_features WHERE account_id = 'A11' "
        "AND feature_day IN (DATE '2024-02-09', DATE '2025-03-09', DATE '2026-03-09') "
        "ORDER BY feature_day"
    )
    assert rows == [
        (date(2024, 2, 9), None, None, "not a customer"),
        (date(2025, 3, 9), date(2024, 3, 1), None, "not a customer"),
        (date(2026, 3, 9), date(2024, 3, 1), 6, "6-11 months"),
    ]
