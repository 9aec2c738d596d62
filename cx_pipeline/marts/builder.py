"""Turning a mart's SQL file and documentation into a Dagster asset.

Each mart is one `CREATE OR REPLACE TABLE marts.<name> AS ...` query in `sql/<name>.sql`, with
its parameters bound (never formatted in), and its description and column docs written both to
the Dagster UI and to DuckDB comments, so BI tools see them too. The few marts a model computes
(regressions, predictions) are a Python function returning a frame instead of a SQL file; they
are written, typed as documented and commented the same way.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources as package_files
from typing import Any

import dagster as dg
import duckdb
import polars as pl

from cx_pipeline import catalog
from cx_pipeline.contract_sql import quote
from cx_pipeline.resources import CxSettings, Warehouse
from cx_pipeline.sql import execute, literal
from cx_pipeline.staging.identity import RESOLVED_ENTITIES


@dataclass(frozen=True)
class MartSpec:
    name: str
    description: str
    columns: tuple[tuple[str, str, str], ...]
    deps: tuple[dg.AssetKey, ...]
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


def sql_parameters(con: duckdb.DuckDBPyConnection, cx_settings: CxSettings) -> dict[str, Any]:
    return {
        "as_of": resolve_as_of(con, cx_settings),
        "timezone": cx_settings.timezone,
        "low_sample": cx_settings.low_sample_responses,
        "mid_market_from": cx_settings.mid_market_from,
        "enterprise_from": cx_settings.enterprise_from,
        "funnel_steps": cx_settings.funnel_step_list(),
    }


def run_mart_sql(con: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, Any]) -> None:
    """Run a mart's SQL file, statement by statement (DuckDB binds parameters to one statement
    at a time), each with the parameters it names."""
    for statement in duckdb.extract_statements(sql):
        execute(con, statement.query, **parameters)


def comment_on(con: duckdb.DuckDBPyConnection, spec: MartSpec, schema: str = "marts") -> None:
    """The mart's documentation as DuckDB comments, so BI tools show it too."""
    con.execute(f"COMMENT ON TABLE {schema}.{spec.name} IS {literal(spec.description)}")
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


def _preview(con: duckdb.DuckDBPyConnection, table: str, rows: int = 10) -> str:
    result = con.execute(f"SELECT * FROM {table} LIMIT {rows}")
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
    def mart_asset(warehouse: Warehouse, cx_settings: CxSettings) -> dg.MaterializeResult:
        with warehouse.get_connection() as con:
            parameters = sql_parameters(con, cx_settings)
            con.execute("BEGIN TRANSACTION")
            try:
                build(con, parameters)
                _check_documented(con, spec)
                comment_on(con, spec)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            rows = con.execute(f"SELECT count(*) FROM marts.{spec.name}").fetchone()[0]
            preview = _preview(con, f"marts.{spec.name}")
            checks = spec.evaluate_checks(con, cx_settings) if spec.evaluate_checks else []
        return dg.MaterializeResult(
            check_results=checks,
            metadata={
                "dagster/row_count": rows,
                "as_of": str(parameters["as_of"]),
                "preview": dg.MetadataValue.md(preview),
            },
        )

    return mart_asset
