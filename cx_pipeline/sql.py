"""Running parameterised SQL: values are always bound, never formatted into the text."""

from __future__ import annotations

import functools
import json
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


def create_function_once(
    con: duckdb.DuckDBPyConnection, name: str, function: Any, parameters: list, returns: Any
) -> None:
    """A Python function as a SQL function over Arrow vectors, unless this connection already
    has it. Asked by trying: listing duckdb_functions() cost more than the rest of opening a
    connection, which every step of a run does. Macros that call it hold on to the first
    registration, so it is never replaced. Another connection's function of the same name
    raises: it lives only as long as the connection that created it."""
    try:
        con.create_function(name, function, parameters, returns, type="arrow", side_effects=False)
    except duckdb.NotImplementedException as e:
        if "already created" not in str(e):
            raise


def literal(value: str) -> str:
    """A SQL string literal, for the few places DuckDB takes no parameter (DDL, COMMENT ON,
    ATTACH, enum lists in generated rules)."""
    return "'" + value.replace("'", "''") + "'"


def quote(identifier: str) -> str:
    """A quoted SQL identifier: any double quote in the name doubled, so any name is safe."""
    return '"' + identifier.replace('"', '""') + '"'


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `schema.table` is there yet (a first run, an optional entity, a mart not built).
    Asked by binding a query on it, which reads one catalog entry: listing duckdb_tables()
    works out every table's size first (23 ms a call on a DuckLake of the sample, against
    1.5 ms). A failed bind leaves an open transaction usable."""
    try:
        con.execute(f"SELECT 1 FROM {quote(schema)}.{quote(table)} LIMIT 0")
    except duckdb.CatalogException:
        return False
    return True


def scalar(con: duckdb.DuckDBPyConnection, sql: str, **params: Any) -> Any:
    row = execute(con, sql, **params).fetchone()
    return None if row is None else row[0]


# What each kind of statement reads, as a query DuckDB's parser can serialize (it serializes
# SELECT statements only): the query of a CREATE ... AS or INSERT, the rows a DELETE filters.
_LEADING_COMMENTS = re.compile(r"\A(?:\s*--[^\n]*\n)*\s*")
_TARGET = r"(?P<target>[\w\"]+(?:\.[\w\"]+)?)"
_CREATE_AS = re.compile(
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\w*\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"{_TARGET}\s+AS\s+",
    re.IGNORECASE,
)
_CREATE_COLUMNS = re.compile(
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\w*\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_TARGET}\s*\(",
    re.IGNORECASE,
)
_INSERT = re.compile(
    rf"INSERT\s+(?:OR\s+\w+\s+)?INTO\s+{_TARGET}\s*(?:\([^)]*\)\s*)?", re.IGNORECASE
)
_DELETE = re.compile(rf"DELETE\s+FROM\s+{_TARGET}\s*", re.IGNORECASE)
_ALTER = re.compile(rf"ALTER\s+TABLE\s+{_TARGET}\s", re.IGNORECASE)
_DROP = re.compile(rf"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_TARGET}", re.IGNORECASE)
_COMMENT = re.compile(r"COMMENT\s+ON\s", re.IGNORECASE)


@functools.cache
def tables_read(sql: str) -> frozenset[tuple[str, str]]:
    """The (schema, table) pairs the statements in `sql` read, found by DuckDB's own parser, so
    a mart's inputs come from its SQL and never from a list kept beside it.

    Only schema-qualified names count: unqualified ones are the query's CTEs and temporary
    tables. Tables the statements write themselves (a cache the query keeps) are not inputs."""
    reads: set[tuple[str, str]] = set()
    written: set[tuple[str, str]] = set()
    for statement in duckdb.extract_statements(sql):
        text = _LEADING_COMMENTS.sub("", statement.query, count=1)
        query: str | None
        if match := _CREATE_AS.match(text) or _INSERT.match(text):
            query = text[match.end() :]
        elif match := _DELETE.match(text):
            query = f"SELECT 1 FROM {match['target']} {text[match.end() :]}"
        elif match := _CREATE_COLUMNS.match(text) or _ALTER.match(text) or _DROP.match(text):
            query = None
        elif _COMMENT.match(text):
            query, match = None, None
        elif re.match(r"(?:WITH|SELECT|FROM)\b", text, re.IGNORECASE):
            query, match = text, None
        else:
            raise ValueError(f"cannot tell what this statement reads: {text[:80]!r}")
        if match is not None:
            written.add(_qualified(match["target"]))
        if query is not None:
            reads |= _base_tables(query)
    return frozenset(table for table in reads - written if table[0])


def _qualified(name: str) -> tuple[str, str]:
    schema, _, table = name.replace('"', "").rpartition(".")
    return schema, table


def _base_tables(query: str) -> set[tuple[str, str]]:
    # Our own SQL, quoted as a literal: bound as a parameter, the first qualified table name
    # makes DuckDB's Python client import pandas (a second per code-location load).
    serialized = (
        f"SELECT json_serialize_sql({literal(query)}, skip_empty := true, skip_null := true)"
    )
    tree = json.loads(duckdb.execute(serialized).fetchone()[0])
    if tree.get("error"):
        raise ValueError(f"cannot parse: {tree.get('error_message')}")
    found: set[tuple[str, str]] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and "table_name" in node:
                found.add((node.get("schema_name") or "", node["table_name"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return found
