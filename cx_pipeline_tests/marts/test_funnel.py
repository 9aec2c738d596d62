"""The journey funnel on tiny events worked out by hand, under other settings, and the funnel the
generator planted in the sample."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from cx_pipeline import catalog
from cx_pipeline.generate import TRUTH_FILE
from cx_pipeline.marts.builder import load_spec, run_mart_sql, sql_parameters
from cx_pipeline.resources import CxSettings, Warehouse
from cx_pipeline_tests.conftest import SAMPLE_ROOT, materialize_all, reader
from cx_pipeline_tests.marts.funnel_extracts import write_funnel_extracts

Query = Callable[..., list[tuple]]
RATE_TOLERANCE_SE = 3.0
COUNTS = (
    "SELECT segment, list(contacts ORDER BY step_number) FROM marts.journey_funnel "
    "WHERE dimension = $dimension GROUP BY segment"
)


@pytest.fixture(scope="module")
def tiny_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("funnel")
    database = root / "cx.duckdb"
    selection = dg.AssetSelection.assets(catalog.key("marts", "journey_funnel")).upstream()
    materialize_all(write_funnel_extracts(root / "extracts"), database, selection=selection)
    return database


def rerun(database: Path, tmp_path: Path, **settings: Any) -> Query:
    """journey_funnel.sql again on a copy of the tiny warehouse, under other settings."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(database, copy)
    with Warehouse(database=str(copy), memory_limit="1GB").get_connection() as con:
        run_mart_sql(
            con, load_spec("journey_funnel").sql, sql_parameters(con, CxSettings(**settings))
        )
    return reader(copy)


def test_funnel_by_hand(tiny_database: Path) -> None:
    rows = reader(tiny_database)(
        "SELECT step_number, step, contacts, conversion_from_previous_pct, "
        "conversion_from_first_pct, drop_off FROM marts.journey_funnel "
        "WHERE dimension = 'all' ORDER BY step_number"
    )
    # 5 -> 3 -> 2 -> 1 (see funnel_extracts.py).
    assert rows == [
        (1, "signup", 5, None, 100.0, None),
        (2, "onboarding_completed", 3, 60.0, 60.0, 2),
        (3, "first_report_created", 2, pytest.approx(200 / 3), 40.0, 1),
        (4, "report_created", 1, 50.0, 20.0, 1),
    ]


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        ("cohort_month", {"2026-01": [3, 2, 1, 1], "2026-02": [2, 1, 1, 0]}),
        ("region", {"North America": [2, 1, 1, 1], "EMEA": [2, 1, 1, 0], "APAC": [1, 1, 0, 0]}),
        (
            "revenue_tier",
            {"SMB": [2, 1, 1, 1], "mid-market": [2, 1, 1, 0], "enterprise": [1, 1, 0, 0]},
        ),
    ],
)
def test_funnel_segments_by_hand(tiny_database: Path, dimension: str, expected: dict) -> None:
    assert dict(reader(tiny_database)(COUNTS, {"dimension": dimension})) == expected


def test_a_step_nobody_reached_has_no_conversion(tiny_database: Path) -> None:
    """APAC: 1 -> 1 -> 0 -> 0; from 0 contacts there is nothing to convert."""
    rows = reader(tiny_database)(
        "SELECT conversion_from_previous_pct, drop_off FROM marts.journey_funnel "
        "WHERE segment = 'APAC' ORDER BY step_number"
    )
    assert rows == [(None, None), (100.0, 0), (0.0, 1), (None, 0)]


def test_cohorts_follow_the_reporting_timezone(tiny_database: Path, tmp_path: Path) -> None:
    """C4 signed up 31 Jan 23:30 UTC, 1 Feb 08:30 in Tokyo: it moves to the February cohort."""
    query = rerun(tiny_database, tmp_path, timezone="Asia/Tokyo", as_of="2026-03-31")
    assert dict(query(COUNTS, {"dimension": "cohort_month"})) == {
        "2026-01": [2, 1, 1, 1],
        "2026-02": [3, 2, 1, 0],
    }


def test_funnel_steps_come_from_the_setting(tiny_database: Path, tmp_path: Path) -> None:
    """signup -> report_created -> report_created: a repeated step needs a second event. C1 has
    reports on 8 and 9 Jan (3 steps); C3 one report after signing up (2 steps)."""
    query = rerun(
        tiny_database,
        tmp_path,
        funnel_steps="signup, report_created,report_created",
        as_of="2026-03-31",
    )
    assert query(COUNTS, {"dimension": "all"}) == [("all", [5, 2, 1])]
    assert [r[0] for r in query("SELECT DISTINCT step FROM marts.journey_funnel ORDER BY 1")] == [
        "report_created",
        "signup",
    ]


def test_planted_funnel_is_recovered(sample_query: Query) -> None:
    truth = json.loads((SAMPLE_ROOT / TRUTH_FILE).read_text())["funnel"]
    reached = dict(
        sample_query("SELECT step, contacts FROM marts.journey_funnel WHERE dimension = 'all'")
    )
    # Every funnel event is delivered by the as-of date, so the counts are exact...
    for step, contacts in truth["contacts_reaching_step"].items():
        assert reached[step] == contacts, step
    # ...and the conversions estimate the planted rates within their sampling error.
    planted = truth["planted_rates"]
    for step, previous, rate in (
        ("onboarding_completed", "signup", planted["onboarding_completed_given_signup"]),
        (
            "first_report_created",
            "onboarding_completed",
            planted["first_report_created_given_onboarding"],
        ),
    ):
        se = math.sqrt(rate * (1 - rate) / reached[previous])
        assert abs(reached[step] / reached[previous] - rate) <= RATE_TOLERANCE_SE * se, step
    # Cohorts, regions and tiers each partition the same contacts.
    totals = sample_query(
        "SELECT dimension, sum(contacts) FROM marts.journey_funnel WHERE step_number = 1 "
        "GROUP BY dimension"
    )
    assert {n for _, n in totals} == {truth["contacts_reaching_step"]["signup"]}
