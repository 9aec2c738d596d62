"""What audit.mart_builds recorded of a maintained mart's latest build, and the check every
kept mart passes: its table equals a full rebuild's, row for row."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb

from cx_pipeline.sql import literal
from cx_pipeline_tests.conftest import materialize_all
from cx_pipeline_tests.warehouse_diff import mart_differences

DETAILS = ("rows_written", "days")


def last_build(database: Path, mart: str, detail: str = "rows_written") -> tuple:
    """(mode, reason, detail) of the mart's latest build; detail: rows_written or days."""
    assert detail in DETAILS, detail
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            f"SELECT mode, reason, {detail} FROM audit.mart_builds WHERE mart = $mart "
            "ORDER BY built_at DESC LIMIT 1",
            {"mart": mart},
        ).fetchone()


def equal_to_a_full_rebuild(
    database: Path,
    root: Path,
    days: tuple[dt.date, dt.date],
    selection: dg.AssetSelection,
    marts: tuple[str, ...],
) -> Path:
    """Rebuild a copy of the warehouse in full over `days` (CX_FULL_REBUILD) and assert that
    each of `marts` is the same there as in the kept one; returns the copy."""
    full = database.with_name("full.duckdb")
    shutil.copy(database, full)
    materialize_all(root, full, days=days, selection=selection, full_rebuild=True)
    for mart in marts:
        assert last_build(full, mart)[:2] == ("full", "CX_FULL_REBUILD is set"), mart
    with duckdb.connect() as con:
        con.execute(f"ATTACH {literal(str(database))} AS kept (READ_ONLY)")
        con.execute(f"ATTACH {literal(str(full))} AS rebuilt (READ_ONLY)")
        assert mart_differences(con, "kept", "rebuilt", marts) == {}
        # And the digests the next build compares with: patched, they equal those rebuilt.
        for mart in marts:
            table = f"audit.{mart}_inputs"
            if not con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'kept' "
                "AND schema_name = 'audit' AND table_name = $t",
                {"t": f"{mart}_inputs"},
            ).fetchone()[0]:
                continue
            for a, b in (("kept", "rebuilt"), ("rebuilt", "kept")):
                extra = con.execute(
                    f"SELECT count(*) FROM (FROM {a}.{table} EXCEPT ALL FROM {b}.{table})"
                ).fetchone()[0]
                assert extra == 0, f"{table}: {extra} rows in {a}, not in {b}"
    return full
