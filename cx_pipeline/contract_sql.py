"""DuckDB SQL derived from the extract contract: raw tables, row rules and typed columns.

Raw tables hold every delivered value as text, so nothing is lost before the rules have looked at
it; staging casts with the same expressions that the type rules test, so a row that passes the
rules always casts cleanly.
"""

from __future__ import annotations

from cx_pipeline.contract import Column, Entity
from cx_pipeline.sql import literal, quote

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18, 2)",
    "timestamp": "TIMESTAMPTZ",
    "boolean": "BOOLEAN",
    "json": "JSON",
}

LINEAGE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("_delivery_date", "DATE", "Delivery day: the date folder the file came from."),
    ("_source_file", "VARCHAR", "File the row came from, relative to the extract root."),
    ("_row_number", "BIGINT", "Data row number within the file (1 = first row after the header)."),
    ("_loaded_at", "TIMESTAMPTZ", "When the load that wrote this row ran."),
)


def duckdb_type(column: Column) -> str:
    return DUCKDB_TYPES[column.type]


def cleaned(column: Column) -> str:
    """The raw text of a column with blank values treated as missing."""
    return f"nullif(trim({quote(column.name)}), '')"


# An integer is digits with an optional sign: TRY_CAST('6.5' AS BIGINT) would round it to 7, and
# a value the file does not say is an integer must not become one (quality/suites.py agrees).
INTEGER_TEXT = "'[+-]?[0-9]+'"


def typed(column: Column) -> str:
    if column.free_text:
        return f"mask_contact_details({cleaned(column)})"
    if column.type == "string":
        return cleaned(column)
    if column.type == "json":
        return f"CASE WHEN json_valid({cleaned(column)}) THEN {cleaned(column)}::JSON END"
    if column.type == "integer":
        return (
            f"CASE WHEN regexp_full_match({cleaned(column)}, {INTEGER_TEXT}) "
            f"THEN TRY_CAST({cleaned(column)} AS BIGINT) END"
        )
    return f"TRY_CAST({cleaned(column)} AS {duckdb_type(column)})"


def row_rules(entity: Entity) -> list[tuple[str, str]]:
    """(rule name, SQL predicate that is true when a raw row breaks it), from the contract.

    Rule names are `<kind>:<column>`; the kinds are documented in docs/extracts.md.
    """
    rules: list[tuple[str, str]] = []
    for c in entity.columns:
        raw, value = cleaned(c), typed(c)
        if c.required:
            rules.append((f"required:{c.name}", f"{raw} IS NULL"))
        if c.type != "string":
            rules.append((f"type:{c.name}", f"{raw} IS NOT NULL AND {value} IS NULL"))
        if c.allowed:
            values = ", ".join(literal(v) for v in c.allowed)
            rules.append((f"allowed:{c.name}", f"{raw} NOT IN ({values})"))
        if c.minimum is not None:
            rules.append((f"range:{c.name}", f"{value} < {c.minimum}"))
        if c.maximum is not None:
            rules.append((f"range:{c.name}", f"{value} > {c.maximum}"))
        if c.required_for:
            selector = cleaned(entity.column(c.depends_on))
            values = ", ".join(literal(v) for v in c.required_for)
            rules.append((f"required:{c.name}", f"{selector} IN ({values}) AND {raw} IS NULL"))
        for selected, low, high in c.ranges_for:
            selector = cleaned(entity.column(c.depends_on))
            rules.append(
                (
                    f"range:{c.name}",
                    f"{selector} = {literal(selected)} AND ({value} < {low} OR {value} > {high})",
                )
            )
        if c.not_before:
            rules.append((f"order:{c.name}", f"{value} < {typed(entity.column(c.not_before))}"))
    return rules


def broken_rules_expression(entity: Entity, row_filters: tuple[tuple[str, str], ...] = ()) -> str:
    """A VARCHAR[] of the rules a raw row breaks; empty when it passes them all. An adapter's
    row filters (`filtered:<field>`) leave rows out the same way, visibly."""
    rules = [*row_rules(entity), *row_filters]
    cases = ",\n        ".join(
        f"CASE WHEN {predicate} THEN {literal(name)} END" for name, predicate in rules
    )
    return f"list_distinct(list_filter([\n        {cases}\n    ], r -> r IS NOT NULL))"


EXTRA_COLUMN = (
    "_extra",
    "JSON",
    "Columns delivered that the contract does not list, as a JSON object; null when none.",
)


def raw_table_columns(entity: Entity) -> list[tuple[str, str]]:
    """(name, type) of a raw table: the contract's columns as text, lineage, extras."""
    columns = [(c.name, "VARCHAR") for c in entity.columns]
    return columns + [(name, sql_type) for name, sql_type, _ in (*LINEAGE_COLUMNS, EXTRA_COLUMN)]


def raw_table_ddl(entity: Entity) -> str:
    body = ",\n    ".join(
        f"{quote(name)} {sql_type}" for name, sql_type in raw_table_columns(entity)
    )
    return f"CREATE TABLE IF NOT EXISTS raw.{entity.name} (\n    {body}\n)"


