"""Comparing the marts of two warehouses row for row, in one DuckDB connection.

Every column is compared exactly but floating-point ones, which are compared to 9 decimal
places: DuckDB sums doubles in parallel, in an order that depends on how the rows are laid out
(DuckDB blocks or DuckLake's Parquet files), so the last bits of an average may differ between
two runs over the same data.
"""

from __future__ import annotations

import duckdb

from cx_pipeline.marts.assets import ALL_MART_SPECS
from cx_pipeline.sql import quote

DECIMALS = 9


def _comparable(con: duckdb.DuckDBPyConnection, table: str) -> str:
    columns = []
    for name, sql_type, *_ in con.execute(f"DESCRIBE {table}").fetchall():
        column = quote(name)
        if sql_type in ("DOUBLE", "FLOAT"):
            column = f"round({column}, {DECIMALS})"
        elif sql_type in ("DOUBLE[]", "FLOAT[]"):
            column = f"list_transform({column}, x -> round(x, {DECIMALS}))"
        columns.append(f"{column} AS {quote(name)}")
    return f"SELECT {', '.join(columns)} FROM {table}"


def mart_differences(
    con: duckdb.DuckDBPyConnection, left: str, right: str, names: tuple[str, ...] = ()
) -> dict[str, str]:
    """Marts (all, or those `names`) whose rows differ between catalogs `left` and `right`
    (multisets, so duplicates count): {table: what differs, with a differing row}. Empty when
    every mart is equal."""
    differences = {}
    for spec in ALL_MART_SPECS:
        if names and spec.name not in names:
            continue
        a = _comparable(con, f"{left}.marts.{spec.name}")
        b = _comparable(con, f"{right}.marts.{spec.name}")
        only_left = con.execute(f"({a}) EXCEPT ALL ({b})").fetchall()
        only_right = con.execute(f"({b}) EXCEPT ALL ({a})").fetchall()
        if only_left or only_right:
            differences[spec.name] = (
                f"{len(only_left)} row(s) only in {left}, {len(only_right)} only in {right}; "
                f"e.g. {only_left[:1]} / {only_right[:1]}"
            )
    return differences
