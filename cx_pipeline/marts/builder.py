"""Turning a mart's SQL file and documentation into a Dagster asset.

Each mart is one `CREATE OR REPLACE TABLE marts.<name> AS ...` query in `sql/<name>.sql`, with
its parameters bound (never formatted in), and its description and column docs written both to
the Dagster UI and to DuckDB comments, so BI tools see them too. The few marts a model computes
(regressions, predictions) are a Python function returning a frame instead of a SQL file; they
are written, typed as documented and commented the same way.

Sources other than the CRM are optional. A mart states the entities it cannot do without
(`needs`, inherited from the marts it reads); when one of them has no rows, the mart is skipped:
its table is left empty with its documented columns, and the reason is in the UI, the run
summary, the table's comment and the report. Marts that only lose a component (usage in the
health score) read `$has_<entity>` and say so instead of inventing zeros.
"""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources as package_files
from typing import Any

import dagster as dg
import duckdb
import polars as pl

from cx_pipeline import catalog
from cx_pipeline.contract import ENTITIES
from cx_pipeline.contract_sql import quote
from cx_pipeline.privacy.masking import preview_columns
from cx_pipeline.resources import CxSettings, Warehouse
from cx_pipeline.sql import execute, literal, table_exists, tables_read


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
    """Whether each entity has rows in staging: a source a company does not have is absent."""
    return {
        e.name: table_exists(con, "staging", e.name)
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


def write_empty(con: duckdb.DuckDBPyConnection, spec: MartSpec) -> None:
    """The documented columns and no rows, so BI queries on a skipped mart still run."""
    columns = ", ".join(f"CAST(NULL AS {t}) AS {quote(c)}" for c, t, _ in spec.columns)
    con.execute(f"CREATE OR REPLACE TABLE marts.{spec.name} AS SELECT {columns} WHERE false")


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
            "(a join that fans out or a missing key would double-count or drop rows)."
        ),
    )


def all_check_specs(spec: MartSpec) -> list[dg.AssetCheckSpec]:
    return ([grain_check_spec(spec)] if spec.grain else []) + list(spec.check_specs)


def grain_check(con: duckdb.DuckDBPyConnection, spec: MartSpec) -> dg.AssetCheckResult:
    """Rows that share their grain with another row, and rows with a null in it."""
    columns = ", ".join(quote(c) for c in spec.grain)
    any_null = " OR ".join(
        [f"{quote(c)} IS NULL" for c in spec.grain if c not in spec.grain_nulls] or ["false"]
    )
    duplicated, with_null = con.execute(
        f"SELECT (SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM marts.{spec.name} "
        f"GROUP BY {columns} HAVING count(*) > 1)), "
        f"(SELECT count(*) FROM marts.{spec.name} WHERE {any_null})"
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
        return {catalog.key(*table) for table in self.read}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


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


def build_mart_asset(spec: MartSpec, compute: Compute | None = None) -> dg.AssetsDefinition:
    """The mart from its SQL file, or from `compute` when a model computes it."""

    def build(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> list[str]:
        """Build the table; returns what a computed mart read."""
        if compute is None:
            run_mart_sql(con, spec.sql, parameters)
            return []
        recorder = ReadRecorder(con)
        frame = compute(recorder, parameters)  # type: ignore[arg-type]
        undeclared = sorted(key.to_user_string() for key in recorder.asset_keys() - set(spec.deps))
        if undeclared:
            raise dg.Failure(
                f"marts.{spec.name} read {', '.join(undeclared)}, which its spec does not "
                "declare in deps: declare it, so the mart is rebuilt after it"
            )
        write_frame(con, spec, frame)
        return sorted(key.to_user_string() for key in recorder.asset_keys())

    @dg.asset(
        key=catalog.key("marts", spec.name),
        deps=list(dict.fromkeys([*spec.inputs, AS_OF_SOURCE])),
        group_name="marts",
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
                read = []
                if skipped:
                    write_empty(con, spec)
                else:
                    read = build(con, parameters)
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
                checks = [grain_check(con, spec)] if spec.grain else []
                if spec.evaluate_checks:
                    checks += spec.evaluate_checks(con, cx_settings)
        seconds = time.monotonic() - started
        if skipped:
            context.log.warning(f"marts.{spec.name} {skipped}")
        else:
            context.log.info(f"marts.{spec.name}: {rows:,} rows in {seconds:.1f} s")
        return dg.MaterializeResult(
            check_results=checks,
            metadata={
                "dagster/row_count": rows,
                "as_of": str(parameters["as_of"]),
                "preview": dg.MetadataValue.md(preview),
                **({"skipped": skipped} if skipped else {}),
                **({"read": ", ".join(read)} if read else {}),
            },
        )

    return mart_asset
