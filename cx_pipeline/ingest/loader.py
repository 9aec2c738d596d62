"""Loading one delivery of one entity into `raw` and `quarantine`, as one transaction.

Every delivered row lands in `raw` as text with its lineage; rows that break a row rule of the
contract are also written to `quarantine` with the rules they broke, and staging leaves them out.
A file-level fault (unreadable, not UTF-8, ragged, a required column missing) raises
`ExtractError` naming the file and the problem, and leaves the warehouse as it was.
"""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import hashlib
import re
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import duckdb

from cx_pipeline.contract import Entity
from cx_pipeline.contract_sql import (
    broken_rules_expression,
    quarantine_table_ddl,
    quote,
    raw_table_columns,
    raw_table_ddl,
    record_json,
)
from cx_pipeline.ingest.extracts import Delivery, IgnoredFile, lower_extension
from cx_pipeline.privacy.erasure import erase_rows
from cx_pipeline.readers import (
    CANONICAL,
    ExtractError,
    Reader,
    SourceRelation,
    content_suffix,
    first_error_lines,
    is_gzip,
    open_binary,
)
from cx_pipeline.sql import execute, scalar

AUDIT_LOADS_DDL = """
CREATE TABLE IF NOT EXISTS audit.loads (
    load_id VARCHAR,
    entity VARCHAR,
    delivery_date DATE,
    source_file VARCHAR,
    file_sha256 VARCHAR,
    file_bytes BIGINT,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_quarantined BIGINT,
    extra_columns VARCHAR[],
    missing_optional_columns VARCHAR[],
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    rows_erased BIGINT
)
"""

# Files in a delivery folder that no entity reads (ingest/extracts.py `ignored_files`): one row
# per file and delivery day, replaced whenever that source's day is loaded again.
AUDIT_IGNORED_FILES_DDL = """
CREATE TABLE IF NOT EXISTS audit.ignored_files (
    delivery_date DATE,
    source VARCHAR,
    source_file VARCHAR,
    reason VARCHAR,
    recorded_at TIMESTAMPTZ
)
"""


