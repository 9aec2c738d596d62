"""Marts kept between runs, of which a run recomputes only what its changes can reach.

Three kinds (a mart's TOML: `incremental = "<kind>"`); each rebuilds in full, saying why in
audit.mart_builds, after: no build yet (or a skipped one), an erasure or a purge, a change of
its rule (its SQL, the shared rules, the SQL of the marts it reads directly or not, the staging
views those read, its columns), a change of a setting that SQL reads, a changed timezone, an
as-of date moved backwards, or with CX_FULL_REBUILD=true.

"event_days": maintained by day with staging's events.

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
It also rebuilds in full after a full staging rebuild of events.

"account_cutoffs" (marts.account_features): rows per account and cut-off day, each reading only
input rows dated on or before its day. Its SQL compares a digest of every input row with the
last build's (audit.account_features_inputs) to find the changed accounts and from which day,
and recomputes their cut-offs from then on, the new cut-offs, and those within reach of the days
marts.usage_daily replaced since its last build (listed here, from audit.mart_builds, in
`days_to_build`). It rebuilds in full when usage_daily was rebuilt in full since, or skipped
after a build.

"keys" (marts.ticket_metrics, ticket_status_spans, feedback_themes, invitation_outcomes): rows
per key (the TOML's `key`: ticket_id; source and item_id; invitation_id), each reading its own
inputs. The mart's SQL keeps a digest of each key's inputs (audit.<mart>_inputs), compares it
with the last build's and writes the keys to recompute, those added, changed or gone, into the
temporary table `keys_to_build`; then deletes and inserts their rows. What every key reads
(a ticket schedule, the vocabulary) is in the digests or makes the SQL take every key. A mart
that reads marts.usage_daily also gets the days usage_daily replaced since its last build in
`days_to_build` (as "account_cutoffs" does), and rebuilds in full after a full build of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from cx_pipeline.privacy.erasure import IDENTITY_SNAPSHOT_SUFFIX
from cx_pipeline.resources import RULES_SQL
from cx_pipeline.sql import PARAMETER, execute, scalar, table_exists, tables_read
from cx_pipeline.staging.incremental import prepare, rewrites

EVENTS = "analytics.events"  # staging's entity, as audit.staging_builds names it
DAYS_TABLE = "days_to_build"  # unqualified: a temporary table, not an input of the mart
CUTOFFS_TABLE = "cutoffs_to_build"  # written by an account_cutoffs mart's own SQL
KEYS_TABLE = "keys_to_build"  # written by a keys mart's own SQL
USAGE_MART = "usage_daily"  # the event_days mart whose replaced days others follow
KINDS = ("event_days", "account_cutoffs", "keys")


def rebuilt_rows(kind: str, key: tuple[str, ...] = ()) -> str:
    """The rows a build (re)wrote (SQL): what its row count and grain check read."""
    if kind == "event_days":
        return f"day IN (SELECT day FROM {DAYS_TABLE})"
    if kind == "account_cutoffs":
        key, table = ("account_id", "feature_day"), CUTOFFS_TABLE
    else:
        table = KEYS_TABLE
    columns = ", ".join(key)
    return f"({columns}) IN (SELECT ({columns}) FROM {table})"


# Parameters every build varies or plan() judges on its own: not part of the settings digest.
PLANNED_PARAMETERS = frozenset({"as_of", "timezone", "full", "since"})


@dataclass(frozen=True)
class MartPlan:
    full: bool
    reason: str
    days: tuple[dt.date, ...] = ()
    # The latest staging build of events this build has taken in.
    staging_seen: dt.datetime | None = None


def identity_table(mart: str) -> str:
    return f"audit.{mart}{IDENTITY_SNAPSHOT_SUFFIX}"


@dataclass(frozen=True)
class Fingerprint:
    rule: str
    settings: str


def fingerprint(
    con: duckdb.DuckDBPyConnection,
    sqls: list[str],
    columns: object,
    parameters: dict[str, Any],
) -> Fingerprint:
    """What the rows follow from: the SQL (the mart's own first, then the marts it reads), the
    shared macros, the staging views that SQL reads and the columns; and the values of the
    settings that SQL names."""
    read = sorted({t for sql in sqls for t in tables_read(sql) if t[0] == "staging"})
    views = [
        scalar(
            con,
            "SELECT sql FROM duckdb_views() WHERE schema_name = $schema "
            "AND view_name = $view AND database_name = current_database()",
            schema=schema,
            view=view,
        )
        or ""
        for schema, view in read
    ]
    rule = "\n--\n".join([*sqls, RULES_SQL, *views, repr(columns)])
    named = sorted({n for sql in sqls for n in PARAMETER.findall(sql)} - PLANNED_PARAMETERS)
    settings = repr([(name, parameters.get(name)) for name in named])
    return Fingerprint(
        hashlib.sha256(rule.encode()).hexdigest(), hashlib.sha256(settings.encode()).hexdigest()
    )


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
    kind: str,
    fingerprint_now: Fingerprint,
    as_of: dt.date,
    timezone: str,
    full_rebuild: bool,
    reads_usage: bool = False,
) -> MartPlan:
    """Full or in part, and which days, since the mart's last build (`reads_usage`: the mart
    reads marts.usage_daily, whose replaced days it follows)."""
    prepare(con)
    if kind == "event_days":
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
        "SELECT mode, fingerprint, settings, timezone, as_of, rewrites_seen, staging_seen, "
        "built_at FROM audit.mart_builds WHERE mart = $mart ORDER BY built_at DESC LIMIT 1",
        mart=mart,
    ).fetchone()
    if last is None or not table_exists(con, "marts", mart):
        return full("first build")
    mode, last_rule, last_settings, last_timezone, last_as_of, last_rewrites, seen, built = last
    if mode == "skipped":
        return full("the last build was skipped")
    if last_rule != fingerprint_now.rule:
        return full(
            "its SQL changed (its file, the shared rules, a mart or view it reads, or columns)"
        )
    if last_settings != fingerprint_now.settings:
        return full("a setting its SQL reads changed")
    if last_timezone != timezone:
        return full(f"the reporting timezone changed from {last_timezone} to {timezone}")
    if as_of < last_as_of:
        return full(f"the as-of date moved backwards, from {last_as_of} to {as_of}")
    if last_rewrites != rewrites(con):
        return full("raw was rewritten in place (erasure or retention purge)")
    if kind == "account_cutoffs":
        return _usage_plan(con, built, full, "changed inputs, usage days and new cut-offs only")
    if kind == "keys" and reads_usage:
        return _usage_plan(con, built, full, "keys with changed inputs or usage days only")
    if kind == "keys":
        return MartPlan(False, "keys with changed inputs only")
    schema, table = identity_table(mart).split(".")
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


def _usage_plan(
    con: duckdb.DuckDBPyConnection,
    built: dt.datetime,
    full: Callable[[str], MartPlan],
    why: str,
) -> MartPlan:
    """The days marts.usage_daily replaced since the mart's last build. Full when usage_daily
    was rebuilt in full since (any day may have changed) or skipped after a build (its rows
    are gone); a usage_daily skipped all along (no analytics delivered) changes nothing."""
    usage_builds = execute(
        con,
        "SELECT mode, reason, days FROM audit.mart_builds WHERE mart = $usage "
        "AND built_at > $built ORDER BY built_at",
        usage=USAGE_MART,
        built=built,
    ).fetchall()
    before = scalar(
        con,
        "SELECT mode FROM audit.mart_builds WHERE mart = $usage AND built_at <= $built "
        "ORDER BY built_at DESC LIMIT 1",
        usage=USAGE_MART,
        built=built,
    )
    for mode, reason, _ in usage_builds:
        if mode == "full" or (mode == "skipped" and before != "skipped"):
            return full(f"marts.{USAGE_MART} was rebuilt in full since ({reason})")
        before = mode
    days = {day for _, _, replaced in usage_builds for day in replaced or ()}
    return MartPlan(False, why, tuple(sorted(days)))


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
    kind: str,
    mart_plan: MartPlan | None,
    fingerprint_now: Fingerprint | None,
    as_of: dt.date,
    timezone: str,
    rows_written: int,
) -> None:
    """Remember what the mart is built from (inside the transaction that built it); a skipped
    build (`mart_plan` None) makes the next one full."""
    prepare(con)
    execute(
        con,
        "INSERT INTO audit.mart_builds (mart, built_at, mode, reason, fingerprint, settings, "
        "timezone, as_of, rewrites_seen, staging_seen, days, rows_written) VALUES ($mart, now(), "
        "$mode, $reason, $rule, $settings, $timezone, $as_of, $rewrites, $seen, $days, $rows)",
        mart=mart,
        mode="skipped" if mart_plan is None else "full" if mart_plan.full else "incremental",
        reason="skipped: a source it needs was not delivered"
        if mart_plan is None
        else mart_plan.reason,
        rule=None if fingerprint_now is None else fingerprint_now.rule,
        settings=None if fingerprint_now is None else fingerprint_now.settings,
        timezone=timezone,
        as_of=as_of,
        rewrites=rewrites(con),
        seen=None if mart_plan is None else mart_plan.staging_seen,
        days=None if mart_plan is None or mart_plan.full else list(mart_plan.days),
        rows=rows_written,
    )
    if mart_plan is not None and kind == "event_days":
        con.execute(f"CREATE OR REPLACE TABLE {identity_table(mart)} AS FROM _identity_now")
