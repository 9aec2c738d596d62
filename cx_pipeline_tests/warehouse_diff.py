"""Comparing the marts of two warehouses row for row, in one DuckDB connection."""

from __future__ import annotations

import duckdb

from cx_pipeline.marts.assets import MART_SPECS


def mart_differences(con: duckdb.DuckDBPyConnection, left: str, right: str) -> dict[str, str]:
    """Marts whose rows differ between catalogs `left` and `right` (multisets, so duplicates
    count): {table: what differs}. Empty when every mart is equal."""
    differences = {}
    for spec in MART_SPECS:
        a, b = f"{left}.marts.{spec.name}", f"{right}.marts.{spec.name}"
        only_left, only_right = con.execute(
            f"SELECT (SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})), "
            f"(SELECT count(*) FROM (FROM {b} EXCEPT ALL FROM {a}))"
        ).fetchone()
        if only_left or only_right:
            rows = con.execute(f"SELECT (FROM {a} SELECT count(*)), (FROM {b} SELECT count(*))")
            n_left, n_right = rows.fetchone()
            differences[spec.name] = (
                f"{n_left} vs {n_right} rows; {only_left} only in {left}, {only_right} in {right}"
            )
    return differences
