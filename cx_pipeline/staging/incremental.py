"""Incremental staging for event entities: only the keys of the delivery days that changed.

Tickets, events and answers arrive by delivery day, and a load replaces exactly one day, so a
new delivery changes only the keys it carries, plus the keys the same day held before when a day
is delivered again. Staging remembers, per entity and day, the load it was built from
(audit.staging_inputs, the latest row per day); a run re-derives the keys of the days whose
latest load differs and replaces them in one transaction. Whatever rewrites raw in place (an
erasure, a retention purge) or a change of the staging query itself forces a full rebuild, as
does a missing staging table or `CX_FULL_REBUILD=true`.

What an incremental build changed is kept for the marts maintained with staging (marts/
incremental.py): audit.staging_changed_dates holds, per build and timestamp column, the UTC
dates of the replaced keys' rows, before and after (a redelivered row can move to another day
or disappear), so a mart recomputes only the days those rows count in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import duckdb

from cx_pipeline.contract import Entity
from cx_pipeline.contract_sql import cleaned, staging_select
from cx_pipeline.privacy.erasure import ERASURES_DDL
from cx_pipeline.sql import execute, quote, scalar, table_exists

STATE_DDL = (
    """
    CREATE TABLE IF NOT EXISTS audit.staging_inputs (
        entity VARCHAR, day DATE, load_id VARCHAR, built_at TIMESTAMPTZ
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS audit.staging_builds (
        entity VARCHAR, built_at TIMESTAMPTZ, mode VARCHAR, reason VARCHAR,
        fingerprint VARCHAR, rewrites_seen BIGINT, changed_days DATE[], keys_replaced BIGINT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS audit.raw_rewrites (
        rewritten_at TIMESTAMPTZ, reason VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS audit.staging_changed_dates (
        entity VARCHAR, built_at TIMESTAMPTZ, column_name VARCHAR, utc_dates DATE[]
    )
    """,
    # What each incremental mart was built from, and why in full or in part (marts/incremental.py).
    """
    CREATE TABLE IF NOT EXISTS audit.mart_builds (
        mart VARCHAR, built_at TIMESTAMPTZ, mode VARCHAR, reason VARCHAR, fingerprint VARCHAR,
        timezone VARCHAR, as_of DATE, rewrites_seen BIGINT, staging_seen TIMESTAMPTZ,
        days DATE[], rows_written BIGINT, settings VARCHAR
    )
    """,
    ERASURES_DDL,
)
AFFECTED_KEYS = "temp._affected_keys"  # connection-local: never left in the warehouse


@dataclass(frozen=True)
class Plan:
    full: bool
    reason: str
    changed_days: tuple[dt.date, ...] = ()


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Create the state tables up front (before workers would race to create them)."""
    for ddl in STATE_DDL:
        con.execute(ddl)


def note_raw_rewrite(con: duckdb.DuckDBPyConnection, reason: str) -> None:
    """Record that raw rows were changed in place, so staging rebuilds in full next time."""
    prepare(con)
    execute(con, "INSERT INTO audit.raw_rewrites VALUES (now(), $reason)", reason=reason)


def fingerprint(entity: Entity) -> str:
    return hashlib.sha256(staging_select(entity).encode()).hexdigest()


def rewrites(con: duckdb.DuckDBPyConnection, before: dt.datetime | None = None) -> int:
    """How many times raw was rewritten in place so far (erasures and purges), or `before`."""
    return scalar(
        con,
        "SELECT (SELECT count(*) FROM audit.erasures WHERE $before IS NULL "
        "OR requested_at < $before) + (SELECT count(*) FROM audit.raw_rewrites "
        "WHERE $before IS NULL OR rewritten_at < $before)",
        before=before,
    )


def plan(con: duckdb.DuckDBPyConnection, entity: Entity, full_rebuild: bool = False) -> Plan:
    """Full or incremental, and which delivery days changed since the last build."""
    prepare(con)
    if entity.delivery != "events":
        return Plan(True, "snapshot entity: each delivery is the whole table")
    if full_rebuild:
        return Plan(True, "CX_FULL_REBUILD is set")
    last = con.execute(
        "SELECT fingerprint, rewrites_seen FROM audit.staging_builds WHERE entity = $e "
        "ORDER BY built_at DESC LIMIT 1",
        {"e": entity.qualified_name},
    ).fetchone()
    if last is None or not table_exists(con, "staging", entity.name):
        return Plan(True, "first build")
    if last[0] != fingerprint(entity):
        return Plan(True, "the staging query changed")
    if last[1] != rewrites(con):
        return Plan(True, "raw was rewritten in place (erasure or retention purge)")
    changed = execute(
        con,
        """
        WITH latest AS (
            SELECT delivery_date AS day, arg_max(load_id, finished_at) AS load_id
            FROM audit.loads WHERE entity = $e GROUP BY delivery_date
        )
        SELECT l.day FROM latest AS l
        LEFT JOIN (
            SELECT day, arg_max(load_id, built_at) AS load_id
            FROM audit.staging_inputs WHERE entity = $e GROUP BY day
        ) AS s ON s.day = l.day
        WHERE s.load_id IS DISTINCT FROM l.load_id
        ORDER BY l.day
        """,
        e=entity.qualified_name,
    ).fetchall()
    return Plan(False, "new or redelivered days only", tuple(day for (day,) in changed))


def build_delta(con: duckdb.DuckDBPyConnection, entity: Entity, plan: Plan, table: str) -> int:
    """Write the new staging rows of the changed days' keys to `table`; returns the number of
    keys they replace (the keys in the changed days, then and now)."""
    key = quote(entity.key)
    raw_key = cleaned(entity.column(entity.key))
    execute(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE _affected_keys AS
        SELECT DISTINCT {raw_key} AS key FROM raw.{entity.name}
        WHERE list_contains($days, _delivery_date) AND {raw_key} IS NOT NULL
        UNION
        SELECT {key} FROM staging.{entity.name} WHERE list_contains($days, _delivery_date)
        """,
        days=list(plan.changed_days),
    )
    where = f"{raw_key} IN (SELECT key FROM {AFFECTED_KEYS})"
    con.execute(f"CREATE OR REPLACE TABLE {table} AS {staging_select(entity, where)}")
    return scalar(con, f"SELECT count(*) FROM {AFFECTED_KEYS}")


def timestamp_columns(entity: Entity) -> list[str]:
    return [c.name for c in entity.columns if c.type == "timestamp"]


def changed_dates(
    con: duckdb.DuckDBPyConnection, entity: Entity, table: str
) -> dict[str, list[dt.date]]:
    """Per timestamp column, the UTC dates of the affected keys' rows as staging holds them now
    and as the delta (`table`) will: call before the merge."""
    columns = timestamp_columns(entity)
    if not columns:
        return {}
    key, listed = quote(entity.key), ", ".join(quote(c) for c in columns)
    dates = ", ".join(
        f"list(DISTINCT CAST(timezone('UTC', {quote(c)}) AS DATE) ORDER BY "
        f"CAST(timezone('UTC', {quote(c)}) AS DATE)) FILTER (WHERE {quote(c)} IS NOT NULL)"
        for c in columns
    )
    row = con.execute(
        f"""
        SELECT {dates} FROM (
            SELECT {listed} FROM staging.{entity.name}
            WHERE {key} IN (SELECT key FROM {AFFECTED_KEYS})
            UNION ALL
            SELECT {listed} FROM {table}
        )
        """
    ).fetchone()
    return {c: list(found or []) for c, found in zip(columns, row, strict=True)}


def rows_after_merge(con: duckdb.DuckDBPyConnection, entity: Entity, table: str) -> int:
    key = quote(entity.key)
    return scalar(
        con,
        f"SELECT (SELECT count(*) FROM staging.{entity.name} "
        f"WHERE {key} NOT IN (SELECT key FROM {AFFECTED_KEYS})) "
        f"+ (SELECT count(*) FROM {table})",
    )


def merge_delta(con: duckdb.DuckDBPyConnection, entity: Entity, table: str) -> None:
    """Replace the affected keys by the delta (call inside the transaction that records it)."""
    key = quote(entity.key)
    con.execute(
        f"DELETE FROM staging.{entity.name} WHERE {key} IN (SELECT key FROM {AFFECTED_KEYS})"
    )
    con.execute(f"INSERT INTO staging.{entity.name} SELECT * FROM {table}")


def record(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    plan: Plan,
    keys: int,
    dates: dict[str, list[dt.date]] | None = None,
) -> None:
    """Remember what staging is now built from, and the dates an incremental build changed
    (`changed_dates`); call inside the swap or merge transaction."""
    name = entity.qualified_name
    days = None if plan.full else list(plan.changed_days)
    # Insert-only, like every audit table: steps of other entities may write at the same time
    # (DuckLake merges concurrent appends; concurrent deletes of one small table would clash).
    execute(
        con,
        """
        INSERT INTO audit.staging_inputs
        SELECT $e, delivery_date, arg_max(load_id, finished_at), now() FROM audit.loads
        WHERE entity = $e AND ($days IS NULL OR list_contains($days, delivery_date))
        GROUP BY delivery_date
        """,
        e=name,
        days=days,
    )
    execute(
        con,
        "INSERT INTO audit.staging_builds VALUES "
        "($e, now(), $mode, $reason, $fingerprint, $rewrites, $days, $keys)",
        e=name,
        mode="full" if plan.full else "incremental",
        reason=plan.reason,
        fingerprint=fingerprint(entity),
        rewrites=rewrites(con),
        days=list(plan.changed_days),
        keys=keys,
    )
    for column, found in (dates or {}).items():
        execute(
            con,
            "INSERT INTO audit.staging_changed_dates VALUES ($e, now(), $column, $dates)",
            e=name,
            column=column,
            dates=found,
        )
