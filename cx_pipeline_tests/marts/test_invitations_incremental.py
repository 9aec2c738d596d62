"""marts.invitation_outcomes kept between runs (kind "keys", key invitation_id): a run rewrites
the invitations whose own inputs changed and those whose usage window holds a day
marts.usage_daily replaced, and the table equals a full rebuild's.

The survey extracts (survey_extracts.py) as of 31 Mar, then the delivery of 1 Apr (the same
CRM snapshot, so no tier moves):
  V10  a late answer of K5 (score 2) submitted on 20 Feb, before I06 was sent (1 Mar): I06's
       last_nps_category goes from unknown to detractor
  K8   two events on 14 Mar, delivered late: usage_daily replaces 14 Mar, inside the window of
       I09 only (sent 15 Mar: 13 Feb to 14 Mar), whose events_30d_before goes from 0 to 2
  K1   one event on 1 Apr, the new day: no invitation is sent after it
Rewritten: I06 and I09 (2 rows); the ten others are kept."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import polars as pl

from cx_pipeline_tests.conftest import materialize_all, up_to
from cx_pipeline_tests.marts import survey_extracts as survey
from cx_pipeline_tests.marts.mart_builds import equal_to_a_full_rebuild, last_build

OUTCOMES = up_to("marts.invitation_outcomes")
NEXT = dt.date(2026, 4, 1)


def outcomes(database: Path) -> dict[str, tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "SELECT invitation_id, last_nps_category, events_30d_before "
            "FROM marts.invitation_outcomes"
        ).fetchall()
    return {invitation: (category, events) for invitation, category, events in rows}


def deliver_next_day(root: Path) -> None:
    for name in ("accounts.csv", "contacts.csv", "subscriptions.csv"):
        folder = root / "crm" / NEXT.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / "crm" / survey.DELIVERY / name, folder / name)
    folder = root / "surveys" / NEXT.isoformat()
    folder.mkdir(parents=True)
    header = survey.NPS_RESPONSES.splitlines()[0]
    (folder / "nps_responses.csv").write_text(
        f"{header}\nV10,K5,P3,rel-q1,relationship,2026-02-20T10:00:00Z,2,Slow\n"
    )
    folder = root / "analytics" / NEXT.isoformat()
    folder.mkdir(parents=True)
    pl.DataFrame(
        {
            "event_id": ["N1", "N2", "N3"],
            "contact_id": ["K8", "K8", "K1"],
            "account_id": ["P4", "P4", "P1"],
            "occurred_at": [
                dt.datetime(2026, 3, 14, 12, tzinfo=dt.UTC),
                dt.datetime(2026, 3, 14, 13, tzinfo=dt.UTC),
                dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC),
            ],
            "event_name": ["login"] * 3,
            "session_id": ["n1", "n2", "n3"],
            "properties": pl.Series([None] * 3, dtype=pl.String),
        }
    ).write_parquet(folder / "events.parquet")


def test_a_late_answer_and_a_late_event_rewrite_only_the_invitations_they_reach(
    tmp_path: Path,
) -> None:
    root = survey.write_survey_extracts(tmp_path / "extracts")
    database = tmp_path / "cx.duckdb"
    materialize_all(root, database, selection=OUTCOMES)
    assert last_build(database, "invitation_outcomes") == ("full", "first build", 12)
    before = outcomes(database)
    assert before["I06"] == ("unknown", 0) and before["I09"] == ("detractor", 0)

    deliver_next_day(root)
    materialize_all(root, database, days=(NEXT, NEXT), selection=OUTCOMES)
    assert last_build(database, "invitation_outcomes") == (
        "incremental",
        "keys with changed inputs or usage days only",
        2,
    )
    after = outcomes(database)
    assert {k for k in after if after[k] != before[k]} == {"I06", "I09"}
    assert after["I06"] == ("detractor", 0) and after["I09"] == ("detractor", 2)

    equal_to_a_full_rebuild(database, root, (NEXT, NEXT), OUTCOMES, ("invitation_outcomes",))
