"""Onboarding milestones and their retention on tiny events worked out by hand
(onboarding_extracts.py)."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import dagster as dg
import pytest

from cx_pipeline import catalog, settings
from cx_pipeline.marts.builder import build_in_full, load_spec, sql_parameters
from cx_pipeline.resources import CxSettings, Warehouse
from cx_pipeline_tests.conftest import Query, materialize_all, reader
from cx_pipeline_tests.marts.onboarding_extracts import SETTINGS, write_onboarding_extracts

D = dt.date


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("onboarding")
    database = root / "cx.duckdb"
    selection = dg.AssetSelection.assets(catalog.key("marts", "milestone_retention")).upstream()
    materialize_all(
        write_onboarding_extracts(root / "extracts"), database, selection=selection, **SETTINGS
    )
    return database


@pytest.fixture(scope="module")
def query(database: Path) -> Query:
    return reader(database)


def agresti_coull(x: int, n: int) -> tuple[float, float]:
    """The adjusted Wald 95% interval of x / n in percent, written out independently."""
    z = 1.959964
    p = (x + z**2 / 2) / (n + z**2)
    half = z * math.sqrt(p * (1 - p) / (n + z**2))
    return 100 * max(0.0, p - half), 100 * min(1.0, p + half)


def test_milestones_by_hand(query: Query) -> None:
    rows = query(
        "SELECT account_id, milestone, customer_since, reached_on, days_to_reach, reached_early, "
        "is_value_milestone, started_in_event_history FROM marts.onboarding_milestones "
        "ORDER BY account_id, milestone_number"
    )
    by_key = {(r[0], r[1]): r[2:] for r in rows}
    assert len(rows) == 5 * 3  # A1 A2 A3 A4 A6 x three milestones (A5 was never a customer)
    s1, s2, s3, s4, s6 = (
        D(2025, 10, 15),
        D(2025, 10, 20),
        D(2025, 11, 5),
        D(2025, 12, 3),
        D(2025, 10, 1),
    )
    assert by_key["A1", "any_event"] == (s1, D(2025, 10, 16), 1, True, False, True)
    assert by_key["A1", "user_invited"] == (s1, D(2025, 10, 20), 5, True, True, True)
    assert by_key["A1", "active_users:2"] == (s1, D(2025, 10, 22), 7, True, False, True)
    assert by_key["A2", "any_event"] == (s2, D(2025, 10, 19), -1, True, False, True)
    assert by_key["A2", "user_invited"] == (s2, D(2025, 10, 28), 8, False, True, True)
    assert by_key["A2", "active_users:2"] == (s2, None, None, False, False, True)
    assert by_key["A3", "user_invited"] == (s3, D(2025, 11, 7), 2, True, True, True)
    assert by_key["A3", "active_users:2"] == (s3, None, None, False, False, True)
    assert by_key["A4", "any_event"] == (s4, D(2025, 12, 5), 2, True, False, True)
    assert by_key["A4", "user_invited"] == (s4, None, None, False, True, True)
    assert by_key["A6", "any_event"] == (s6, D(2025, 10, 10), 9, False, False, False)


def test_milestone_retention_by_hand(query: Query) -> None:
    rows = query(
        "SELECT milestone, accounts, reached, reached_pct, median_days_to_reach, "
        "retained_reached, retention_reached_pct, not_reached, retained_not_reached, "
        "retention_not_reached_pct, retention_lift_points, p_value, p_value_holm, cornerstone "
        "FROM marts.milestone_retention ORDER BY milestone_number"
    )
    first, invited, users = rows
    assert first == ("any_event", 4, 4, 100.0, 1.0, 2, 50.0, 0, 0, None, None, None, None, False)
    assert invited[:10] == ("user_invited", 4, 2, 50.0, 3.5, 2, 100.0, 2, 0, 0.0)
    assert invited[10] == pytest.approx(100.0)
    assert invited[11] == pytest.approx(0.0455003, abs=1e-6)  # z = 2
    assert invited[12] == pytest.approx(0.0910006, abs=1e-6)  # Holm: 2 x p
    assert invited[13] is False  # 0.091 is not below 0.05
    assert users[:10] == ("active_users:2", 4, 1, 25.0, 7.0, 1, 100.0, 3, 1, pytest.approx(100 / 3))
    assert users[10] == pytest.approx(200 / 3)
    assert users[11] == pytest.approx(0.2482131, abs=1e-6)  # z = 1.1547005
    assert users[12] == pytest.approx(0.2482131, abs=1e-6)  # Holm: 1 x p, above the first
    assert users[13] is False


def test_retention_intervals_are_adjusted_wald(query: Query) -> None:
    rows = query(
        "SELECT retained_reached, reached, retention_reached_low_95, retention_reached_high_95, "
        "retained_not_reached, not_reached, retention_not_reached_low_95, "
        "retention_not_reached_high_95 FROM marts.milestone_retention "
        "WHERE milestone = 'active_users:2'"
    )
    x1, n1, low1, high1, x2, n2, low2, high2 = rows[0]
    assert (low1, high1) == pytest.approx(agresti_coull(x1, n1))
    assert (low2, high2) == pytest.approx(agresti_coull(x2, n2))
    assert low1 < 100.0 and high1 == 100.0 and 0.0 < low2 < 100 / 3 < high2


def test_an_empty_group_has_no_interval(query: Query) -> None:
    rows = query(
        "SELECT retention_not_reached_low_95, retention_not_reached_high_95 "
        "FROM marts.milestone_retention WHERE milestone = 'any_event'"
    )
    assert rows == [(None, None)]


def test_the_window_is_read_in_the_reporting_timezone(database: Path, tmp_path: Path) -> None:
    """E04 (22 Oct 23:30 UTC) is 23 Oct in Tokyo: A1's second user comes on day 8, late."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(database, copy)
    settings = CxSettings(timezone="Asia/Tokyo", **SETTINGS)  # type: ignore[arg-type]
    with Warehouse(database=str(copy), memory_limit="1GB").get_connection() as con:
        parameters = sql_parameters(con, settings)
        for name in ("usage_daily", "onboarding_milestones"):  # the events' days, then the mart
            build_in_full(con, load_spec(name), parameters)
    rows = reader(copy)(
        "SELECT days_to_reach, reached_early FROM marts.onboarding_milestones "
        "WHERE account_id = 'A1' AND milestone = 'active_users:2'"
    )
    assert rows == [(8, False)]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CX_ONBOARDING_MILESTONES": "signup,active_users:x"}, "expected active_users:N"),
        ({"CX_ONBOARDING_VALUE_MILESTONE": "report_exported"}, "expected one of"),
        ({"CX_ONBOARDING_WINDOW_DAYS": "0"}, "expected a whole number, 1 or more"),
        ({"CX_PERSONAS": "1"}, "expected 'auto' or a whole number, 2 or more"),
    ],
)
def test_bad_onboarding_and_persona_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    found = settings.problems()
    assert len(found) == 1 and next(iter(env)) in found[0] and named in found[0]


def test_the_default_settings_are_valid() -> None:
    assert settings.ONBOARDING_VALUE_MILESTONE.default in settings.ONBOARDING_MILESTONES.default
    assert CxSettings().milestone_list()[0] == "any_event"
    assert CxSettings().persona_count() == 0  # auto
