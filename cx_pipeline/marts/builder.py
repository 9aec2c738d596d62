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
from cx_pipeline.sql import execute, literal, table_exists
from cx_pipeline.staging.identity import RESOLVED_ENTITIES


@dataclass(frozen=True)
class MartSpec:
    name: str
    description: str
    columns: tuple[tuple[str, str, str], ...]
    deps: tuple[dg.AssetKey, ...]
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
    # Asset checks evaluated on the freshly built table, in the same run.
    check_specs: tuple[dg.AssetCheckSpec, ...] = ()
    evaluate_checks: (
        Callable[[duckdb.DuckDBPyConnection, CxSettings], list[dg.AssetCheckResult]] | None
    ) = None

    @property
    def sql(self) -> str:
        return package_files.files("cx_pipeline.marts").joinpath(f"sql/{self.name}.sql").read_text()


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


def _upstream(dep: dg.AssetKey) -> dg.AssetKey:
    """Marts read the person-bearing entities through the staging.resolved_<entity> views that
    the identity map publishes (staging/identity.py), so they depend on the map."""
    resolved = {catalog.key("staging", name) for name in RESOLVED_ENTITIES}
    return catalog.key("staging", "identity_map") if dep in resolved else dep


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

    def build(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> None:
        if compute is None:
            run_mart_sql(con, spec.sql, parameters)
        else:
            write_frame(con, spec, compute(con, parameters))

    @dg.asset(
        key=catalog.key("marts", spec.name),
        deps=list(dict.fromkeys(_upstream(dep) for dep in spec.deps)),
        group_name="marts",
        kinds={"duckdb"} if compute is None else {"duckdb", "python"},
        owners=catalog.OWNERS,
        pool=catalog.WAREHOUSE_POOL,
        description=spec.description,
        metadata=catalog.table_metadata("marts", spec.name, list(spec.columns)),
        freshness_policy=catalog.MART_FRESHNESS,
        check_specs=list(spec.check_specs),
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
                if skipped:
                    write_empty(con, spec)
                else:
                    build(con, parameters)
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
                    for c in spec.check_specs
                ]
            else:
                checks = spec.evaluate_checks(con, cx_settings) if spec.evaluate_checks else []
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
            },
        )

    return mart_asset
