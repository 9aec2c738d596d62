"""Turning a mart's SQL file and metadata file into a Dagster asset.

Each mart is two files in `sql/`: one `CREATE OR REPLACE TABLE marts.<name> AS ...` query in
`<name>.sql`, with its parameters bound (never formatted in), and its metadata in `<name>.toml`.
The description and column docs are written both to the Dagster UI and to DuckDB comments, so BI
tools see them too. The few marts a model computes (regressions, predictions) have a TOML and no
SQL: a Python function returning a frame, registered with what it reads in a module's `COMPUTED`
(`{"<name>": (deps, compute)}`); they are written, typed as documented and commented the same
way. A check written in Python is registered by mart name in a module's `CHECKS`
(`{"<name>": (check_specs, evaluate)}`, see identity.py). docs/marts.md shows an example.

The metadata file (TOML, every key but `description`, `family` and `columns` optional):

    description = "What a row is and the rule behind it (not its numbers)."
    family = "churn"          # its group in the Dagster UI: marts_<family>
    shared = true             # a building block other families read: group marts_shared
    grain = ["month", "account_id"]    # identifies a row: checked unique and not null
    grain_nulls = ["month"]   # grain columns where null is a value (the pooled row)
    needs = ["nps_responses"] # entities without whose rows the mart is skipped
    optional_marts = ["nps_answers"]   # marts read only for a component it can do without
    personal_identifiers = ["email"]   # hashed in the serving file
    free_text = ["comment"]   # e-mails and phone numbers masked in the serving file
    incremental = "event_days" # kept between runs, only what changed recomputed (incremental.py)
    # key = ["ticket_id"]     # with incremental = "keys": the grain's leading columns, never null

    [[columns]]               # one table per column, in the table's order
    name = "month"
    type = "DATE"
    description = "First day of the calendar month."

    [[columns]]               # or columns documented once in another mart's file:
    columns_from = "nps_by_month"      # all of its columns, or
    names = ["responses", "nps"]       # only these, in this order

A maintained mart's SQL deletes and inserts what changed (by day: the days in the temporary
table `days_to_build`; by account cut-off or by key: what its own SQL finds from digests of
its inputs), or everything when `$full` (marts/incremental.py says which kind does what, and
audit.mart_builds why): the same statements serve both paths, and a full build starts from
its documented columns, empty.

A mart's TOML without a SQL file needs a registered compute function and the other way round;
either alone fails when the code location loads.

Sources other than the CRM are optional. A mart states the entities it cannot do without
(`needs`, inherited from the marts it reads); when one of them has no rows, the mart is skipped:
its table is left empty with its documented columns, and the reason is in the UI, the run
summary, the table's comment and the report. Marts that only lose a component (usage in the
health score) read `$has_<entity>` and say so instead of inventing zeros.
"""

import datetime as dt
import functools
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources as package_files
from typing import Any

import dagster as dg
import duckdb
import polars as pl

from cx_pipeline import catalog, text
from cx_pipeline.contract import ENTITIES
from cx_pipeline.marts import incremental
from cx_pipeline.privacy.masking import preview_columns
from cx_pipeline.resources import CxSettings, Warehouse
from cx_pipeline.sql import execute, literal, quote, scalar, table_exists, tables_read


@dataclass(frozen=True)
class MartSpec:
    name: str
    description: str
    columns: tuple[tuple[str, str, str], ...]
    # Only a mart a model computes declares what it reads (checked on every build); a SQL mart's
    # inputs are the tables its SQL names (`inputs`).
    deps: tuple[dg.AssetKey, ...] = ()
    # Entities (contract names) without whose rows the mart means nothing: it is skipped.
    # It also needs what the marts it reads need, except those it reads only for a component
    # it can do without (`optional_marts`, by name).
    needs: tuple[str, ...] = ()
    optional_marts: tuple[str, ...] = ()
    # Columns holding personal data, masked in the serving file unless a setting says otherwise:
    # identifiers (an email, a name) are replaced by a hash; free text keeps its words with the
    # e-mail addresses and phone numbers in it masked.
    personal_identifiers: tuple[str, ...] = ()
    free_text: tuple[str, ...] = ()
    # The columns that identify a row: checked unique and never null on every build.
    grain: tuple[str, ...] = ()
    # Grain columns where null is a value of its own (the row pooling every month).
    grain_nulls: tuple[str, ...] = ()
    # Its group in the Dagster UI: the family of questions it answers (marts/assets.py).
    group: str = "marts"
    # Kept between runs, only what changed recomputed (marts/incremental.py: "event_days",
    # "account_cutoffs" or "keys"), or "" (rebuilt every run).
    incremental: str = ""
    # The columns of a "keys" mart's key: a leading part of its grain.
    key: tuple[str, ...] = ()
    # Asset checks evaluated on the freshly built table, in the same run.
    check_specs: tuple[dg.AssetCheckSpec, ...] = ()
    evaluate_checks: (
        Callable[[duckdb.DuckDBPyConnection, CxSettings], list[dg.AssetCheckResult]] | None
    ) = None

    @property
    def sql(self) -> str:
        return package_files.files("cx_pipeline.marts").joinpath(f"sql/{self.name}.sql").read_text()

    @property
    def inputs(self) -> tuple[dg.AssetKey, ...]:
        """The tables the mart reads: named in its SQL, or declared by a computed mart."""
        if self.deps:
            return self.deps
        return tuple(sorted(catalog.key(*table) for table in tables_read(self.sql)))


