"""The persona and onboarding marts recover what the generator planted (issue #19): four
personas (power users and three focus personas, events.PERSONAS) and an onboarding moment that
goes with retention (the first contact invites a teammate within 14 days: 70% of accounts still
customers 180 days on, 15% of the others). Generated here, at the small scale, so the test does
not wait for the committed sample to be regenerated."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from cx_pipeline.generate import PERSONA_TRUTH_FILE, generate
from cx_pipeline.marts.builder import sql_parameters
from cx_pipeline.marts.personas import contact_personas
from cx_pipeline.report import page
from cx_pipeline.resources import CxSettings, Warehouse
from cx_pipeline_tests.conftest import materialize_all, reader, up_to

MAJORITY_MATCH = 0.9  # contacts whose found persona's majority planted persona is theirs


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    root = tmp_path_factory.mktemp("planted_usage")
    truth = generate(root / "extracts", scale="small", seed=11, progress=None)
    database = root / "cx.duckdb"
    materialize_all(
        root / "extracts",
        database,
        selection=up_to("marts.persona_summary", "marts.milestone_retention"),
    )
    return database, truth, root / "extracts" / PERSONA_TRUTH_FILE


def adjusted_rand(a: list[str], b: list[str]) -> float:
    """Hubert & Arabie's adjusted Rand index of two labellings, from the contingency table."""
    table = pl.DataFrame({"a": a, "b": b}).group_by("a", "b").len()["len"].to_list()
    rows = pl.Series(a).value_counts()["count"].to_list()
    columns = pl.Series(b).value_counts()["count"].to_list()

    def pairs(counts: list[int]) -> float:
        return sum(c * (c - 1) / 2 for c in counts)

    index, n = pairs(table), len(a)
    expected = pairs(rows) * pairs(columns) / (n * (n - 1) / 2)
    best = (pairs(rows) + pairs(columns)) / 2
    return (index - expected) / (best - expected)


def test_planted_personas_are_recovered(built: tuple[Path, dict[str, Any], Path]) -> None:
    database, _, truth_file = built
    found = pl.DataFrame(
        reader(database)("SELECT contact_id, persona_id FROM marts.contact_personas"),
        schema=["contact_id", "persona_id"],
        orient="row",
    )
    joined = found.join(pl.read_csv(truth_file), on="contact_id")
    assert joined.height == found.height > 200
    majority = joined.group_by("persona_id").agg(
        planted=pl.col("persona").mode().sort().first(),
        matched=(pl.col("persona") == pl.col("persona").mode().sort().first()).sum(),
        contacts=pl.len(),
    )
    assert majority["matched"].sum() / majority["contacts"].sum() > MAJORITY_MATCH
    # Every planted persona leads a found one: none is swallowed by another.
    assert set(majority["planted"]) == set(pl.read_csv(truth_file)["persona"])
    # The three focus personas come out whole (power users may split by how active they are).
    focus = joined.filter(pl.col("persona") != "power user")
    assert adjusted_rand(focus["persona"].to_list(), focus["persona_id"].to_list()) > 0.9


def test_personas_are_named_from_their_planted_features(
    built: tuple[Path, dict[str, Any], Path],
) -> None:
    database, truth, _ = built
    rows = reader(database)(
        "SELECT persona, contacts, description, responses, nps, accounts_lost_pct "
        "FROM marts.persona_summary ORDER BY contacts DESC"
    )
    names = [r[0] for r in rows]
    for persona, features in truth["personas"]["features"].items():
        if persona == "power user":
            continue
        # Its two most used features (the third, picked least, may fall under 15%).
        wanted = {f.replace("_", " ") for f in features[:2]}
        assert any(all(f in name for f in wanted) for name in names), (persona, names)
    assert all(r[2].startswith(r[0] + ": mostly ") for r in rows)
    (given,) = reader(database)("SELECT count(*) FROM marts.contact_personas")[0]
    assert sum(r[1] for r in rows) == given
    assert all(r[3] > 0 and -100 <= r[4] <= 100 and 0 <= r[5] <= 100 for r in rows[:4])


def test_the_same_warehouse_gives_the_same_personas(
    built: tuple[Path, dict[str, Any], Path],
) -> None:
    database, _, _ = built
    stored = pl.DataFrame(
        reader(database)("SELECT * FROM marts.contact_personas ORDER BY contact_id"),
        orient="row",
    )
    with Warehouse(database=str(database), memory_limit="1GB").get_connection() as con:
        again = contact_personas(con, sql_parameters(con, CxSettings()))
    assert stored.rows() == again.sort("contact_id").rows()


def test_the_planted_onboarding_moment_is_the_cornerstone(
    built: tuple[Path, dict[str, Any], Path],
) -> None:
    database, truth, _ = built
    planted = truth["onboarding_milestone"]
    rows = reader(database)(
        "SELECT milestone, retention_lift_points, p_value_holm, cornerstone, "
        "retention_reached_low_95, retention_not_reached_high_95 "
        "FROM marts.milestone_retention WHERE retention_lift_points IS NOT NULL "
        "ORDER BY retention_lift_points DESC"
    )
    top = rows[0]
    assert top[0] == planted["event"]
    assert top[1] > 15 and top[2] < 0.05 and top[3]
    assert top[4] > top[5]  # the two intervals do not overlap


def test_the_report_shows_personas_and_onboarding_moments(
    built: tuple[Path, dict[str, Any], Path],
) -> None:
    database, truth, _ = built
    query = reader(database)
    with duckdb.connect(str(database), read_only=True) as con:  # the two sections of the page
        personas, onboarding = page._personas(con), page._onboarding(con)
    for persona_id, name, contacts in query(
        "SELECT persona_id, persona, contacts FROM marts.persona_summary"
    ):
        assert f"<td>{persona_id} {escape(name)}</td><td>{contacts:,} (" in personas
    assert f"Cornerstone moments: {truth['onboarding_milestone']['event']}" in onboarding
    ((median,),) = query(
        "SELECT median(days_to_reach) FROM marts.onboarding_milestones "
        "WHERE is_value_milestone AND started_in_event_history"
    )
    assert f"median {median:.0f} days" in onboarding
    assert "Source: marts.milestone_retention" in onboarding
