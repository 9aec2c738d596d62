"""Behavioural personas on usage worked out by hand, the silhouette against a hand computation,
and stability: the same events give the same personas and names, whatever their row order.

The usage (as of 2026-03-31; the persona window is the 90 days from 1 Jan 2026):
  R1-R4  report_created 4+i times and dashboard_viewed twice, over 3 days (i = 0..3)
  S1-S4  survey_sent 4+i times and segment_created twice, over 3 days
  H1-H3  one event a day on 24 + i days, cycling through six features (4+ each)
  every contact also signs up once (a one-time event: left out), and X1 has only 4 events
  (below persona_min_events(): no persona); Y1's events are all before the window.
Three tight, far-apart groups: 'auto' picks k = 3 (the silhouette falls when a group is split).
Order: R and S have 4 contacts each, H 3; the tie goes by name ('...report' < '...survey').
Names:
  R  3 active days in 90 = 1 in 30, under 4: occasional users; mean shares report_created
     (4/6 + 5/7 + 6/8 + 7/9) / 4 = 72.7%, dashboard_viewed 27.3%
  S  the same with survey_sent and segment_created
  H  24-26 active days in 90 = 8-8.7 in 30 (median 25: 8.33), 6 features: power users
     (is_power_user: 8 days and 5 features); shares about 1/6 each, the top three by share
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cx_pipeline.marts import personas as personas_module
from cx_pipeline.marts.builder import build_in_full, load_spec
from cx_pipeline.marts.personas import COLUMNS, contact_personas, silhouette
from cx_pipeline.resources import Warehouse

AS_OF = dt.date(2026, 3, 31)
H_FEATURES = (
    "alert_configured",
    "automation_run",
    "comment_added",
    "integration_connected",
    "user_invited",
    "segment_created",
)


def usage_rows() -> list[tuple[str, str, dt.datetime, str]]:
    rows: list[tuple[str, str, dt.datetime, str]] = []
    start = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)

    def add(contact: str, account: str, day: int, name: str, minute: int = 0) -> None:
        rows.append((contact, account, start + dt.timedelta(days=day, minutes=minute), name))

    for group, (main, other) in {
        "R": ("report_created", "dashboard_viewed"),
        "S": ("survey_sent", "segment_created"),
    }.items():
        for i in range(4):
            contact = f"{group}{i + 1}"
            add(contact, f"A{group}", 0, "signup")
            for k in range(4 + i):
                add(contact, f"A{group}", k % 3, main, k)
            add(contact, f"A{group}", 0, other, 30)
            add(contact, f"A{group}", 1, other, 30)
    for i in range(3):
        contact = f"H{i + 1}"
        add(contact, "AH", 0, "signup", 1)
        for day in range(24 + i):
            add(contact, "AH", day, H_FEATURES[day % 6], 2)
    for k in range(4):
        add("X1", "AX", k, "report_created")
    add("X1", "AX", 0, "signup", 5)
    for k in range(6):
        add("Y1", "AY", -40 + k, "report_created")
    add("Y1", "AY", -40, "signup", 5)
    return rows


def build(
    path: Path, rows: list[tuple[str, str, dt.datetime, str]], personas: int = 0
) -> pl.DataFrame:
    """contact_personas on these events (a real DuckDB with the rules' macros), read through
    marts.usage_daily as the pipeline does."""
    with Warehouse(database=str(path), memory_limit="1GB").get_connection() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS staging")
        con.execute(
            "CREATE OR REPLACE TABLE staging.resolved_events (contact_id VARCHAR, "
            "account_id VARCHAR, occurred_at TIMESTAMPTZ, event_name VARCHAR)"
        )
        if rows:
            con.executemany("INSERT INTO staging.resolved_events VALUES (?, ?, ?, ?)", rows)
        parameters = {"as_of": AS_OF, "timezone": "UTC", "personas": personas}
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        build_in_full(con, load_spec("usage_daily"), parameters)  # what personas read
        return contact_personas(con, parameters)


@pytest.fixture(scope="module")
def personas(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    return build(tmp_path_factory.mktemp("personas") / "cx.duckdb", usage_rows())


def test_personas_by_hand(personas: pl.DataFrame) -> None:
    by_contact = {r["contact_id"]: r for r in personas.iter_rows(named=True)}
    assert set(by_contact) == {f"{g}{i}" for g in "RS" for i in range(1, 5)} | {"H1", "H2", "H3"}
    names = {
        "P1": "occasional users of report created and dashboard viewed",
        "P2": "occasional users of survey sent and segment created",
        "P3": "power users of alert configured, automation run and comment added",
    }
    for contact, row in by_contact.items():
        expected = {"R": "P1", "S": "P2", "H": "P3"}[contact[0]]
        assert (row["persona_id"], row["persona"]) == (expected, names[expected])
    assert by_contact["R1"]["persona_top_features"] == "report created 73%, dashboard viewed 27%"
    r4 = by_contact["R4"]  # 7 reports + 2 dashboard views over 3 days; its signup left out
    assert (r4["events"], r4["active_days"], r4["features_used"], r4["top_feature"]) == (
        9,
        3,
        2,
        "report_created",
    )
    assert by_contact["H3"]["active_days"] == 26 and by_contact["H3"]["features_used"] == 6
    assert {r["account_id"] for r in by_contact.values() if r["persona_id"] == "P3"} == {"AH"}


def test_the_number_of_personas_can_be_set(tmp_path: Path) -> None:
    two = build(tmp_path / "cx.duckdb", usage_rows(), personas=2)
    assert two["persona_id"].n_unique() == 2


def test_same_events_give_the_same_personas_and_names(
    personas: pl.DataFrame, tmp_path: Path
) -> None:
    again = build(tmp_path / "again.duckdb", usage_rows())
    shuffled_rows = usage_rows()
    np.random.default_rng(3).shuffle(shuffled_rows)  # type: ignore[arg-type]
    shuffled = build(tmp_path / "shuffled.duckdb", shuffled_rows)
    assert again.equals(personas)
    assert shuffled.equals(personas)


def test_silhouette_by_hand() -> None:
    """Points 0, 1 | 10, 11 on a line. Point 0: a = 1, b = (10 + 11) / 2 = 10.5, s = 9.5 / 10.5;
    point 1: a = 1, b = (9 + 10) / 2 = 9.5, s = 8.5 / 9.5; the other two mirror them."""
    x = np.array([[0.0], [1.0], [10.0], [11.0]])
    expected = (9.5 / 10.5 + 8.5 / 9.5) / 2
    assert silhouette(x, np.array([0, 0, 1, 1])) == pytest.approx(expected)
    # A point alone in its cluster scores 0. Clusters {0} {1} {10, 11}: point 10 has a = 1 and
    # b = min(10, 9) = 9, s = 8 / 9; point 11: a = 1, b = min(11, 10) = 10, s = 9 / 10.
    assert silhouette(x, np.array([0, 1, 2, 2])) == pytest.approx((0 + 0 + 8 / 9 + 9 / 10) / 4)


def test_no_usage_gives_an_empty_table(tmp_path: Path) -> None:
    frame = build(tmp_path / "cx.duckdb", [])
    assert frame.is_empty() and frame.columns == list(COLUMNS)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_k_means_stopping_at_a_fixed_point_equals_every_iteration(seed: int) -> None:
    """_kmeans stops once the centres no longer move; kmeans2 with all ITERATIONS gives the
    same labels and inertia from the same starts."""
    import warnings

    from scipy.cluster.vq import kmeans2

    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(c, 1.0, (300, 4)) for c in (0.0, 2.5, 5.0, 7.5)])
    labels, inertia = personas_module._kmeans(x, 4)
    starts = np.random.default_rng(personas_module.SEED)
    best = None
    for _ in range(personas_module.RESTARTS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            centres, every = kmeans2(x, 4, iter=personas_module.ITERATIONS, minit="++", rng=starts)
        total = float(((x - centres[every]) ** 2).sum())
        if best is None or total < best[1] - 1e-9:
            best = (np.unique(every, return_inverse=True)[1], total)
    assert best is not None
    assert np.array_equal(labels, best[0]) and inertia == best[1]