def record_ignored_files(
    con: duckdb.DuckDBPyConnection,
    source: str,
    days: list[dt.date],
    ignored: list[IgnoredFile],
    root: Path,
    recorded_at: dt.datetime,
) -> None:
    """Replace `source`'s rows of `days` in audit.ignored_files with `ignored`, in one
    transaction: rerunning a day never duplicates them, and a file renamed since drops out."""
    con.execute(AUDIT_IGNORED_FILES_DDL)
    con.execute("BEGIN TRANSACTION")
    try:
        execute(
            con,
            "DELETE FROM audit.ignored_files "
            "WHERE source = $source AND list_contains($days, delivery_date)",
            source=source,
            days=days,
        )
        for f in ignored:
            execute(
                con,
                "INSERT INTO audit.ignored_files VALUES ($day, $source, $file, $reason, $at)",
                day=f.day,
                source=source,
                file=f.path.relative_to(root).as_posix(),
                reason=f.reason,
                at=recorded_at,
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


@dataclass
class FileLoad:
    source_file: str
    file_sha256: str
    file_bytes: int
    rows_read: int = 0
    rows_quarantined: int = 0
    rows_erased: int = 0  # rows of people erased on request (privacy/erasure.py), not kept
    rows_filtered: int = 0  # of the quarantined, rows an adapter's filter left out on purpose
    extra_columns: list[str] = field(default_factory=list)
    missing_optional_columns: list[str] = field(default_factory=list)
    # The delivered file and its `_stamp` before it was read: checked again once it is loaded.
    delivered: Path | None = field(default=None, repr=False, compare=False)
    stamp: tuple[int, int, int] | None = field(default=None, repr=False, compare=False)

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_quarantined - self.rows_erased


def _stamp(path: Path) -> tuple[int, int, int]:
    """Size, modification time and inode: any of them moves when a copy appends to the file or
    another copy is renamed over it."""
    info = path.stat()
    return info.st_size, info.st_mtime_ns, info.st_ino


def _check_unchanged(result: FileLoad) -> None:
    """A file that changed while it was read loaded a mix of two versions (or half a row of
    the newer one): fail rather than keep it."""
    if result.delivered is None or result.stamp is None:
        return
    try:
        now = _stamp(result.delivered)
    except OSError:
        now = None
    if now != result.stamp:
        raise ExtractError(
            result.source_file,
            "changed while it was read; deliver it again once the copy is complete",
        )


@dataclass
class DeliveryLoad:
    entity: str
    day: dt.date
    load_id: str
    files: list[FileLoad]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_filtered(self) -> int:
        return sum(f.rows_filtered for f in self.files)


CSV_ERROR_LINE = re.compile(r"CSV Error on Line: (\d+)")


# Where DuckDB's CSV error stops describing the problem: its suggestions, or its reader options.
CSV_ERROR_TAIL = re.compile(r"Possible fixes:|Possible Solution:|\n\s*file = ")


def _csv_problem(error: duckdb.Error) -> str:
    """DuckDB's CSV error as a person needs it: the line and the problem, without the line's
    content (it may hold personal data) or the reader options DuckDB suggests changing."""
    text = CSV_ERROR_TAIL.split(str(error), maxsplit=1)[0]
    line = CSV_ERROR_LINE.search(text)
    # The problem is the last line before the fixes; the lines above it quote the bad row.
    lines = [part.strip() for part in text.splitlines()[1:] if part.strip()]
    if not line or len(lines) < 2:
        return first_error_lines(error)
    return f"line {line.group(1)} of the file (counting the header as 1): {lines[-1]}"


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_utf8(path: Path, source_file: str) -> bool:
    """Decode the file (gunzipped if .gz) chunk by chunk; name the line of the first bad byte.
    True when its lines end both in CRLF and in a bare LF (see `_normalise_line_ends`)."""
    if is_gzip(path):
        try:
            with gzip.open(path, "rb") as f:
                return _decode_utf8(f, source_file)
        except (EOFError, gzip.BadGzipFile, zlib.error) as e:
            # gzip's own message may quote the file's first bytes: say what it means instead.
            reason = "it ends early" if isinstance(e, EOFError) else "its data is corrupt"
            raise ExtractError(
                source_file,
                f"truncated or corrupt gzip file ({reason}); deliver it again once it is complete",
            ) from None
    with path.open("rb") as f:
        return _decode_utf8(f, source_file)


def _decode_utf8(f: BinaryIO, source_file: str) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    offset = 0
    crlf, after_cr = 0, False
    for chunk in iter(lambda: f.read(1 << 20), b""):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as e:
            line = lines + chunk.count(b"\n", 0, e.start)
            raise ExtractError(
                source_file,
                f"not UTF-8: {e.reason} at byte {offset + e.start} (line {line}); "
                "export the file as UTF-8",
            ) from e
        crlf += chunk.count(b"\r\n") + (after_cr and chunk.startswith(b"\n"))
        after_cr = chunk.endswith(b"\r")
        lines += chunk.count(b"\n")
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as e:
        raise ExtractError(
            source_file, f"not UTF-8: the file ends inside a character ({e.reason})"
        ) from e
    return 0 < crlf < lines - 1


def _normalise_line_ends(path: Path, target: Path) -> Path:
    """A copy of a CSV whose lines end in CRLF and in LF both (edited on two systems, or appended
    to): DuckDB's strict reader rejects it with no line number, though it is valid to Python's
    csv. Rows end in LF in the copy; a line end inside a quoted value stays as delivered, so the
    values and the line numbers are those of the file."""
    quoted = False
    with open_binary(path) as lines, target.open("wb") as out:
        for line in lines:
            # The quote is its own escape: a quoted value has an even number of them inside.
            quoted ^= line.count(b'"') % 2 == 1
            out.write(line[:-2] + b"\n" if not quoted and line.endswith(b"\r\n") else line)
    return target


def _load_file(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    day: dt.date,
    path: Path,
    loaded_at: dt.datetime,
    source: SourceRelation,
    result: FileLoad,
) -> None:
    selects = [
        f"CAST(({source.values[c.name]}) AS VARCHAR)"
        if c.name in source.values
        else "CAST(NULL AS VARCHAR)"
        for c in entity.columns
    ]
    targets = ", ".join(quote(name) for name, _ in raw_table_columns(entity))
    this_file = {"day": day, "file": result.source_file}
    # Parquet rows are numbered by the reader (file_row_number), not by their order, so they
    # load without insertion order kept. Kept, two threads stored each 250,000-row Parquet row
    # group as two full row groups and one of 4,240 rows; the checkpoint at the step's close
    # rewrote them, and so did the next step's (at large, tiny steps after raw/events took 5 s
    # each). At medium: one 1 M-row file's insert and the next two checkpoints took 42 + 0.5 +
    # 0.3 s unordered against 44 + 20 + 10 s ordered (benchmarks/RESULTS.md).
    unordered = not source.is_text
    try:
        if unordered:
            con.execute("SET preserve_insertion_order = false")
        execute(
            con,
            f"""
            INSERT INTO raw.{entity.name} ({targets})
            SELECT {", ".join(selects)}, $day, $file, {source.row_number_sql}, $loaded_at,
                   {source.extra_sql}
            FROM {source.sql}
            """,
            path=str(path),
            loaded_at=loaded_at,
            **source.params,
            **this_file,
        )
    except duckdb.Error as e:
        problem = _csv_problem(e) if source.is_text else first_error_lines(e)
        raise ExtractError(result.source_file, problem) from e
    if unordered:
        # Not in a finally: after a failed statement the transaction refuses all but ROLLBACK,
        # and _load_prepared sets the order again after its ROLLBACK.
        con.execute("SET preserve_insertion_order = true")
    result.rows_read = scalar(
        con,
        f"SELECT count(*) FROM raw.{entity.name} "
        "WHERE _delivery_date = $day AND _source_file = $file",
        **this_file,
    )
    # People erased on request stay erased, whichever file brings them back.
    result.rows_erased = erase_rows(
        con, entity, "_delivery_date = $day AND _source_file = $file", **this_file
    )
    execute(
        con,
        f"""
        INSERT INTO quarantine.{entity.name}
        SELECT _delivery_date, _source_file, _row_number, _loaded_at, broken_rules, record
        FROM (
            SELECT *, {broken_rules_expression(entity, source.row_filters)} AS broken_rules,
                   {record_json(entity)} AS record
            FROM raw.{entity.name}
            WHERE _delivery_date = $day AND _source_file = $file
        )
        WHERE len(broken_rules) > 0
        """,
        **this_file,
    )
    result.rows_quarantined, result.rows_filtered = execute(
        con,
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE len(
                   list_filter(broken_rules, r -> starts_with(r, 'filtered:'))) > 0)
        FROM quarantine.{entity.name}
        WHERE _delivery_date = $day AND _source_file = $file
        """,
        **this_file,
    ).fetchone()


def ensure_tables(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Create the entity's raw and quarantine tables, or add the columns a newer contract has
    to those an older version of cx-pipeline created (rows loaded before get nulls)."""
    con.execute(raw_table_ddl(entity))
    con.execute(quarantine_table_ddl(entity))
    con.execute(AUDIT_LOADS_DDL)
    con.execute("ALTER TABLE audit.loads ADD COLUMN IF NOT EXISTS rows_erased BIGINT")
    existing = {
        name
        for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() "
            "WHERE schema_name = 'raw' AND table_name = $table",
            {"table": entity.name},
        ).fetchall()
    }
    for name, sql_type in raw_table_columns(entity):
        if name not in existing:
            con.execute(f"ALTER TABLE raw.{entity.name} ADD COLUMN {quote(name)} {sql_type}")


