"""How warehouse assets are keyed, grouped, owned and documented, in one place.

Asset keys follow `schema/table`, groups are the layers, and every writer of the warehouse joins
one concurrency pool, because DuckDB allows a single writing process.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from cx_pipeline.contract import Entity
from cx_pipeline.contract_sql import DUCKDB_TYPES, EXTRA_COLUMN, LINEAGE_COLUMNS

OWNERS = ["team:cx_data"]
WAREHOUSE_POOL = "cx_warehouse"
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
