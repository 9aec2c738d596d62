"""Marts maintained by day with staging's events, instead of rebuilt from all of them each run.

A mart whose TOML says `incremental = "event_days"` (marts.usage_daily) has rows that each
depend only on the events of one day in the reporting timezone. Its SQL file deletes and inserts
the days listed in the temporary table `days_to_build`, or every day when `$full` is true: one
query for both paths. A run recomputes the days that can have changed since the mart's last
build:
  - the local days of the UTC dates staging's incremental builds of events touched since then
    (audit.staging_changed_dates: the replaced keys' rows, before and after);
  - the days of events whose identifier now resolves to another contact or account than at the
    last build (staging.identity_map against the snapshot kept in audit.<mart>_identity);
  - the days newly inside the as-of window (after the last as-of date, up to this one).
It rebuilds in full, saying why in audit.mart_builds, after: no build yet (or a skipped one), a
full staging rebuild of events, an erasure or a purge, a change of its SQL (its file, the shared
rules, the staging.resolved_events view or its documented columns), a changed timezone, an
as-of date moved backwards, or with CX_FULL_REBUILD=true.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import duckdb

from cx_pipeline.privacy.erasure import IDENTITY_SNAPSHOT_SUFFIX
from cx_pipeline.resources import RULES_SQL
from cx_pipeline.sql import execute, scalar, table_exists
from cx_pipeline.staging.incremental import prepare, rewrites

EVENTS = "analytics.events"  # staging's entity, as audit.staging_builds names it
DAYS_TABLE = "days_to_build"  # unqualified: a temporary table, not an input of the mart
KINDS = ("event_days",)


@dataclass(frozen=True)
class MartPlan:
    full: bool
    reason: str
    days: tuple[dt.date, ...] = ()
    # The latest staging build of events this build has taken in.
    staging_seen: dt.datetime | None = None


def identity_table(mart: str) -> str:
    return f"audit.{mart}{IDENTITY_SNAPSHOT_SUFFIX}"


def fingerprint(con: duckdb.DuckDBPyConnection, sql: str, columns: object) -> str:
    """What the rule is: the mart's SQL, the shared macros, the view it reads, its columns."""
    view = scalar(
        con,
        "SELECT sql FROM duckdb_views() WHERE schema_name = 'staging' "
        "AND view_name = 'resolved_events' AND database_name = current_database()",
    )
    text = "\n--\n".join([sql, RULES_SQL, view or "", repr(columns)])
    return hashlib.sha256(text.encode()).hexdigest()


def _snapshot_identity(con: duckdb.DuckDBPyConnection) -> None:
    """The links events' identifiers have now (only those that link to someone: an identifier
    absent from the map resolves to nobody, as an unlinked one does)."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _identity_now AS
        SELECT identifier_type, source_value, contact_id, account_id
        FROM staging.identity_map
        WHERE entity = 'events' AND (contact_id IS NOT NULL OR account_id IS NOT NULL)
        """
    )


def _identity_days(con: duckdb.DuckDBPyConnection, mart: str, timezone: str) -> list[dt.date]:
    """Local days of the events whose identifier resolves otherwise than at the last build."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _identity_changed AS
        SELECT coalesce(n.identifier_type, o.identifier_type) AS identifier_type,
               coalesce(n.source_value, o.source_value) AS source_value
        FROM _identity_now AS n
        FULL JOIN {identity_table(mart)} AS o
          ON o.identifier_type = n.identifier_type AND o.source_value = n.source_value
        WHERE n.contact_id IS DISTINCT FROM o.contact_id
           OR n.account_id IS DISTINCT FROM o.account_id
        """
    )
    if not scalar(con, "SELECT count(*) FROM _identity_changed"):
        return []
    rows = execute(
        con,
        """
        SELECT DISTINCT local_day(occurred_at, $timezone) FROM staging.events
        WHERE contact_id IN (
                SELECT source_value FROM _identity_changed WHERE identifier_type = 'contact_id')
           OR anonymous_id IN (
                SELECT source_value FROM _identity_changed WHERE identifier_type = 'anonymous_id')
        """,
        timezone=timezone,
    ).fetchall()
    return [day for (day,) in rows]


def _staging_days(
    con: duckdb.DuckDBPyConnection, seen: dt.datetime | None, timezone: str
) -> list[dt.date]:
    """The local days of the UTC dates staging's builds of events touched since `seen` (a UTC
    date spans two local days, three across a short day)."""
    rows = execute(
        con,
        """
        WITH utc AS (
            SELECT DISTINCT unnest(utc_dates) AS d FROM audit.staging_changed_dates
            WHERE entity = $entity AND column_name = 'occurred_at'
              AND ($seen IS NULL OR built_at > $seen)
        ),
        spans AS (
            SELECT local_day(timezone('UTC', CAST(d AS TIMESTAMP)), $timezone) AS first_day,
                   local_day(timezone('UTC', CAST(d + 1 AS TIMESTAMP)) - INTERVAL 1 MICROSECOND,
                             $timezone) AS last_day
            FROM utc
        )
        SELECT DISTINCT CAST(unnest(generate_series(CAST(first_day AS TIMESTAMP),
                                                    CAST(last_day AS TIMESTAMP),
                                                    INTERVAL 1 DAY)) AS DATE)
        FROM spans
        """,
        entity=EVENTS,
        seen=seen,
        timezone=timezone,
    ).fetchall()
    return [day for (day,) in rows]


