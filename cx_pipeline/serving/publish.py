"""Publishing the marts to the serving file that BI tools open.

DuckDB allows one writer or many readers per file, and a BI tool holding the warehouse open
would block the pipeline. So the marts are copied, with their comments, into a new file beside
the serving path and renamed over it: a reader that has the old file open keeps reading the old
snapshot (the rename does not touch it), a new connection sees the new one, and nobody ever sees
half a snapshot. The file is written in DuckDB storage version 1.0, so DuckDB 1.0 and later
(and the drivers built on them) can read it.

A publish killed part-way leaves its new file (`.<name>.<hex>.tmp`, with its `.wal`) or Parquet
folder behind; the next publish deletes those left by earlier processes (`clean_leftovers`).
Each snapshot records the Dagster run that published it (`_snapshot.run_id`), and the report
names the same run, so a reader can tell whether the report and the serving file agree.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cx_pipeline.contract_sql import quote
from cx_pipeline.marts.builder import MartSpec, comment_on
from cx_pipeline.privacy.masking import masked
from cx_pipeline.sql import literal

STORAGE_VERSION = "v1.0.0"
READABLE_BY = "DuckDB 1.0 and later"
INFO_TABLE = "_snapshot"
# Leftovers younger than this process may belong to a publish still running in it.
PROCESS_STARTED = time.time()


@dataclass
class Published:
    path: Path
    rows: dict[str, int] = field(default_factory=dict)
    parquet_dir: Path | None = None
    seconds: float = 0.0
    removed: list[Path] = field(default_factory=list)


def _copy_table(con: duckdb.DuckDBPyConnection, spec: MartSpec, mask: bool) -> int:
    columns = [c for c, _, _ in spec.columns]
    select = ", ".join(f"{masked(c, spec)} AS {quote(c)}" if mask else quote(c) for c in columns)
    con.execute(f"CREATE TABLE serving.marts.{spec.name} AS SELECT {select} FROM marts.{spec.name}")
    # The warehouse's comment may say why a mart is empty (skipped for lack of a source).
    comment = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'marts' AND table_name = $name",
        {"name": spec.name},
    ).fetchone()
    note = None
    if comment and comment[0] and comment[0] != spec.description:
        note = comment[0].removesuffix(spec.description).strip().rstrip(".")
    comment_on(con, spec, schema="serving.marts", note=note)
    return con.execute(f"SELECT count(*) FROM serving.marts.{spec.name}").fetchone()[0]


def clean_leftovers(target: Path, parquet_dir: Path | None = None) -> list[Path]:
    """Delete what killed publishes left beside `target` (and `parquet_dir`): only names of the
    temporary pattern, and only those last touched before this process started; publishes
    take turns in the warehouse pool, so an older one is no one's work in progress."""
    patterns = [(target, re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{32}}\.tmp(\.wal)?"))]
    if parquet_dir is not None:
        name = re.escape(parquet_dir.name)
        patterns.append((parquet_dir, re.compile(rf"\.{name}\.[0-9a-f]{{32}}\.(tmp|old)")))
    removed = []
    for anchor, pattern in patterns:
        if not anchor.parent.is_dir():
            continue
        for path in anchor.parent.iterdir():
            if not pattern.fullmatch(path.name) or path.lstat().st_mtime >= PROCESS_STARTED:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def publish(
    con: duckdb.DuckDBPyConnection,
    specs: tuple[MartSpec, ...],
    target: Path,
    personal_data: str = "masked",
    parquet_dir: Path | None = None,
    run_id: str | None = None,
) -> Published:
    """Write every mart of `specs` to a new file and rename it over `target`."""
    if personal_data not in ("masked", "clear"):
        raise ValueError(
            f"personal data setting must be 'masked' or 'clear', not {personal_data!r}"
        )
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    result = Published(target)
    result.removed = clean_leftovers(target, parquet_dir)
    staging_file = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    con.execute(
        f"ATTACH {literal(str(staging_file))} AS serving (STORAGE_VERSION '{STORAGE_VERSION}')"
    )
    try:
        con.execute("CREATE SCHEMA serving.marts")
        for spec in specs:
            result.rows[spec.name] = _copy_table(con, spec, mask=personal_data == "masked")
        con.execute(
            f"CREATE TABLE serving.marts.{INFO_TABLE} AS SELECT "
            "$published_at::TIMESTAMPTZ AS published_at, $run_id::VARCHAR AS run_id, "
            "$personal_data AS personal_data, $tables::VARCHAR[] AS tables, "
            "$readable_by AS readable_by",
            {
                "published_at": dt.datetime.now(dt.UTC),
                "run_id": run_id,
                "personal_data": personal_data,
                "tables": list(result.rows),
                "readable_by": READABLE_BY,
            },
        )
        con.execute(
            f"COMMENT ON TABLE serving.marts.{INFO_TABLE} IS "
            "'When and by which Dagster run this snapshot was published, and whether personal "
            "data is masked in it.'"
        )
        if parquet_dir is not None:
            result.parquet_dir = _export_parquet(con, tuple(result.rows), parquet_dir)
    except BaseException:
        con.execute("DETACH serving")
        staging_file.unlink(missing_ok=True)
        raise
    con.execute("DETACH serving")
    os.replace(staging_file, target)
    result.seconds = time.perf_counter() - started
    return result


def _export_parquet(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], folder: Path) -> Path:
    """One Parquet file per mart, written into a new folder that then replaces the old one."""
    fresh = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.tmp")
    fresh.mkdir(parents=True)
    for table in tables:
        con.execute(
            f"COPY serving.marts.{table} TO {literal(str(fresh / f'{table}.parquet'))} "
            "(FORMAT parquet, COMPRESSION zstd)"
        )
    retired = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.old")
    if folder.exists():
        folder.rename(retired)
    fresh.rename(folder)
    shutil.rmtree(retired, ignore_errors=True)
    return folder