SPEC_KEYS = frozenset(
    {
        "description",
        "family",
        "shared",
        "grain",
        "grain_nulls",
        "needs",
        "optional_marts",
        "personal_identifiers",
        "free_text",
        "incremental",
        "key",
        "columns",
    }
)
REQUIRED_KEYS = frozenset({"description", "family", "columns"})
COLUMN_KEYS = frozenset({"name", "type", "description"})
REFERENCE_KEYS = frozenset({"columns_from", "names"})
Column = tuple[str, str, str]


def _mart_files() -> Any:
    return package_files.files("cx_pipeline.marts").joinpath("sql")


def mart_names(suffix: str = ".toml") -> list[str]:
    """Every mart with a file of that suffix in sql/, by name."""
    return sorted(
        f.name.removesuffix(suffix) for f in _mart_files().iterdir() if f.name.endswith(suffix)
    )


@functools.cache
def read_metadata(name: str) -> dict[str, Any]:
    """A mart's TOML, checked for unknown and missing keys (a typo must not pass silently)."""
    path = _mart_files().joinpath(f"{name}.toml")
    try:
        metadata = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"marts/sql/{name}.toml: no such mart metadata") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"marts/sql/{name}.toml: {error}") from None
    unknown = set(metadata) - SPEC_KEYS
    missing = REQUIRED_KEYS - set(metadata)
    if unknown or missing:
        raise ValueError(
            f"marts/sql/{name}.toml: unknown keys {sorted(unknown)}, missing {sorted(missing)}"
        )
    for column in metadata["columns"]:
        keys = set(column)
        if keys != COLUMN_KEYS and not ({"columns_from"} <= keys <= REFERENCE_KEYS):
            raise ValueError(
                f"marts/sql/{name}.toml: a [[columns]] table has {sorted(keys)}; it needs "
                "name, type and description, or columns_from (and optionally names)"
            )
    if metadata.get("incremental", incremental.KINDS[0]) not in incremental.KINDS:
        raise ValueError(
            f"marts/sql/{name}.toml: incremental = {metadata['incremental']!r}; "
            f"known: {', '.join(incremental.KINDS)}"
        )
    key, grain = metadata.get("key", []), metadata.get("grain", [])
    if (
        (metadata.get("incremental") == "keys") != bool(key)
        or key != grain[: len(key)]
        or set(key) & set(metadata.get("grain_nulls", []))
    ):
        # A null key would never match the keys to rebuild: its rows would pile up.
        raise ValueError(
            f"marts/sql/{name}.toml: key = {key}: a mart with incremental = 'keys' names its "
            f"key, the first columns of its grain ({grain}), never null, and no other mart does"
        )
    return metadata


def mart_columns(name: str, _seen: tuple[str, ...] = ()) -> tuple[Column, ...]:
    """The documented columns of a mart, with those taken from another mart's file resolved."""
    if name in _seen:
        raise ValueError(f"marts/sql/{name}.toml: columns_from goes round: {' -> '.join(_seen)}")
    columns: list[Column] = []
    for entry in read_metadata(name)["columns"]:
        if "columns_from" not in entry:
            columns.append((entry["name"], entry["type"], entry["description"]))
            continue
        source = {c[0]: c for c in mart_columns(entry["columns_from"], (*_seen, name))}
        wanted = entry.get("names", list(source))
        absent = [n for n in wanted if n not in source]
        if absent:
            raise ValueError(
                f"marts/sql/{name}.toml: {entry['columns_from']} documents no {absent}"
            )
        columns += [source[n] for n in wanted]
    return tuple(columns)


