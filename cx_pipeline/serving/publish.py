"""Publishing the marts to the serving file that BI tools open.

DuckDB allows one writer or many readers per file, and a BI tool holding the warehouse open
would block the pipeline. So the marts are copied, with their comments, into a new file beside
the serving path and renamed over it: a reader that has the old file open keeps reading the old
snapshot (the rename does not touch it), a new connection sees the new one, and nobody ever sees
half a snapshot. The file is written in DuckDB storage version 1.0, so DuckDB 1.0 and later
(and the drivers built on them) can read it.

A publish starts from a copy of the last snapshot and rewrites only what changed: each mart's
rows are summed into digests by part and kept in `_snapshot_digests`. A part is a day for a
mart whose grain holds one (usage_daily), else one of 65,536 buckets of the hash of its grain
(ticket_metrics, feedback_themes: a daily run changes a few thousand keys of millions), when
no grain column is masked in the serving file, so that the served rows fall in the bucket the
warehouse's do. A mart whose digests match is left as it was, a changed part is deleted and
inserted again, and a mart with neither copies whole on any change. The digest
covers the rows as the warehouse holds them and the recipe of their copy (masking, comments,
columns), so a release that masks or documents differently copies again. The copy is rewritten
in full, so that nothing deleted lingers in its free blocks, after an erasure or a purge, when
it has grown to twice its size when last written in full, when the personal-data setting or
this module's format changed, and with CX_FULL_REBUILD=true.

A publish killed part-way leaves its new file (`.<name>.<hex>.tmp`, with its `.wal`) or Parquet
folder behind; the next publish deletes those left by earlier processes (`clean_leftovers`).
Each snapshot records the Dagster run that published it (`_snapshot.run_id`), and the report
names the same run, so a reader can tell whether the report and the serving file agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cx_pipeline.marts.builder import MartSpec, comment_on
from cx_pipeline.privacy.masking import masked
from cx_pipeline.resources import RULES_DIGEST
from cx_pipeline.sql import execute, literal, quote, scalar

STORAGE_VERSION = "v1.0.0"
READABLE_BY = "DuckDB 1.0 and later"
INFO_TABLE = "_snapshot"
DIGESTS_TABLE = "_snapshot_digests"
# What a snapshot holds and how it is written; a snapshot of another format is not patched.
FORMAT = 3
# Buckets of a mart without a day in its grain: far more than the keys a day changes.
BUCKETS = 65536
# A patched snapshot is rewritten in full once it reaches this multiple of its last full size.
REWRITE_GROWTH = 2.0
_DIGESTS_COMMENTS = (
    "COMMENT ON TABLE {table} IS 'A digest of each mart''s rows, by day where its grain holds "
    "one, else by bucket of its keys: the next publish rewrites only what no longer matches.'",
    "COMMENT ON COLUMN {table}.mart IS 'The mart.'",
    "COMMENT ON COLUMN {table}.recipe IS 'A digest of how the mart is copied (masking, "
    "comments, columns).'",
    "COMMENT ON COLUMN {table}.day IS 'The day of the grain; null for a mart without one.'",
    "COMMENT ON COLUMN {table}.bucket IS 'For a mart without a day: the bucket of the hash of "
    "its grain; null for a mart patched by day or copied whole.'",
    "COMMENT ON COLUMN {table}.rows IS 'Rows of that mart and part.'",
    "COMMENT ON COLUMN {table}.digest IS 'The sum of the rows'' hashes.'",
)
# Leftovers younger than this process may belong to a publish still running in it.
PROCESS_STARTED = time.time()


@dataclass
class Published:
    path: Path
    rows: dict[str, int] = field(default_factory=dict)
    parquet_dir: Path | None = None
    seconds: float = 0.0
    removed: list[Path] = field(default_factory=list)
    # "full" (a new file) or "patched" (the last snapshot's copy), and why not patched.
    mode: str = "full"
    reason: str = ""
    # Marts left as they were, marts copied whole, and marts patched with the parts (days or
    # key buckets) rewritten.
    kept: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    patched: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        parts = sum(self.patched.values())
        return (
            f"{self.mode}{f' ({self.reason})' if self.reason else ''}: {len(self.kept)} marts "
            f"kept, {len(self.patched)} patched ({parts} days or key buckets rewritten), "
            f"{len(self.copied)} copied"
        )


@dataclass(frozen=True)
class _Copy:
    """How one mart reaches the serving file."""

    spec: MartSpec
    select: str  # the SELECT list, personal data masked or not
    note: str | None  # why the warehouse's mart is empty, from its comment
    day: str | None  # the grain's day column: changes are replaced day by day
    bucket: str | None  # else the SQL of a row's bucket of keys: changes are replaced by bucket
    masking: str  # what decides how free text is masked (privacy/contact_details.py)

    @property
    def part(self) -> tuple[str, str] | None:
        """The digest column and SQL that split the mart into parts to replace, if any."""
        if self.day is not None:
            return "day", quote(self.day)
        if self.bucket is not None:
            return "bucket", self.bucket
        return None

    def recipe(self) -> str:
        """Everything besides the rows that makes the served table what it is."""
        parts = [str(FORMAT), RULES_DIGEST, self.masking, self.select, self.note or ""]
        # How rows fall into parts; DuckDB's hash() decides the buckets, so its version too.
        parts += [self.day or "", self.bucket or "", duckdb.__version__]
        parts.append(self.spec.description)
        parts += [f"{c}\t{t}\t{d}" for c, t, d in self.spec.columns]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _plan_copy(con: duckdb.DuckDBPyConnection, spec: MartSpec, mask: bool, masking: str) -> _Copy:
    columns = [c for c, _, _ in spec.columns]
    select = ", ".join(f"{masked(c, spec)} AS {quote(c)}" if mask else quote(c) for c in columns)
    # The warehouse's comment may say why a mart is empty (skipped for lack of a source).
    comment = scalar(
        con,
        "SELECT comment FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'marts' AND table_name = $name",
        name=spec.name,
    )
    note = None
    if comment and comment != spec.description:
        note = comment.removesuffix(spec.description).strip().rstrip(".")
    types = {c: t for c, t, _ in spec.columns}
    day = next((c for c in spec.grain if types.get(c) == "DATE"), None)
    bucket = None
    personal = set(spec.personal_identifiers) | set(spec.free_text) if mask else set()
    if day is None and spec.grain and not personal & set(spec.grain):
        bucket = f"CAST(hash({', '.join(quote(c) for c in spec.grain)}) % {BUCKETS} AS INTEGER)"
    return _Copy(spec, select, note, day, bucket, masking if mask else "")


def _copy_table(con: duckdb.DuckDBPyConnection, copy: _Copy) -> None:
    name = copy.spec.name
    con.execute(f"DROP TABLE IF EXISTS serving.marts.{name}")
    con.execute(f"CREATE TABLE serving.marts.{name} AS SELECT {copy.select} FROM marts.{name}")
    comment_on(con, copy.spec, schema="serving.marts", note=copy.note)


def _changed_parts(con: duckdb.DuckDBPyConnection, copy: _Copy, patching: bool) -> list | None:
    """Digest the warehouse's mart (by day, by bucket, or whole) into the temporary table
    `digests`; the parts whose rows differ from the served table's, or None when the served
    table is not comparable (a new file, a new mart, another recipe)."""
    name, recipe = copy.spec.name, copy.recipe()
    columns = ", ".join(quote(c) for c, _, _ in copy.spec.columns)
    day = quote(copy.day) if copy.day else "NULL::DATE"
    bucket = copy.bucket or "NULL::INTEGER"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE digests AS SELECT {day} AS day, {bucket} AS bucket, "
        f"count(*) AS rows, sum(hash({columns})) AS digest FROM marts.{name} GROUP BY ALL"
    )
    # An empty mart has no part: one row says so, so that it is kept while it stays empty.
    con.execute("INSERT INTO digests SELECT NULL, NULL, 0, 0 WHERE NOT EXISTS (FROM digests)")
    stored = f"FROM serving.marts.{DIGESTS_TABLE} WHERE mart = $mart AND recipe = $recipe"
    if not patching or not scalar(con, f"SELECT count(*) {stored}", mart=name, recipe=recipe):
        return None
    # Symmetric difference: parts new, gone, or with other rows.
    column = copy.part[0] if copy.part else "day"
    parts = execute(
        con,
        f"""
        SELECT DISTINCT {column} FROM (
            (SELECT day, bucket, rows, digest FROM temp.digests
             EXCEPT SELECT day, bucket, rows, digest {stored})
            UNION ALL
            (SELECT day, bucket, rows, digest {stored}
             EXCEPT SELECT day, bucket, rows, digest FROM temp.digests)
        )
        """,
        mart=name,
        recipe=recipe,
    ).fetchall()
    # A bucket is never null: a null one is the empty mart's row, no part to rewrite.
    return [p for (p,) in parts if p is not None or column == "day"]


def _serve(con: duckdb.DuckDBPyConnection, copy: _Copy, patching: bool, result: Published) -> None:
    """Bring one mart's served table up to date: keep it, rewrite its changed parts (days or
    key buckets), or copy it whole."""
    name = copy.spec.name
    parts = _changed_parts(con, copy, patching)
    if parts == []:
        result.kept.append(name)
    elif parts is not None and copy.part is not None:
        column, sql = copy.part
        execute(
            con,
            "CREATE OR REPLACE TEMP TABLE changed_parts AS SELECT CAST(unnest($p) AS "
            f"{'DATE' if column == 'day' else 'INTEGER'}) AS part",
            p=parts,
        )
        matches = f"{sql} IN (SELECT part FROM temp.changed_parts)"
        if None in parts:
            matches = f"({matches} OR {sql} IS NULL)"
        con.execute(f"DELETE FROM serving.marts.{name} WHERE {matches}")
        con.execute(
            f"INSERT INTO serving.marts.{name} SELECT {copy.select} FROM marts.{name} "
            f"WHERE {matches}"
        )
        result.patched[name] = len(parts)
    else:
        _copy_table(con, copy)
        result.copied.append(name)
    if parts != []:
        execute(con, f"DELETE FROM serving.marts.{DIGESTS_TABLE} WHERE mart = $mart", mart=name)
        execute(
            con,
            f"INSERT INTO serving.marts.{DIGESTS_TABLE} "
            "SELECT $mart, $recipe, day, bucket, rows, digest FROM temp.digests",
            mart=name,
            recipe=copy.recipe(),
        )
    result.rows[name] = scalar(con, f"SELECT count(*) FROM serving.marts.{name}")


def _last_snapshot(target: Path, personal_data: str, rewrites_now: int) -> tuple[dict, str]:
    """What the last snapshot says of itself, and why it cannot be patched ("" when it can)."""
    if not target.is_file():
        return {}, "no snapshot yet"
    try:
        with duckdb.connect(str(target), read_only=True) as con:
            row = con.execute(
                f"SELECT * FROM marts.{INFO_TABLE} AS s, "
                f"(SELECT count(*) AS digests FROM marts.{DIGESTS_TABLE})"
            ).fetchone()
            names = [d[0] for d in con.description]
    except duckdb.CatalogException:
        return {}, "the last snapshot was written by an earlier release"
    except duckdb.Error as e:
        return {}, f"the last snapshot could not be read ({str(e).splitlines()[0]})"
    info = dict(zip(names, row, strict=True))
    size = target.stat().st_size
    full_size = info.get("full_size") or size
    info["full_size"] = full_size
    if info.get("format") != FORMAT:
        return info, "the last snapshot was written by an earlier release"
    if info["personal_data"] != personal_data:
        return info, f"personal data is now {personal_data}"
    if info["rewrites_seen"] != rewrites_now:
        return info, "raw was rewritten in place (erasure or retention purge)"
    if size > REWRITE_GROWTH * full_size:
        return info, f"it grew to {size:,} bytes from {full_size:,} when written in full"
    return info, ""


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
    full_rebuild: bool = False,
    rewrites_now: int = 0,
    rewrites_covered: int | None = None,
    masking: str = "",
) -> Published:
    """Bring every mart of `specs` to a new file, from a copy of the last snapshot when it can
    be patched, and rename it over `target`.

    `rewrites_now` counts the erasures and purges so far (staging/incremental.py): a snapshot
    that recorded fewer is written in full, so that no removed value lingers in its free
    blocks. It records `rewrites_covered`: those the marts are known to have been rebuilt
    after (all of them by default); fewer makes the next publish write in full again.
    `masking` says what decides how free text is masked (privacy/contact_details.py)."""
    if personal_data not in ("masked", "clear"):
        raise ValueError(
            f"personal data setting must be 'masked' or 'clear', not {personal_data!r}"
        )
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    result = Published(target)
    result.removed = clean_leftovers(target, parquet_dir)
    last, result.reason = _last_snapshot(target, personal_data, rewrites_now)
    if full_rebuild:
        result.reason = "CX_FULL_REBUILD is set"
    patching = not result.reason
    staging_file = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    if patching:
        result.mode = "patched"
        shutil.copyfile(target, staging_file)
        con.execute(f"ATTACH {literal(str(staging_file))} AS serving")
    else:
        con.execute(
            f"ATTACH {literal(str(staging_file))} AS serving (STORAGE_VERSION '{STORAGE_VERSION}')"
        )
    try:
        if not patching:
            con.execute("CREATE SCHEMA serving.marts")
            con.execute(
                f"CREATE TABLE serving.marts.{DIGESTS_TABLE} (mart VARCHAR, recipe VARCHAR, "
                "day DATE, bucket INTEGER, rows BIGINT, digest HUGEINT)"
            )
            for statement in _DIGESTS_COMMENTS:
                con.execute(statement.format(table=f"serving.marts.{DIGESTS_TABLE}"))
        served = {spec.name: spec for spec in specs}
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'serving' "
            "AND schema_name = 'marts' AND NOT starts_with(table_name, '_')"
        ).fetchall():
            if name not in served:  # a mart this release retired
                con.execute(f"DROP TABLE serving.marts.{name}")
        for spec in specs:
            copy = _plan_copy(con, spec, personal_data == "masked", masking)
            _serve(con, copy, patching, result)
        execute(
            con,
            f"DELETE FROM serving.marts.{DIGESTS_TABLE} WHERE list_position($marts, mart) IS NULL",
            marts=list(served),
        )
        con.execute(f"DROP TABLE IF EXISTS serving.marts.{INFO_TABLE}")
        execute(
            con,
            f"CREATE TABLE serving.marts.{INFO_TABLE} AS SELECT "
            "$published_at::TIMESTAMPTZ AS published_at, $run_id::VARCHAR AS run_id, "
            "$personal_data AS personal_data, $tables::VARCHAR[] AS tables, "
            "$readable_by AS readable_by, $mode AS mode, $format::INTEGER AS format, "
            "$rewrites_seen::BIGINT AS rewrites_seen, $full_size::BIGINT AS full_size, "
            "$parquet_dir::VARCHAR AS parquet_dir",
            published_at=dt.datetime.now(dt.UTC),
            run_id=run_id,
            personal_data=personal_data,
            tables=list(result.rows),
            readable_by=READABLE_BY,
            mode=result.mode,
            format=FORMAT,
            rewrites_seen=rewrites_now if rewrites_covered is None else rewrites_covered,
            full_size=last.get("full_size") if patching else None,
            parquet_dir=str(parquet_dir.resolve()) if parquet_dir is not None else None,
        )
        con.execute(
            f"COMMENT ON TABLE serving.marts.{INFO_TABLE} IS "
            "'When and by which Dagster run this snapshot was published, whether personal "
            "data is masked in it, and whether it was written whole or patched from the last.'"
        )
        if parquet_dir is not None:
            # Kept marts keep their Parquet files only if the last snapshot wrote that folder.
            reuse = patching and last.get("parquet_dir") == str(parquet_dir.resolve())
            result.parquet_dir = _export_parquet(con, result, parquet_dir, reuse)
    except BaseException:
        con.execute("DETACH serving")
        staging_file.unlink(missing_ok=True)
        raise
    con.execute("DETACH serving")
    os.replace(staging_file, target)
    result.seconds = time.perf_counter() - started
    return result


def _export_parquet(
    con: duckdb.DuckDBPyConnection, result: Published, folder: Path, reuse: bool
) -> Path:
    """One Parquet file per mart, written into a new folder that then replaces the old one; a
    mart the snapshot kept as it was keeps its file (linked, not written again) when `reuse`
    says the old folder is the last snapshot's."""
    fresh = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.tmp")
    fresh.mkdir(parents=True)
    for table in result.rows:
        file = fresh / f"{table}.parquet"
        old = folder / file.name
        if reuse and table in result.kept and old.is_file():
            try:
                os.link(old, file)
                continue
            except OSError:  # a file system without hard links: write it again
                pass
        con.execute(
            f"COPY serving.marts.{table} TO {literal(str(file))} (FORMAT parquet, COMPRESSION zstd)"
        )
    retired = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.old")
    if folder.exists():
        folder.rename(retired)
    fresh.rename(folder)
    shutil.rmtree(retired, ignore_errors=True)
    return folder
