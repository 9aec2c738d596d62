"""How warehouse assets are keyed, grouped, owned and documented, in one place.

Asset keys follow `schema/table`, groups are the layers, and every writer of the warehouse joins
one concurrency pool, because DuckDB allows a single writing process.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from cx_pipeline import settings
from cx_pipeline.contract import Entity
from cx_pipeline.contract_sql import DUCKDB_TYPES, EXTRA_COLUMN, LINEAGE_COLUMNS

OWNERS = ["team:cx_data"]


# Every writer of the warehouse is in this pool (limit 1 in .dagster_home/dagster.yaml). Not
# under the Dask executor: it ignores pools, is only allowed on a lake many processes write
# (executors.py), and dagster-dask 0.29.27 cannot hand dask >= 2025 a run that carries pool
# information (dask walks the run's tuples and trips over Dagster's RunOpConcurrency record).
def warehouse_pool() -> str | None:
    """The pool every warehouse writer joins, read from the settings when the definitions are
    built, not when this module is imported."""
    return None if settings.EXECUTOR.value() == "dask" else "cx_warehouse"


# A mart is rebuilt every day: a warning after 26 hours without a rebuild, a failure after 50.
MART_FRESHNESS = dg.FreshnessPolicy.time_window(
    warn_window=dt.timedelta(hours=26), fail_window=dt.timedelta(hours=50)
)


def key(schema: str, table: str) -> dg.AssetKey:
    return dg.AssetKey([schema, table])


def column_schema(columns: list[tuple[str, str, str]]) -> dg.TableSchema:
    """A UI column schema from (name, type, description) triples."""
    return dg.TableSchema(
        columns=[dg.TableColumn(name, type=t, description=d) for name, t, d in columns]
    )


def raw_columns(entity: Entity) -> list[tuple[str, str, str]]:
    contract = [(c.name, "VARCHAR", f"As delivered. {c.description}") for c in entity.columns]
    return [*contract, *LINEAGE_COLUMNS, EXTRA_COLUMN]


def staging_columns(entity: Entity) -> list[tuple[str, str, str]]:
    typed = [(c.name, DUCKDB_TYPES[c.type], c.description) for c in entity.columns]
    return typed + list(LINEAGE_COLUMNS[:3])


def table_metadata(schema: str, table: str, columns: list[tuple[str, str, str]]) -> dict:
    return {
        "dagster/column_schema": column_schema(columns),
        "dagster/table_name": f"{schema}.{table}",
    }


def markdown_table(names: list[str], rows: list[tuple]) -> str:
    """A small table for asset and check metadata (the UI renders markdown)."""
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for row in rows:
        cells = ("" if v is None else str(v).replace("|", "\\|") for v in row)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
