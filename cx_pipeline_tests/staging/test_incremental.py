"""Incremental staging: a day delivered, delivered again with changes, or erased, leaves staging
exactly as a build from scratch would."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from cx_pipeline.contract import ENTITIES
from cx_pipeline.staging.incremental import note_raw_rewrite
from cx_pipeline_tests.conftest import materialize_all
from cx_pipeline_tests.tiny_extracts import AS_OF, DELIVERY, write_tiny_extracts

EVENT_ENTITIES = [e for e in ENTITIES if e.delivery == "events"]
UP_TO_STAGING = dg.AssetSelection.groups("raw", "staging")
NEXT_DAY = "2026-04-01"
HEADER = "response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,score,comment\n"


def staging_tables(database: Path) -> dict[str, list[tuple]]:
    """Every entity's staging table, the identity map, and the event pairs it is counted from
    (kept by the events' step, so an incremental build moves them instead of counting)."""
    names = [e.name for e in ENTITIES] + ["identity_map", "_event_pairs"]
    with duckdb.connect(str(database), read_only=True) as con:
        return {
            name: con.execute(f"SELECT * FROM staging.{name} ORDER BY ALL").fetchall()
            for name in names
        }


def builds(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "SELECT entity, mode, reason, changed_days FROM audit.staging_builds "
            "WHERE entity = 'surveys.nps_responses' ORDER BY built_at"
        ).fetchall()


def deliver_next_day(root: Path, rows: str, events: pl.DataFrame | None = None) -> None:
    """Every source delivers the next day: the same files, but these survey answers (and
    these events)."""
    for source in sorted({e.source for e in ENTITIES}):
        folder = root / source / NEXT_DAY
        folder.mkdir(parents=True, exist_ok=True)
        for path in (root / source / DELIVERY).iterdir():
            shutil.copy(path, folder / path.name)
    (root / "surveys" / NEXT_DAY / "nps_responses.csv").write_text(HEADER + rows)
    if events is not None:
        events.write_parquet(root / "analytics" / NEXT_DAY / "events.parquet")


def run(root: Path, database: Path, day: str) -> None:
    d = dt.date.fromisoformat(day)
    materialize_all(root, database, days=(d, d), selection=UP_TO_STAGING, as_of=AS_OF.isoformat())


def test_a_redelivered_day_replaces_exactly_its_keys(tmp_path: Path) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    database = tmp_path / "cx.duckdb"
    run(root, database, DELIVERY)
    # Next day: R05 changes its score, R20 is new; event E2 is C1's after all, E4 is new and
    # anonymous, from a device C1 used (so the device links to C1).
    events = pl.read_parquet(root / "analytics" / DELIVERY / "events.parquet")
    changed = pl.concat(
        [
            events.with_columns(
                contact_id=pl.when(pl.col("event_id") == "E2")
                .then(pl.lit("C1"))
                .otherwise(pl.col("contact_id")),
                anonymous_id=pl.when(pl.col("event_id") == "E1").then(pl.lit("dev-9")),
            ),
            events.head(1).with_columns(
                event_id=pl.lit("E4"),
                contact_id=pl.lit(None, pl.String),
                anonymous_id=pl.lit("dev-9"),
            ),
        ],
        how="diagonal",
    )
    deliver_next_day(
        root,
        "R05,C1,A1,rel-q1,relationship,2026-01-01T00:00:00Z,3,Changed my mind\n"
        "R20,C2,A1,rel-q1,in_app,2026-03-31T10:00:00Z,10,\n",
        changed,
    )
    run(root, database, NEXT_DAY)
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute(
            "SELECT response_id, score FROM staging.nps_responses "
            "WHERE response_id IN ('R05', 'R20') ORDER BY 1"
        ).fetchall() == [("R05", 3), ("R20", 10)]
        assert con.execute(
            "SELECT contact_id, anonymous_id, rows FROM staging._event_pairs ORDER BY ALL"
        ).fetchall() == [("C1", "dev-9", 1), ("C1", None, 1), ("C4", None, 1), (None, "dev-9", 1)]
        assert con.execute(
            "SELECT contact_id, rule, rows FROM staging.identity_map "
            "WHERE identifier_type = 'anonymous_id'"
        ).fetchall() == [("C1", "anonymous_id", 2)]
        # The counted links are the resolved events' links, counted.
        link = "contact_id, account_id, anonymous_id, identity_rule, identity_status"
        counted = f"SELECT {link}, sum(rows) FROM staging.resolved_event_pairs GROUP BY ALL"
        each = f"SELECT {link}, count(*) FROM staging.resolved_events GROUP BY ALL"
        assert (
            con.execute(f"{counted} ORDER BY ALL").fetchall()
            == con.execute(f"{each} ORDER BY ALL").fetchall()
        )
    # The day again, corrected: R20 was a test answer, R05 unchanged after all.
    # Counts kept by another rule (another release's, say) are found out and counted afresh.
    with duckdb.connect(str(database)) as con:
        con.execute("UPDATE staging._event_pairs SET rows = rows + 1 WHERE contact_id = 'C4'")
    deliver_next_day(root, "")
    run(root, database, NEXT_DAY)

    fresh = tmp_path / "fresh.duckdb"
    materialize_all(root, fresh, selection=UP_TO_STAGING, as_of=AS_OF.isoformat())
    assert staging_tables(database) == staging_tables(fresh)
    assert builds(database) == [
        ("surveys.nps_responses", "full", "first build", []),
        (
            "surveys.nps_responses",
            "incremental",
            "new or redelivered days only",
            [dt.date(2026, 4, 1)],
        ),
        (
            "surveys.nps_responses",
            "incremental",
            "new or redelivered days only",
            [dt.date(2026, 4, 1)],
        ),
    ]


def test_raw_rewritten_in_place_forces_a_full_build(tmp_path: Path) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    database = tmp_path / "cx.duckdb"
    run(root, database, DELIVERY)
    run(root, database, DELIVERY)  # the day loaded again: an increment of that day
    with duckdb.connect(str(database)) as con:
        note_raw_rewrite(con, "test")
    run(root, database, DELIVERY)
    assert [(mode, reason, days) for _, mode, reason, days in builds(database)] == [
        ("full", "first build", []),
        ("incremental", "new or redelivered days only", [dt.date(2026, 3, 31)]),
        ("full", "raw was rewritten in place (erasure or retention purge)", []),
    ]