def quarantine_table_ddl(entity: Entity) -> str:
    lineage = ",\n    ".join(f"{name} {sql_type}" for name, sql_type, _ in LINEAGE_COLUMNS)
    return (
        f"CREATE TABLE IF NOT EXISTS quarantine.{entity.name} (\n"
        f"    {lineage},\n"
        "    broken_rules VARCHAR[],\n"
        "    record JSON\n"
        ")"
    )


def record_json(entity: Entity) -> str:
    fields = ", ".join(f"{quote(c.name)} := {quote(c.name)}" for c in entity.columns)
    return f"to_json(struct_pack({fields}))"


def staging_select(entity: Entity, raw_rows: str = "TRUE") -> str:
    """Typed, quarantine-free, one row per key: the latest delivery, then the last row, wins.
    `raw_rows` narrows the raw rows considered (incremental staging: the changed keys).

    A snapshot entity is delivered whole each day, so a key absent from its latest delivery was
    deleted at the source and leaves staging (raw keeps every day's snapshot for as-of
    questions). A key whose latest row was quarantined stays, with its last good row."""
    columns = ",\n    ".join(f"{typed(c)} AS {quote(c.name)}" for c in entity.columns)
    key = cleaned(entity.column(entity.key))
    in_latest_snapshot = (
        f"""
    AND {key} IN (
        SELECT {key} FROM raw.{entity.name}
        WHERE _delivery_date = (SELECT max(_delivery_date) FROM raw.{entity.name})
    )"""
        if entity.delivery == "snapshot"
        else ""
    )
    return f"""
SELECT
    {columns},
    _delivery_date,
    _source_file,
    _row_number
FROM raw.{entity.name} AS r
WHERE ({raw_rows}) AND NOT EXISTS (
    SELECT 1 FROM quarantine.{entity.name} AS q
    WHERE q._source_file = r._source_file AND q._row_number = r._row_number
){in_latest_snapshot}
QUALIFY row_number() OVER (
    PARTITION BY {key}
    ORDER BY _delivery_date DESC, _source_file DESC, _row_number DESC
) = 1
"""


def quarantine_status_select(entity: Entity) -> str:
    """Every quarantined row of `entity` with what has become of it since, in staging's order
    of deliveries (the latest delivery, then the last row, wins):

    - `corrected`: a later clean row of the same key was loaded (staging holds it);
    - `superseded`: a later row of the key was quarantined too, or, for a snapshot entity, a
      later snapshot was delivered (it either dropped the key or holds its newest attempt);
    - `filtered`: an adapter's filter left the row out on purpose (not a fault);
    - `outstanding`: still waiting for the source to fix and deliver it again.

    A row without a usable key cannot be matched to a later row: it stays outstanding, unless it
    is in a snapshot that a newer snapshot has replaced whole (then superseded, like every row of
    that delivery)."""
    key = cleaned(entity.column(entity.key))
    snapshot = "TRUE" if entity.delivery == "snapshot" else "FALSE"
    return f"""
WITH quarantined AS (
    SELECT
        q._delivery_date,
        q._source_file,
        q._row_number,
        q.broken_rules,
        q.record,
        nullif(trim(q.record ->> {literal(entity.key)}), '') AS key,
        row(q._delivery_date, q._source_file, q._row_number) AS position,
        len(list_filter(q.broken_rules, r -> starts_with(r, 'filtered:'))) > 0 AS filtered
    FROM quarantine.{entity.name} AS q
),
raw_rows AS (
    -- The rows loaded for the quarantined keys, clean or not.
    SELECT
        {key} AS key,
        row(r._delivery_date, r._source_file, r._row_number) AS position,
        NOT EXISTS (
            SELECT 1 FROM quarantine.{entity.name} AS q
            WHERE q._source_file = r._source_file AND q._row_number = r._row_number
        ) AS clean
    FROM raw.{entity.name} AS r
    WHERE {key} IN (SELECT key FROM quarantined)
),
newest AS (
    SELECT
        key,
        max(position) AS newest_row,
        max(position) FILTER (WHERE clean) AS newest_clean_row
    FROM raw_rows
    GROUP BY key
)
SELECT
    quarantined._delivery_date,
    quarantined._source_file,
    quarantined._row_number,
    quarantined.key,
    quarantined.broken_rules,
    quarantined.record,
    CASE
        WHEN quarantined.filtered THEN 'filtered'
        WHEN newest.newest_clean_row > quarantined.position THEN 'corrected'
        WHEN newest.newest_row > quarantined.position THEN 'superseded'
        WHEN {snapshot} AND quarantined._delivery_date
            < (SELECT max(_delivery_date) FROM raw.{entity.name}) THEN 'superseded'
        ELSE 'outstanding'
    END AS status
FROM quarantined
LEFT JOIN newest USING (key)
"""