@functools.cache
def load_spec(name: str) -> MartSpec:
    """A mart's spec from its metadata file (without what Python adds: a computed mart's deps,
    checks written in Python; marts/assets.py attaches those)."""
    metadata = read_metadata(name)
    return MartSpec(
        name=name,
        description=metadata["description"],
        columns=mart_columns(name),
        grain=tuple(metadata.get("grain", ())),
        grain_nulls=tuple(metadata.get("grain_nulls", ())),
        needs=tuple(metadata.get("needs", ())),
        optional_marts=tuple(metadata.get("optional_marts", ())),
        personal_identifiers=tuple(metadata.get("personal_identifiers", ())),
        free_text=tuple(metadata.get("free_text", ())),
        incremental=metadata.get("incremental", ""),
        key=tuple(metadata.get("key", ())),
        group="marts_shared" if metadata.get("shared") else f"marts_{metadata['family']}",
    )


# Every mart reads the as-of date from here (resolve_as_of), so every mart depends on it.
AS_OF_SOURCE = catalog.key("raw", "subscriptions")


def resolve_as_of(con: duckdb.DuckDBPyConnection, cx_settings: CxSettings) -> dt.date:
    """The configured as-of date, else the latest CRM delivery day (what the data knows)."""
    configured = cx_settings.as_of_date()
    if configured:
        return configured
    latest = con.execute("SELECT max(_delivery_date) FROM raw.subscriptions").fetchone()[0]
    if latest is None:
        raise dg.Failure("no CRM subscriptions loaded yet, so there is no as-of date")
    return latest


def delivered_entities(con: duckdb.DuckDBPyConnection) -> dict[str, bool]:
    """Whether each entity has rows in staging: a source a company does not have is absent.
    The catalog is listed once, not once per entity: every mart step asks."""
    staged = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staging'"
        ).fetchall()
    }
    return {
        e.name: e.name in staged
        and bool(con.execute(f"SELECT EXISTS (SELECT 1 FROM staging.{e.name})").fetchone()[0])
        for e in ENTITIES
    }


def sql_parameters(con: duckdb.DuckDBPyConnection, cx_settings: CxSettings) -> dict[str, Any]:
    delivered = delivered_entities(con)
    return {
        **{f"has_{name}": present for name, present in delivered.items()},
        "as_of": resolve_as_of(con, cx_settings),
        "timezone": cx_settings.timezone,
        "low_sample": cx_settings.low_sample_responses,
        "own_audience": cx_settings.benchmark_audience,
        "own_survey_type": cx_settings.benchmark_survey_type,
        "own_industry": cx_settings.benchmark_industry,
        "mid_market_from": cx_settings.mid_market_from,
        "enterprise_from": cx_settings.enterprise_from,
        "reporting_currency": cx_settings.reporting_currency,
        "funnel_steps": cx_settings.funnel_step_list(),
        "personas": cx_settings.persona_count(),
        "milestones": cx_settings.milestone_list(),
        "value_milestone": cx_settings.onboarding_value_milestone,
        "onboarding_window_days": cx_settings.onboarding_window_days,
        "onboarding_retention_days": cx_settings.onboarding_retention_days,
        "followup_reach_days": cx_settings.followup_reach_days,
        "followup_retention_days": cx_settings.followup_retention_days,
        "text_analyser": text.analyser(),
        # Computed marts that keep a cache (the churn model's fits) ignore it when set.
        "full_rebuild": cx_settings.full_rebuild,
        # Incremental marts: every day (the builder sets both per run; see build_statements).
        "full": True,
        "since": None,
    }


def run_mart_sql(con: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, Any]) -> None:
    """Run a mart's SQL file, statement by statement (DuckDB binds parameters to one statement
    at a time), each with the parameters it names."""
    for statement in duckdb.extract_statements(sql):
        execute(con, statement.query, **parameters)


def comment_on(
    con: duckdb.DuckDBPyConnection, spec: MartSpec, schema: str = "marts", note: str | None = None
) -> None:
    """The mart's documentation as DuckDB comments, so BI tools show it too (with why it is
    empty, when it was skipped)."""
    description = f"{note.capitalize()}. {spec.description}" if note else spec.description
    con.execute(f"COMMENT ON TABLE {schema}.{spec.name} IS {literal(description)}")
    for column, _, description in spec.columns:
        con.execute(
            f"COMMENT ON COLUMN {schema}.{spec.name}.{quote(column)} IS {literal(description)}"
        )


