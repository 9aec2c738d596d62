"""Loads are all-or-nothing: rerunning them changes nothing, and killing one changes nothing.

A delivery is replaced by a DELETE and an INSERT in one transaction, so a rerun must not
duplicate rows and a load that dies half way (OOM killer, a cancelled run, a pulled plug) must
leave the day exactly as the last committed load left it.
"""

from __future__ import annotations

import datetime as dt
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl

from cx_pipeline.contract import ENTITIES, entity
from cx_pipeline.ingest.extracts import find_deliveries
from cx_pipeline.ingest.loader import load_delivery
from cx_pipeline.resources import Warehouse
from cx_pipeline_tests.conftest import REPO_ROOT, SAMPLE_ROOT, WAREHOUSE_ONLY, materialize_all

COUNTED_SCHEMAS = ("raw", "quarantine", "staging", "marts")
DAY = dt.date(2026, 1, 1)
HEADER = "response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,score,comment\n"
SMALL_DELIVERY = HEADER + (
    "R1,C1,A1,rel-2026Q1,relationship,2026-01-01T10:00:00Z,9,\n"
    "R2,C2,A1,rel-2026Q1,support,2026-01-01T11:00:00Z,3,Slow replies\n"
    "R3,C3,A2,rel-2026Q1,renewal,2026-01-01T12:00:00Z,11,\n"
)
SMALL_COUNTS = (3, 1)  # (raw rows, quarantined rows) of SMALL_DELIVERY
# Several row groups (122,880 rows each): DuckDB writes the first ones into the database file
# while the INSERT is still running, and commits well after that (about 0.6 s later on 2 cores).
BIG_ROWS = 300_000
OUT_OF_RANGE_EVERY = 1_000  # every 1000th row of the big file has score 11

# Run in a child process so that it can be SIGKILLed like a real crash: no ROLLBACK, no close.
KILLED_LOAD = """
import datetime as dt
import sys
from pathlib import Path

from cx_pipeline.contract import entity
from cx_pipeline.ingest.extracts import find_deliveries
from cx_pipeline.ingest.loader import load_delivery
from cx_pipeline.resources import Warehouse

root, database = Path(sys.argv[1]), sys.argv[2]
nps = entity("nps_responses")
(delivery,) = find_deliveries(root, nps)
with Warehouse(database=database, memory_limit="1GB").get_connection() as con:
    print("loading", flush=True)
    load_delivery(con, nps, delivery, root, dt.datetime.now(dt.UTC))
    print("committed", flush=True)
"""


def snapshot(database: Path) -> tuple[dict[str, int], int]:
    """Row counts of every raw/quarantine/staging/marts table, and of audit.loads (one connection:
    a connection per table would cost more than the counts)."""
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE schema_name IN $schemas ORDER BY ALL",
            {"schemas": list(COUNTED_SCHEMAS)},
        ).fetchall()
        counts = {
            f"{schema}.{table}": con.execute(
                f'SELECT count(*) FROM "{schema}"."{table}"'
            ).fetchone()[0]
            for schema, table in tables
        }
        return counts, con.execute("SELECT count(*) FROM audit.loads").fetchone()[0]


def test_loading_the_sample_twice_leaves_identical_counts(
    tmp_path: Path, sample_warehouse: Path
) -> None:
    """Every asset replaces what it owns, so a second run over the same extracts is a no-op
    for the data; only the audit trail records that it ran. The first run is the session's
    sample warehouse, copied."""
    files_per_run = sum(len(d.files) for e in ENTITIES for d in find_deliveries(SAMPLE_ROOT, e))
    database = tmp_path / "cx.duckdb"
    shutil.copyfile(sample_warehouse, database)

    first, first_loads = snapshot(database)
    materialize_all(SAMPLE_ROOT, database, selection=WAREHOUSE_ONLY)
    second, second_loads = snapshot(database)

    assert {name.split(".")[0] for name in first} == set(COUNTED_SCHEMAS)
    assert first["raw.nps_responses"] > 0
    assert second == first
    assert (first_loads, second_loads) == (files_per_run, 2 * files_per_run)


