"""Retention: raw rows (and, if asked, the extract files) older than the retention period are
purged, and staging, the marts and the serving file are rebuilt without them.

Age is the delivery day's: a row delivered on day d expires when d is more than
CX_RETENTION_DAYS days before today. CRM snapshots are deliveries too, so the latest snapshot
always survives while old ones go. 0 (the default) keeps everything.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb

from cx_pipeline.contract import ENTITIES
from cx_pipeline.partitions import day_folders
from cx_pipeline.sql import execute, scalar, table_exists
from cx_pipeline.staging.incremental import note_raw_rewrite


def cutoff(today: dt.date, retention_days: int) -> dt.date | None:
    """The first delivery day kept; None when nothing expires."""
    return today - dt.timedelta(days=retention_days) if retention_days > 0 else None


def purge_rows(con: duckdb.DuckDBPyConnection, keep_from: dt.date) -> dict[str, int]:
    """Delete raw and quarantine rows delivered before `keep_from`; rows deleted per table."""
    purged: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for entity in ENTITIES:
            for schema in ("raw", "quarantine"):
                if not table_exists(con, schema, entity.name):
                    continue
                table = f"{schema}.{entity.name}"
                where = "_delivery_date < $keep_from"
                purged[table] = scalar(
                    con, f"SELECT count(*) FROM {table} WHERE {where}", keep_from=keep_from
                )
                execute(con, f"DELETE FROM {table} WHERE {where}", keep_from=keep_from)
        note_raw_rewrite(con, f"retention purge of deliveries before {keep_from}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return purged


def purge_extract_folders(root: Path, keep_from: dt.date) -> list[Path]:
    """Delete delivery folders (`<source>/<YYYY-MM-DD>/`) older than `keep_from`."""
    removed = []
    for day, folder in day_folders(root):
        if day < keep_from:
            shutil.rmtree(folder)
            removed.append(folder)
    return removed