def _check_documented(con: duckdb.DuckDBPyConnection, spec: MartSpec) -> None:
    """A mart whose columns drift from its documentation fails instead of misleading BI users."""
    actual = [r[0] for r in con.execute(f"DESCRIBE marts.{spec.name}").fetchall()]
    documented = [c[0] for c in spec.columns]
    if actual != documented:
        raise dg.Failure(
            f"marts.{spec.name} has columns {actual}, but its documentation lists {documented}"
        )


def skip_reason(spec: MartSpec, parameters: dict[str, Any]) -> str | None:
    """Why the mart cannot be built from what was delivered, or None."""
    by_name = {e.name: e for e in ENTITIES}
    missing = [by_name[n].qualified_name for n in spec.needs if not parameters[f"has_{n}"]]
    if not missing:
        return None
    return f"skipped: needs {', '.join(missing)} (no rows: not delivered)"


def empty_table_sql(spec: MartSpec) -> str:
    columns = ", ".join(f"CAST(NULL AS {t}) AS {quote(c)}" for c, t, _ in spec.columns)
    return f"CREATE OR REPLACE TABLE marts.{spec.name} AS SELECT {columns} WHERE false"


def write_empty(con: duckdb.DuckDBPyConnection, spec: MartSpec) -> None:
    """The documented columns and no rows, so BI queries on a skipped mart still run."""
    con.execute(empty_table_sql(spec))


def build_statements(spec: MartSpec) -> list[str]:
    """The statements a full build of a SQL mart runs, in order (the benchmark's floor runs
    them too): a maintained mart starts from its documented columns and no day to replace, and
    its SQL runs with `$full` (sql_parameters' default)."""
    statements = [s.query for s in duckdb.extract_statements(spec.sql)]
    if not spec.incremental:
        return statements
    days = f"CREATE OR REPLACE TEMP TABLE {incremental.DAYS_TABLE} (day DATE)"
    return ["CREATE SCHEMA IF NOT EXISTS audit", empty_table_sql(spec), days, *statements]


def build_in_full(
    con: duckdb.DuckDBPyConnection, spec: MartSpec, parameters: dict[str, Any]
) -> None:
    """A full build of a SQL mart outside a run, maintained or not (tests, the floor)."""
    for statement in build_statements(spec):
        execute(con, statement, **{"full": True, "since": None, **parameters})


def rule_sql(spec: MartSpec) -> list[str]:
    """The SQL a mart's rows follow from: its own, then that of every mart it reads, directly
    or not (a computed mart's name stands for its code)."""
    found: dict[str, str] = {}
    pending = [spec.name]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        if not _mart_files().joinpath(f"{name}.sql").is_file():
            found[name] = f"-- computed: {name}"
            continue
        found[name] = load_spec(name).sql
        pending += sorted(t for s, t in tables_read(found[name]) if s == "marts")
    return list(found.values())


def build_incremental(
    con: duckdb.DuckDBPyConnection,
    spec: MartSpec,
    parameters: dict[str, Any],
    cx_settings: CxSettings,
) -> dict[str, Any]:
    """Recompute what can have changed since the last build, or everything (the same SQL
    either way); returns what was done, for the UI."""
    as_of, timezone = parameters["as_of"], parameters["timezone"]
    fingerprint = incremental.fingerprint(con, rule_sql(spec), spec.columns, parameters)
    plan = incremental.plan(
        con,
        spec.name,
        spec.incremental,
        fingerprint,
        as_of,
        timezone,
        cx_settings.full_rebuild,
        reads_usage=("marts", incremental.USAGE_MART) in tables_read(spec.sql),
    )
    if plan.full:
        write_empty(con, spec)
    incremental.prepare_days(con, plan.days)
    # Days of events: nothing to read when no day changed. Account cut-offs move with the
    # as-of date and the inputs, which the SQL itself compares.
    if plan.full or plan.days or spec.incremental != "event_days":
        since = None if plan.full or not plan.days else incremental.earliest_instant(min(plan.days))
        run_mart_sql(con, spec.sql, {**parameters, "full": plan.full, "since": since})
    rows = scalar(
        con,
        f"SELECT count(*) FROM marts.{spec.name} "
        f"WHERE $full OR {incremental.rebuilt_rows(spec.incremental, spec.key)}",
        full=plan.full,
    )
    incremental.record(con, spec.name, spec.incremental, plan, fingerprint, as_of, timezone, rows)
    built = {
        "build": "full" if plan.full else "incremental",
        "build_reason": plan.reason,
        "rows_written": rows,
    }
    if spec.incremental == "event_days":
        built["days_rebuilt"] = "all" if plan.full else len(plan.days)
    return built


