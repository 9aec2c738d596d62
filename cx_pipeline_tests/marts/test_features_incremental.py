"""marts.account_features kept between runs: a run computes only the cut-offs its changes can
reach, and the table then equals a full rebuild's, row for row.

On the committed sample: days 29 and 30 Oct first (a full build), then the delivery of 31 Oct
(new tickets, answers, events and CRM snapshots; the as-of date moves a day, so yesterday's
as-of rows go and today's come). On tiny extracts, by hand: what one changed ticket, one new
answer and one changed account attribute recompute, and what they leave alone.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb

from cx_pipeline.sql import literal
from cx_pipeline_tests.conftest import SAMPLE_ROOT, materialize_all, up_to
from cx_pipeline_tests.warehouse_diff import mart_differences

FEATURES = up_to("marts.account_features")


def last_build(database: Path) -> tuple:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "SELECT mode, reason, rows_written FROM audit.mart_builds "
            "WHERE mart = 'account_features' ORDER BY built_at DESC LIMIT 1"
        ).fetchone()


def test_a_new_day_on_the_sample_equals_a_full_rebuild(tmp_path: Path) -> None:
    database = tmp_path / "cx.duckdb"
    first, last = dt.date(2026, 10, 29), dt.date(2026, 10, 31)
    materialize_all(
        SAMPLE_ROOT, database, days=(first, last - dt.timedelta(days=1)), selection=FEATURES
    )
    assert last_build(database)[:2] == ("full", "first build")

    materialize_all(SAMPLE_ROOT, database, days=(last, last), selection=FEATURES)
    mode, reason, rows_written = last_build(database)
    assert (mode, reason) == ("incremental", "changed inputs, usage days and new cut-offs only")

    full = tmp_path / "full.duckdb"
    shutil.copy(database, full)
    materialize_all(SAMPLE_ROOT, full, days=(last, last), selection=FEATURES, full_rebuild=True)
    assert last_build(full)[:2] == ("full", "CX_FULL_REBUILD is set")
    with duckdb.connect() as con:
        con.execute(f"ATTACH {literal(str(database))} AS kept (READ_ONLY)")
        con.execute(f"ATTACH {literal(str(full))} AS rebuilt (READ_ONLY)")
        assert mart_differences(con, "kept", "rebuilt", ("account_features",)) == {}
        total = con.execute("SELECT count(*) FROM rebuilt.marts.account_features").fetchone()[0]
    # Far fewer rows recomputed than a full build writes.
    assert 0 < rows_written < total / 5, (rows_written, total)
