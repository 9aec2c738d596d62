"""Finding a person's values in what the pipeline stores: the tables of a warehouse or a lake,
Parquet files, the serving file and the report.

Erasure and retention are proven by searching everything for the values that must be gone.
The search is DuckDB's (a Python scan of every row took 16 s a warehouse) and case-insensitive,
and it looks for each value in every spelling a cell can hold it in: a value nested in a list or
struct is written with its quotes escaped, and in JSON with JSON's escapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import duckdb

from cx_pipeline.sql import literal, quote


def spellings(value: str) -> set[str]:
    """How a value can be written inside a cell's text: as it is, as DuckDB writes a string
    nested in a list or struct (quotes escaped with a backslash), and as JSON writes it."""
    value = value.lower()
    return {
        value,
        value.replace("\\", "\\\\").replace("'", "\\'"),
        json.dumps(value, ensure_ascii=False)[1:-1],
    }


def values_in(con: duckdb.DuckDBPyConnection, relation: str, values: list[str]) -> list[str]:
    """The `values` found in any cell of `relation`: text columns as they are, other columns
    (lists, structs, maps, JSON) as their text and as JSON."""
    cells = []
    for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall():
        column = quote(name)
        if kind == "VARCHAR":
            cells.append(column)
        else:
            cells.append(f"{column}::VARCHAR")
            cells.append(f"to_json({column})::VARCHAR")
    spelled = {spelling: value for value in values for spelling in spellings(value)}
    found = con.execute(
        f"WITH cells AS (SELECT lower(concat_ws(chr(31), {', '.join(cells)})) AS text "
        f"FROM {relation}) "
        "SELECT spelling FROM unnest($spellings) AS s(spelling) "
        "WHERE EXISTS (SELECT 1 FROM cells WHERE contains(text, spelling))",
        {"spellings": list(spelled)},
    ).fetchall()
    return sorted({spelled[spelling] for (spelling,) in found})


def tables_holding(
    con: duckdb.DuckDBPyConnection,
    values: list[str],
    schemas: Iterable[str] | None = None,
    database: str | None = None,
) -> dict[str, list[str]]:
    """{"schema.table": the values found} over the tables of `database` (the connection's own by
    default), or of its `schemas`."""
    names = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = coalesce($database, current_database()) "
        "AND ($schemas IS NULL OR list_contains($schemas, schema_name)) ORDER BY ALL",
        {"database": database, "schemas": None if schemas is None else list(schemas)},
    ).fetchall()
    return {
        f"{schema}.{table}": found
        for schema, table in names
        if (found := values_in(con, f"{quote(schema)}.{quote(table)}", values))
    }


def parquet_holding(folder: Path, values: list[str]) -> dict[str, list[str]]:
    """{file path under `folder`: the values found} over every Parquet file below it, file by
    file (their schemas differ)."""
    with duckdb.connect() as con:
        return {
            str(file.relative_to(folder)): found
            for file in sorted(folder.rglob("*.parquet"))
            if (found := values_in(con, f"read_parquet({literal(str(file))})", values))
        }


def found_everywhere(base: Path, values: list[str]) -> dict[str, list[str]]:
    """Where any of `values` appears in what a run writes under `base` (warehouse, serving file,
    Parquet export, report): {table or file: the values found}."""
    hits: dict[str, list[str]] = {}
    for label, file in (("", "cx.duckdb"), ("serving:", "cx_serving.duckdb")):
        with duckdb.connect(str(base / file), read_only=True) as con:
            for name, found in tables_holding(con, values).items():
                hits[f"{label}{name}"] = found
    for name, found in parquet_holding(base / "parquet", values).items():
        hits[f"parquet:{name}"] = found
    report = base.joinpath("cx_report.html").read_text().lower()
    if found := [v for v in values if v.lower() in report]:
        hits["report"] = found
    return hits