def _preview(con: duckdb.DuckDBPyConnection, spec: MartSpec, rows: int = 10) -> str:
    """The first rows, for the UI. Dagster keeps them in its event log, out of an erasure's
    reach, so they carry no personal data (privacy/masking.py)."""
    result = con.execute(f"SELECT {preview_columns(spec)} FROM marts.{spec.name} LIMIT {rows}")
    return catalog.markdown_table([d[0] for d in result.description], result.fetchall())


def grain_check_spec(spec: MartSpec) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name="grain",
        asset=catalog.key("marts", spec.name),
        description=(
            f"One row per {', '.join(spec.grain)}: no two rows share them and none is null "
            "(a join that fans out or a missing key would double-count or drop rows). "
            "Blocking: the marts that read it are not rebuilt from a broken table."
        ),
        blocking=True,
    )


def all_check_specs(spec: MartSpec) -> list[dg.AssetCheckSpec]:
    return ([grain_check_spec(spec)] if spec.grain else []) + list(spec.check_specs)


def grain_check(
    con: duckdb.DuckDBPyConnection, spec: MartSpec, scope: str = "true"
) -> dg.AssetCheckResult:
    """Rows that share their grain with another row, and rows with a null in it, among the
    rows in `scope` (SQL; an incremental build checks the days it replaced: the grain holds
    the day, and the days it kept passed when they were built)."""
    columns = ", ".join(quote(c) for c in spec.grain)
    any_null = " OR ".join(
        [f"{quote(c)} IS NULL" for c in spec.grain if c not in spec.grain_nulls] or ["false"]
    )
    rows = f"(SELECT * FROM marts.{spec.name} WHERE {scope})"
    duplicated, with_null = con.execute(
        f"SELECT (SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {rows} "
        f"GROUP BY {columns} HAVING count(*) > 1)), "
        f"(SELECT count(*) FROM {rows} WHERE {any_null})"
    ).fetchone()
    passed = duplicated == 0 and with_null == 0
    return dg.AssetCheckResult(
        check_name="grain",
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"one row per {', '.join(spec.grain)}"
            if passed
            else f"{duplicated:,} rows share their {', '.join(spec.grain)} with another row; "
            f"{with_null:,} rows have a null in it"
        ),
        metadata={"duplicated_rows": int(duplicated), "rows_with_null_grain": int(with_null)},
    )


