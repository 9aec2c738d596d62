"""What is still quarantined, and what the sources have since corrected.

A delivery's quarantine count never changes (rows in = rows loaded + rows quarantined holds per
delivery, for good). What a team works through is the other question: which quarantined rows are
still waiting for the source to fix them. A row stops waiting when a later delivery brings a clean
row of the same key (staging already uses it: the latest delivery wins), and the rules are in
`contract_sql.quarantine_status_select`, next to staging's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import polars as pl

from cx_pipeline.contract import ENTITIES, Entity
from cx_pipeline.contract_sql import quarantine_status_select
from cx_pipeline.sql import table_exists

STATUSES = ("corrected", "superseded", "filtered", "outstanding")


@dataclass(frozen=True)
class QuarantinedRow:
    delivery_date: dt.date
    source_file: str
    row_number: int
    key: str | None
    broken_rules: list[str]


@dataclass(frozen=True)
class EntityQuarantine:
    entity: Entity
    counts: dict[str, int]
    outstanding_by_rule: dict[str, int]
    # Oldest first; at most the `limit` asked for.
    oldest_outstanding: list[QuarantinedRow] = field(default_factory=list)

    @property
    def quarantined(self) -> int:
        return sum(self.counts.values())


def quarantine_status(
    con: duckdb.DuckDBPyConnection, entities: tuple[Entity, ...] = ENTITIES, limit: int = 10
) -> list[EntityQuarantine]:
    """Per entity that has a quarantine table: rows by status, the outstanding rows' broken
    rules, and the oldest outstanding rows."""
    found = []
    for entity in entities:
        if not table_exists(con, "quarantine", entity.name):
            continue
        # One pass over raw (the status select scans it); the quarantined rows are few.
        rows = con.execute(
            "SELECT _delivery_date, _source_file, _row_number, key, broken_rules, status "
            f"FROM ({quarantine_status_select(entity)})"
        ).pl()
        counts = dict.fromkeys(STATUSES, 0)
        counts.update(dict(rows.group_by("status").len().iter_rows()))
        outstanding = rows.filter(pl.col("status") == "outstanding")
        by_rule = dict(
            outstanding.explode("broken_rules")
            .group_by("broken_rules")
            .len()
            .sort(["len", "broken_rules"], descending=[True, False])
            .iter_rows()
        )
        oldest = [
            QuarantinedRow(*row[:5])
            for row in outstanding.sort(["_delivery_date", "_source_file", "_row_number"])
            .head(limit)
            .iter_rows()
        ]
        found.append(EntityQuarantine(entity, counts, by_rule, oldest))
    return found
