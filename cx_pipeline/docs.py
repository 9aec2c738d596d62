"""Rendering `docs/extracts.md` from the extract contract, so the page cannot drift from it."""

from __future__ import annotations

from cx_pipeline.contract import ENTITIES, FORMAT_NOTES, Column, Entity
from cx_pipeline.contract_sql import DUCKDB_TYPES


def _rules(column: Column) -> str:
    parts = []
    if column.required:
        parts.append("required")
    if column.allowed:
        parts.append("one of " + ", ".join(f"`{v}`" for v in column.allowed))
    if column.minimum is not None or column.maximum is not None:
        low = "" if column.minimum is None else f"{column.minimum:g}"
        high = "" if column.maximum is None else f"{column.maximum:g}"
        parts.append(f"range {low}..{high}")
    if column.required_for:
        values = ", ".join(f"`{v}`" for v in column.required_for)
        parts.append(f"required when `{column.depends_on}` is {values}")
    for value, low, high in column.ranges_for:
        parts.append(f"range {low:g}..{high:g} when `{column.depends_on}` is `{value}`")
    if column.not_before:
        parts.append(f"not before `{column.not_before}`")
    if column.type == "timestamp" and not column.may_be_future:
        parts.append("not after its delivery day (warned)")
    if column.references:
        parts.append(f"refers to `{column.references}`")
    if column.free_text:
        parts.append("personal free text: e-mails and phone numbers in it masked in staging")
    elif column.personal:
        parts.append("personal data")
    return "; ".join(parts)


def _entity_section(entity: Entity) -> list[str]:
    optional = " (optional)" if entity.optional else ""
    lines = [
        f"### `{entity.qualified_name}`{optional}",
        "",
        entity.description,
        "",
        f"- File: `{entity.source}/<YYYY-MM-DD>/{entity.name}.{entity.file_format}` "
        f"({entity.file_format.upper()}, {entity.delivery} delivery)",
        f"- Key: `{entity.key}` (one row per key in staging; the latest delivery wins)",
        "",
        "| column | type | rules | description |",
        "|---|---|---|---|",
    ]
    for c in entity.columns:
        lines.append(
            f"| `{c.name}` | {c.type} ({DUCKDB_TYPES[c.type]}) | {_rules(c)} | {c.description} |"
        )
    return [*lines, ""]


def render_extracts_page() -> str:
    lines = [
        "# Extract contract",
        "",
        "<!-- Generated from cx_pipeline/contract by `cx-pipeline docs`; do not edit by hand. -->",
        "",
        "cx-pipeline reads four sources. Each entity below is one file per delivery day; the",
        "columns, types, keys and allowed values are the contract that ingestion and validation",
        "enforce. A row that breaks a rule goes to `quarantine.<entity>` with the rule's name",
        "(`required:<column>`, `type:<column>`, `allowed:<column>`, `range:<column>`,",
        "`order:<column>`); a file that cannot be read at all fails the load with its path and the",
        "problem. References to other entities and timestamps after the delivery day are warned",
        "about, not quarantined. See the README's 'Bad input' section for what happens next.",
        "",
        "## Format",
        "",
        *[f"- {note}" for note in FORMAT_NOTES],
        "",
        "## Entities",
        "",
    ]
    for e in ENTITIES:
        lines += _entity_section(e)
    lines += _needs_section()
    return "\n".join(lines).rstrip() + "\n"


def _needs_section() -> list[str]:
    """Which marts each optional entity feeds, so a company knows what it gives up."""
    from cx_pipeline.marts.assets import ALL_MART_SPECS

    required = [f"`{e.qualified_name}`" for e in ENTITIES if not e.optional]
    lines = [
        "## What you must deliver, and what each optional entity adds",
        "",
        f"The minimum is the CRM: {', '.join(required)}. Every other entity is optional. A mart",
        "that needs an entity with no rows is skipped: its table stays with its columns and no",
        "rows, and the run summary, the UI, the table's comment and the report say why. Marts",
        "not listed here need the CRM only; some of them use an optional entity for one",
        "component (usage, NPS, support in the health score) and leave it null without it.",
        "",
        "| entity | marts skipped without it |",
        "|---|---|",
    ]
    for e in ENTITIES:
        if not e.optional:
            continue
        marts = [f"`{s.name}`" for s in ALL_MART_SPECS if e.name in s.needs]
        lines.append(f"| `{e.qualified_name}` | {', '.join(marts) or 'none'} |")
    return [*lines, ""]