class ReadRecorder:
    """A connection that notes the tables each query reads, so a computed mart that reads what
    it does not declare fails instead of being built before its input."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.read: set[tuple[str, str]] = set()

    def execute(self, query: str, parameters: object = None) -> duckdb.DuckDBPyConnection:
        self.read |= tables_read(query)
        return self._con.execute(query, parameters)

    def asset_keys(self) -> set[dg.AssetKey]:
        """The assets read; the audit schema is the pipeline's own bookkeeping (a mart's cache
        of model fits), never an asset."""
        return {catalog.key(*table) for table in self.read if table[0] != "audit"}

    def __getattr__(self, name: str) -> Any:
        if name in _UNRECORDED:
            raise AttributeError(
                f"a computed mart reads through execute(), which records what it reads; "
                f"{name}() would read unrecorded"
            )
        return getattr(self._con, name)


# Connection methods that read tables without going through execute().
_UNRECORDED = frozenset(
    {"sql", "query", "table", "view", "from_query", "cursor", "read_csv", "read_parquet"}
    | {"read_json", "from_csv_auto", "from_parquet", "query_df", "from_df", "from_arrow"}
)


Compute = Callable[[duckdb.DuckDBPyConnection, dict[str, Any]], pl.DataFrame]


def write_frame(con: duckdb.DuckDBPyConnection, spec: MartSpec, frame: pl.DataFrame) -> None:
    """Replace marts.<name> with `frame`, each column cast to its documented type."""
    casts = ", ".join(f"CAST({quote(c)} AS {t}) AS {quote(c)}" for c, t, _ in spec.columns)
    arrow = frame.select([c for c, _, _ in spec.columns]).to_arrow()
    con.register("computed_mart_frame", arrow)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE marts.{spec.name} AS SELECT {casts} FROM computed_mart_frame"
        )
    finally:
        con.unregister("computed_mart_frame")


def _check_inputs_built(con: duckdb.DuckDBPyConnection, spec: MartSpec) -> None:
    """Name the tables a SQL mart reads that the warehouse lacks (a run that selects marts only,
    on a warehouse from before an input existed) instead of failing mid-statement."""
    missing = [key for key in spec.inputs if not table_exists(con, *key.path)]
    if missing:
        names = ", ".join(key.to_user_string() for key in missing)
        raise dg.Failure(
            f"marts.{spec.name} reads {names}, not built in this warehouse yet: materialize "
            "it too (or run the whole job), then this mart"
        )


def build_mart_asset(spec: MartSpec, compute: Compute | None = None) -> dg.AssetsDefinition:
    """The mart from its SQL file, or from `compute` when a model computes it."""

    def build(
        con: duckdb.DuckDBPyConnection, parameters: dict[str, Any], cx_settings: CxSettings
    ) -> tuple[list[str], dict[str, Any]]:
        """Build the table; returns what a computed mart read, and how an incremental mart
        was built."""
        if compute is None:  # every input named in its SQL is read
            _check_inputs_built(con, spec)
        if compute is None and spec.incremental:
            return [], build_incremental(con, spec, parameters, cx_settings)
        if compute is None:
            run_mart_sql(con, spec.sql, parameters)
            return [], {}
        recorder = ReadRecorder(con)
        frame = compute(recorder, parameters)  # type: ignore[arg-type]
        undeclared = sorted(key.to_user_string() for key in recorder.asset_keys() - set(spec.deps))
        if undeclared:
            raise dg.Failure(
                f"marts.{spec.name} read {', '.join(undeclared)}, which its spec does not "
                "declare in deps: declare it, so the mart is rebuilt after it"
            )
        write_frame(con, spec, frame)
        return sorted(key.to_user_string() for key in recorder.asset_keys()), {}

    @dg.asset(
        key=catalog.key("marts", spec.name),
        deps=list(dict.fromkeys([*spec.inputs, AS_OF_SOURCE])),
        group_name=spec.group,
        kinds={"duckdb"} if compute is None else {"duckdb", "python"},
        owners=catalog.OWNERS,
        pool=catalog.warehouse_pool(),
        description=spec.description,
        metadata=catalog.table_metadata("marts", spec.name, list(spec.columns)),
        freshness_policy=catalog.MART_FRESHNESS,
        check_specs=all_check_specs(spec),
    )
    def mart_asset(
        context: dg.AssetExecutionContext, warehouse: Warehouse, cx_settings: CxSettings
    ) -> dg.MaterializeResult:
        started = time.monotonic()
        with warehouse.get_connection() as con:
            parameters = sql_parameters(con, cx_settings)
            skipped = skip_reason(spec, parameters)
            con.execute("BEGIN TRANSACTION")
            try:
                read: list[str] = []
                built: dict[str, Any] = {}
                if skipped:
                    write_empty(con, spec)
                    if spec.incremental:  # so the next build is full
                        incremental.record(
                            con,
                            spec.name,
                            spec.incremental,
                            None,
                            None,
                            parameters["as_of"],
                            parameters["timezone"],
                            0,
                        )
                else:
                    read, built = build(con, parameters, cx_settings)
                _check_documented(con, spec)
                comment_on(con, spec, note=skipped)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            rows = con.execute(f"SELECT count(*) FROM marts.{spec.name}").fetchone()[0]
            preview = _preview(con, spec)
            if skipped:
                checks = [
                    dg.AssetCheckResult(
                        check_name=c.name, passed=True, description=f"not evaluated: {skipped}"
                    )
                    for c in all_check_specs(spec)
                ]
            else:
                scope = "true"
                if built.get("build") == "incremental":
                    scope = incremental.rebuilt_rows(spec.incremental, spec.key)
                checks = [grain_check(con, spec, scope)] if spec.grain else []
                if spec.evaluate_checks:
                    checks += spec.evaluate_checks(con, cx_settings)
        seconds = time.monotonic() - started
        if skipped:
            context.log.warning(f"marts.{spec.name} {skipped}")
        else:
            how = f" ({built['build']}: {built['build_reason']})" if built else ""
            context.log.info(f"marts.{spec.name}: {rows:,} rows in {seconds:.1f} s{how}")
        return dg.MaterializeResult(
            check_results=checks,
            metadata={
                "dagster/row_count": rows,
                "as_of": str(parameters["as_of"]),
                "preview": dg.MetadataValue.md(preview),
                **({"skipped": skipped} if skipped else {}),
                **({"read": ", ".join(read)} if read else {}),
                **built,
            },
        )

    return mart_asset