def plan(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    fingerprint_now: str,
    as_of: dt.date,
    timezone: str,
    full_rebuild: bool,
) -> MartPlan:
    """Full or by day, and which days, since the mart's last build."""
    prepare(con)
    _snapshot_identity(con)
    staging_now = scalar(
        con, "SELECT max(built_at) FROM audit.staging_builds WHERE entity = $e", e=EVENTS
    )

    def full(reason: str) -> MartPlan:
        return MartPlan(True, reason, staging_seen=staging_now)

    if full_rebuild:
        return full("CX_FULL_REBUILD is set")
    last = execute(
        con,
        "SELECT mode, fingerprint, timezone, as_of, rewrites_seen, staging_seen "
        "FROM audit.mart_builds WHERE mart = $mart ORDER BY built_at DESC LIMIT 1",
        mart=mart,
    ).fetchone()
    if last is None or not table_exists(con, "marts", mart):
        return full("first build")
    mode, last_fingerprint, last_timezone, last_as_of, last_rewrites, seen = last
    schema, table = identity_table(mart).split(".")
    if mode == "skipped":
        return full("the last build was skipped")
    if last_fingerprint != fingerprint_now:
        return full("its SQL changed (its file, the shared rules, the view it reads or columns)")
    if last_timezone != timezone:
        return full(f"the reporting timezone changed from {last_timezone} to {timezone}")
    if as_of < last_as_of:
        return full(f"the as-of date moved backwards, from {last_as_of} to {as_of}")
    if last_rewrites != rewrites(con):
        return full("raw was rewritten in place (erasure or retention purge)")
    if not table_exists(con, schema, table):
        return full(f"no snapshot of the identity links ({schema}.{table})")
    staging_full = execute(
        con,
        "SELECT reason FROM audit.staging_builds WHERE entity = $e AND mode = 'full' "
        "AND ($seen IS NULL OR built_at > $seen) ORDER BY built_at DESC LIMIT 1",
        e=EVENTS,
        seen=seen,
    ).fetchone()
    if staging_full:
        return full(f"staging.events was rebuilt in full ({staging_full[0]})")
    newly_in_window = [
        last_as_of + dt.timedelta(days=n) for n in range(1, (as_of - last_as_of).days + 1)
    ]
    days = {
        *_staging_days(con, seen, timezone),
        *_identity_days(con, mart, timezone),
        *newly_in_window,
    }
    return MartPlan(
        False,
        "changed events, identity links and as-of days only",
        tuple(sorted(d for d in days if d <= as_of)),
        staging_now,
    )


def earliest_instant(day: dt.date) -> dt.datetime:
    """An instant before any event of local day `day` in any timezone (UTC+14 at most)."""
    return dt.datetime.combine(day - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def prepare_days(con: duckdb.DuckDBPyConnection, days: tuple[dt.date, ...]) -> None:
    """The temporary table the mart's SQL reads the days to replace from."""
    execute(
        con,
        f"CREATE OR REPLACE TEMP TABLE {DAYS_TABLE} AS SELECT CAST(unnest($days) AS DATE) AS day",
        days=list(days),
    )


def record(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    mart_plan: MartPlan | None,
    fingerprint_now: str | None,
    as_of: dt.date,
    timezone: str,
    rows_written: int,
) -> None:
    """Remember what the mart is built from (inside the transaction that built it); a skipped
    build (`mart_plan` None) makes the next one full."""
    prepare(con)
    execute(
        con,
        "INSERT INTO audit.mart_builds VALUES ($mart, now(), $mode, $reason, $fingerprint, "
        "$timezone, $as_of, $rewrites, $seen, $days, $rows)",
        mart=mart,
        mode="skipped" if mart_plan is None else "full" if mart_plan.full else "incremental",
        reason="events not delivered" if mart_plan is None else mart_plan.reason,
        fingerprint=fingerprint_now,
        timezone=timezone,
        as_of=as_of,
        rewrites=rewrites(con),
        seen=None if mart_plan is None else mart_plan.staging_seen,
        days=None if mart_plan is None or mart_plan.full else list(mart_plan.days),
        rows=rows_written,
    )
    if mart_plan is not None:
        con.execute(f"CREATE OR REPLACE TABLE {identity_table(mart)} AS FROM _identity_now")
