"""Running parameterised SQL: values are always bound, never formatted into the text."""

from __future__ import annotations

import re
from typing import Any

import duckdb

PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def execute(con: duckdb.DuckDBPyConnection, sql: str, **params: Any) -> duckdb.DuckDBPyConnection:
    """Execute `sql`, binding those of `params` that it names as `$name` (DuckDB rejects extras)."""
    used = set(PARAMETER.findall(sql))
    missing = used - params.keys()
    if missing:
        raise KeyError(f"no value for SQL parameter(s): {', '.join(sorted(missing))}")
    return con.execute(sql, {name: params[name] for name in used} if used else None)


def literal(value: str) -> str:
    """A SQL string literal, for the few places DuckDB takes no parameter (DDL, COMMENT ON,
    ATTACH, enum lists in generated rules)."""
    return "'" + value.replace("'", "''") + "'"


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `schema.table` is there yet (a first run, an optional entity, a mart not built)."""
    return bool(
        scalar(
            con,
            "SELECT count(*) FROM duckdb_tables() "
            "WHERE schema_name = $schema AND table_name = $table",
            schema=schema,
            table=table,
        )
    )


def scalar(con: duckdb.DuckDBPyConnection, sql: str, **params: Any) -> Any:
    row = execute(con, sql, **params).fetchone()
    return None if row is None else row[0]