def load_delivery(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    delivery: Delivery,
    root: Path,
    loaded_at: dt.datetime,
    reader: Reader = CANONICAL,
) -> DeliveryLoad:
    """Replace one delivery day of `entity` in raw and quarantine; rerunning it never duplicates."""
    ensure_tables(con, entity)
    with tempfile.TemporaryDirectory(prefix="cx-load-") as scratch:
        prepared = []
        for i, path in enumerate(delivery.files):
            source_file = (
                path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
            )
            stamp = _stamp(path)
            checksum = _checksum(path)
            mixed_line_ends = content_suffix(path) != ".parquet" and _check_utf8(path, source_file)
            source = reader.relation(con, entity, path, source_file)
            read_path = path
            if mixed_line_ends and source.is_text:
                read_path = _normalise_line_ends(path, Path(scratch) / f"{i}.csv")
            elif path.name != lower_extension(path.name):
                # DuckDB tells a gzipped file by its extension, in lower case only.
                read_path = Path(scratch) / f"{i}-{lower_extension(path.name)}"
                read_path.symlink_to(path.resolve())
            result = FileLoad(
                source_file=source_file,
                file_sha256=checksum,
                file_bytes=stamp[0],
                extra_columns=list(source.extra_columns),
                missing_optional_columns=[c for c in entity.column_names if c not in source.values],
                delivered=path,
                stamp=stamp,
            )
            prepared.append((read_path, source, result))
        load_id = _load_prepared(con, entity, delivery, loaded_at, prepared)
    return DeliveryLoad(entity.qualified_name, delivery.day, load_id, [p[-1] for p in prepared])


def _load_prepared(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    delivery: Delivery,
    loaded_at: dt.datetime,
    prepared: list[tuple[Path, SourceRelation, FileLoad]],
) -> str:
    """Replace the day in raw and quarantine with the prepared files, in one transaction."""
    load_id = f"{entity.name}:{delivery.day}:{loaded_at.isoformat()}"
    con.execute("SET preserve_insertion_order = true")
    con.execute("BEGIN TRANSACTION")
    try:
        for schema in ("raw", "quarantine"):
            execute(
                con,
                f"DELETE FROM {schema}.{entity.name} WHERE _delivery_date = $day",
                day=delivery.day,
            )
        for path, source, result in prepared:
            started = time.time()
            try:
                _load_file(con, entity, delivery.day, path, loaded_at, source, result)
            except ExtractError:
                _check_unchanged(result)  # a change explains a read error better
                raise
            _check_unchanged(result)
            execute(
                con,
                "INSERT INTO audit.loads VALUES ($load_id, $entity, $day, $file, $sha, $bytes, "
                "$read, $loaded, $quarantined, $extra, $missing, to_timestamp($started), now(), "
                "$erased)",
                load_id=load_id,
                entity=entity.qualified_name,
                day=delivery.day,
                file=result.source_file,
                sha=result.file_sha256,
                bytes=result.file_bytes,
                read=result.rows_read,
                loaded=result.rows_loaded,
                quarantined=result.rows_quarantined,
                erased=result.rows_erased,
                extra=result.extra_columns,
                missing=result.missing_optional_columns,
                started=started,
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("SET preserve_insertion_order = false")
    return load_id
