"""The shape of an extract contract: pure data, no I/O, no database.

Ingestion, validation, documentation and the test-data generator all read these objects, so a
column added here shows up everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["string", "integer", "decimal", "timestamp", "boolean", "json"]
FileFormat = Literal["csv", "parquet"]
# "snapshot": each delivery holds the full table as of that day (CRM).
# "events": each delivery holds the rows that arrived that day (tickets, events, survey responses).
DeliveryKind = Literal["snapshot", "events"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    personal: bool = False
    free_text: bool = False  # personal free text: e-mails and phone numbers in it are masked
    references: str | None = None  # "entity.column" this column points at (warned, not enforced)
    not_before: str | None = None  # a timestamp that may not be earlier than this other column
    may_be_future: bool = False  # a timestamp allowed after its delivery day (a scheduled end)
    # Rules that depend on another column's value (a survey answer's question type): the column
    # named by `depends_on` selects them. `required_for`: the values for which this column must
    # hold a value; `ranges_for`: (value, minimum, maximum), a narrower range for that value
    # inside `minimum`..`maximum`. Broken, they quarantine the row as `required:<column>` or
    # `range:<column>`, like the plain rules.
    depends_on: str | None = None
    required_for: tuple[str, ...] = ()
    ranges_for: tuple[tuple[str, float, float], ...] = ()


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    description: str
    key: str
    columns: tuple[Column, ...]
    file_format: FileFormat
    delivery: DeliveryKind
    # A company may not have this source at all (only the CRM is the spine): no file loads as
    # no rows, and the marts that need the entity are skipped with that reason.
    optional: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def qualified_name(self) -> str:
        return f"{self.source}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.qualified_name} has no column {name!r}")

    def file_patterns(self) -> tuple[str, str]:
        """Glob patterns, relative to one delivery folder, that hold this entity's files."""
        ext = self.file_format
        return (f"{self.name}.{ext}", f"{self.name}-*.{ext}")
