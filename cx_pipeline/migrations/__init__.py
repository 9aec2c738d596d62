"""The warehouse's schema version, and moving an existing warehouse to this release's in place.

Marts and staging are rebuilt by every run, so their layout never needs a migration (the state
kept beside them, such as staging._event_pairs, checks itself and is rebuilt when it does not
add up); what a warehouse keeps between releases is raw, quarantine and audit (the loads,
erasures, identity map and build state). Each change to that layout is one numbered SQL file here,
`NNNN_what_it_does.sql`, applied in order, in one transaction with the version it reaches, the
first time a release opens the warehouse to write. A failed step leaves the warehouse at the
version it had and names the step and why; a warehouse written by a newer release is refused
rather than guessed at. Version 1 is the layout of cx-pipeline 0.1.0, before versions were
recorded: a warehouse with tables and no version table is at version 1.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import metadata
from importlib import resources as package_files

import duckdb

from cx_pipeline.sql import execute, scalar, table_exists

VERSIONS_DDL = """
CREATE TABLE IF NOT EXISTS audit.schema_versions (
    version INTEGER,
    migration VARCHAR,
    applied_at TIMESTAMPTZ,
    cx_pipeline_version VARCHAR
)
"""
RELEASE = metadata.version("cx-pipeline")
FILE_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")


class MigrationError(RuntimeError):
    """The warehouse cannot be moved to this release's schema; the message says why."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


@functools.cache
def shipped() -> tuple[Migration, ...]:
    """This release's migrations, in order; numbered from 1 without a gap (a test checks)."""
    found = []
    for item in package_files.files(__name__).iterdir():
        matched = FILE_NAME.fullmatch(item.name)
        if matched:
            found.append(Migration(int(matched[1]), matched[2], item.read_text()))
    return tuple(sorted(found, key=lambda m: m.version))


def current_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The warehouse's schema version; None for a warehouse with no tables yet."""
    if table_exists(con, "audit", "schema_versions"):
        return scalar(con, "SELECT max(version) FROM audit.schema_versions")
    tables = scalar(
        con,
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name IN ('raw', 'quarantine', 'audit', 'staging', 'marts')",
    )
    return 1 if tables else None


def _newer(found: int, latest: int) -> str:
    return (
        f"the warehouse is at schema version {found}, written by a newer cx-pipeline; "
        f"this release ({RELEASE}) knows versions up to {latest}. "
        "Upgrade cx-pipeline, or point CX_WAREHOUSE at another warehouse."
    )


def refuse_newer(con: duckdb.DuckDBPyConnection) -> None:
    """A reader, too, refuses a warehouse a newer release wrote: its tables may no longer mean
    what this release's queries assume."""
    if not table_exists(con, "audit", "schema_versions"):
        return
    found = scalar(con, "SELECT max(version) FROM audit.schema_versions")
    latest = shipped()[-1].version
    if found is not None and found > latest:
        raise MigrationError(_newer(found, latest))


def upgrade(
    con: duckdb.DuckDBPyConnection, migrations: tuple[Migration, ...] | None = None
) -> list[Migration]:
    """Apply the migrations the warehouse has not had, in one transaction; return them.

    An empty warehouse is stamped with the latest version (it will be created in this layout)."""
    migrations = shipped() if migrations is None else migrations
    latest = migrations[-1].version
    found = current_version(con)
    if found is not None and found > latest:
        raise MigrationError(_newer(found, latest))
    versioned = table_exists(con, "audit", "schema_versions")
    if found == latest and versioned:
        return []
    pending = [] if found is None else [m for m in migrations if m.version > found]
    # What the versions table gets: each migration applied, or the version the warehouse is
    # found at (a new one, or one from before versions were recorded).
    recorded = [(m.version, m.name) for m in pending] or [
        (latest, "new warehouse") if found is None else (found, "found unversioned")
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(VERSIONS_DDL)
        for migration in pending:
            try:
                con.execute(migration.sql)
            except duckdb.Error as e:
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name} failed, so the "
                    f"warehouse stays at schema version {found} and nothing was changed: "
                    f"{str(e).splitlines()[0]}"
                ) from e
        for version, name in recorded:
            execute(
                con,
                "INSERT INTO audit.schema_versions VALUES ($version, $name, now(), $release)",
                version=version,
                name=name,
                release=RELEASE,
            )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    try:
        con.execute("COMMIT")
    except duckdb.Error:
        # Another process upgraded the same lake at the same moment (parallel steps on a
        # multi-writer catalog): a failed commit leaves nothing to roll back, and the work is
        # done if the warehouse is now at this release's version.
        if current_version(con) == latest:
            return []
        raise
    return pending