def write_big_delivery(path: Path, rows: int) -> int:
    """A valid nps_responses file with a score-11 row every OUT_OF_RANGE_EVERY rows; returns
    how many of those it planted."""
    i = pl.int_range(rows, dtype=pl.Int64)
    touchpoints = pl.lit(pl.Series(["relationship", "onboarding", "support", "renewal", "in_app"]))
    pl.select(
        response_id=pl.format("R{}", i),
        contact_id=pl.format("C{}", i % 1_000),
        account_id=pl.format("A{}", i % 100),
        survey_id=pl.lit("rel-2026Q1"),
        touchpoint=touchpoints.gather(i % 5),
        submitted_at=pl.lit("2026-01-01T10:00:00Z"),
        score=pl.when(i % OUT_OF_RANGE_EVERY == 0).then(11).otherwise(i % 11),
        comment=pl.lit(""),
    ).write_csv(path)
    return len(range(0, rows, OUT_OF_RANGE_EVERY))


def day_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(raw rows, quarantined rows) of the test's delivery day."""
    raw, quarantined = (
        con.execute(
            f"SELECT count(*) FROM {schema}.nps_responses WHERE _delivery_date = $day",
            {"day": DAY},
        ).fetchone()[0]
        for schema in ("raw", "quarantine")
    )
    return raw, quarantined


def test_a_load_killed_part_way_leaves_the_previous_state(tmp_path: Path) -> None:
    """SIGKILL gives the loader no chance to ROLLBACK, and DuckDB has already written some new
    rows into the file: only its recovery (blocks of an uncommitted transaction are referenced by
    nothing, and the WAL is only written at COMMIT) keeps the old day intact."""
    root = tmp_path / "extracts"
    csv_file = root / "surveys" / DAY.isoformat() / "nps_responses.csv"
    csv_file.parent.mkdir(parents=True)
    csv_file.write_text(SMALL_DELIVERY)
    database = tmp_path / "cx.duckdb"
    warehouse = Warehouse(database=str(database), memory_limit="1GB")
    nps = entity("nps_responses")
    with warehouse.get_connection() as con:
        (delivery,) = find_deliveries(root, nps)
        load_delivery(con, nps, delivery, root, dt.datetime.now(dt.UTC))
        before = day_counts(con)
    assert before == SMALL_COUNTS

    planted = write_big_delivery(csv_file, BIG_ROWS)
    size_before = database.stat().st_size
    stderr_file = tmp_path / "killed_load.stderr"
    with stderr_file.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", KILLED_LOAD, str(root), str(database)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        assert line == "loading\n", stderr_file.read_text()
        # Kill once DuckDB has started writing the new, still uncommitted row groups into the
        # database file itself: the hard case for recovery, and independent of machine speed.
        deadline = time.monotonic() + 60
        while (
            database.stat().st_size == size_before
            and proc.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.005)
        assert proc.poll() is None, (
            f"the load of {BIG_ROWS} rows ended before it could be killed mid-way: raise "
            f"BIG_ROWS\n{stderr_file.read_text()}"
        )
        assert database.stat().st_size > size_before, "no uncommitted rows reached the file"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        assert proc.stdout.read() == "", "the load committed before the kill: raise BIG_ROWS"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    with warehouse.get_connection() as con:
        assert day_counts(con) == before
        assert con.execute("SELECT count(*) FROM audit.loads").fetchone() == (1,)

        (delivery,) = find_deliveries(root, nps)
        result = load_delivery(con, nps, delivery, root, dt.datetime.now(dt.UTC))
        assert result.rows_read == BIG_ROWS
        assert result.rows_read == result.rows_loaded + result.rows_quarantined
        assert result.rows_quarantined == planted
        assert day_counts(con) == (BIG_ROWS, planted)
