"""Writes frames to the contract's layout: `<root>/<source>/<YYYY-MM-DD>/<entity>.<ext>`.

Event-like entities arrive in chunks tagged with a `delivery` index and are appended to each
delivery's file as they come (CSV) or flushed in bounded parts (Parquet), so memory does not grow
with history. Every delivery folder gets every entity's file, empty ones with a header.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import polars as pl

from cx_pipeline.contract import ENTITIES, Column, Entity
from cx_pipeline.generate.timeline import Timeline

CSV_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"
DTYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "integer": pl.Int64(),
    "decimal": pl.Float64(),
    "timestamp": pl.Datetime("us", "UTC"),
    "boolean": pl.Boolean(),
    "json": pl.String(),
}


# Optional contract columns the generator does not make, left out of its files as a real
# delivery may leave them: by default the generated company bills in one currency (the sample
# proves that a file may lack the column; `generate(currencies=True)` writes it) and its help
# desk exports no assignee or group.
LEFT_OUT: dict[str, tuple[str, ...]] = {
    "subscriptions": ("currency",),
    "tickets": ("assignee_id", "group_id"),
}
WITH_CURRENCIES: dict[str, tuple[str, ...]] = {"tickets": LEFT_OUT["tickets"]}
# Entities the generator writes only when asked (`generate(followups=True)`): without them no
# file is written at all, so the committed sample stays as it was.
ON_REQUEST = ("followups",)
REFERENCE_DIR = "_reference"  # reference tables the generated extracts need (exchange rates)

LeftOut = dict[str, tuple[str, ...]]


def generated_columns(entity: Entity, left_out: LeftOut = LEFT_OUT) -> list[Column]:
    return [c for c in entity.columns if c.name not in left_out.get(entity.name, ())]


def conform(frame: pl.DataFrame, entity: Entity, left_out: LeftOut = LEFT_OUT) -> pl.DataFrame:
    """The contract's columns the generator makes, in its order, with its types."""
    columns = generated_columns(entity, left_out)
    return frame.select([pl.col(c.name).cast(DTYPES[c.type]) for c in columns])


def empty(entity: Entity, left_out: LeftOut = LEFT_OUT) -> pl.DataFrame:
    columns = generated_columns(entity, left_out)
    return pl.DataFrame(schema={c.name: DTYPES[c.type] for c in columns})


class ExtractWriter:
    def __init__(
        self,
        root: Path,
        timeline: Timeline,
        part_rows: int,
        progress: Callable[[str], None],
        left_out: LeftOut = LEFT_OUT,
        skip: tuple[str, ...] = ON_REQUEST,
    ) -> None:
        self.root = root
        self.left_out = left_out
        self.entities = [e for e in ENTITIES if e.name not in skip]
        self.days = [d.isoformat() for d in timeline.deliveries]
        self.part_rows = part_rows
        self.progress = progress
        self.rows: dict[str, list[int]] = {e.name: [0] * len(self.days) for e in self.entities}
        self._csv: dict[tuple[str, int], BinaryIO] = {}
        self._buffers: dict[tuple[str, int], list[pl.DataFrame]] = {}
        self._parts: dict[tuple[str, int], int] = {}

    def reset(self) -> None:
        """Remove earlier output of the four sources so no stale delivery survives."""
        for source in sorted({e.source for e in ENTITIES}):
            shutil.rmtree(self.root / source, ignore_errors=True)
        for planted in ("_truth.json", "_identities.csv"):
            (self.root / planted).unlink(missing_ok=True)
        shutil.rmtree(self.root / REFERENCE_DIR, ignore_errors=True)

    def path(self, entity: Entity, delivery: int, part: int | None = None) -> Path:
        folder = self.root / entity.source / self.days[delivery]
        folder.mkdir(parents=True, exist_ok=True)
        stem = entity.name if part is None else f"{entity.name}-{part:04d}"
        return folder / f"{stem}.{entity.file_format}"

    def snapshot(self, entity: Entity, delivery: int, frame: pl.DataFrame) -> None:
        """A whole CRM table as known at the end of one delivery day."""
        frame = conform(frame, entity, self.left_out)
        self._write_csv(self.path(entity, delivery), frame, header=True)
        self.rows[entity.name][delivery] = frame.height

    def append(self, entity: Entity, frame: pl.DataFrame) -> None:
        """Rows of an event-like entity; `delivery` says which delivery carries each row."""
        frame = frame.filter(pl.col("delivery") >= 0)
        for (delivery,), part in frame.group_by("delivery", maintain_order=True):
            rows = conform(part, entity, self.left_out)
            k = int(delivery)  # type: ignore[call-overload]
            self.rows[entity.name][k] += rows.height
            if entity.file_format == "csv":
                handle = self._csv.get((entity.name, k))
                if handle is None:
                    handle = self._csv[(entity.name, k)] = self.path(entity, k).open("wb")
                    self._write_csv(handle, rows, header=True)
                else:
                    self._write_csv(handle, rows, header=False)
            else:
                self._buffer(entity, k, rows)

    def _buffer(self, entity: Entity, delivery: int, rows: pl.DataFrame) -> None:
        key = (entity.name, delivery)
        buffer = self._buffers.setdefault(key, [])
        buffer.append(rows)
        if self.part_rows <= 0:
            return
        while sum(f.height for f in buffer) >= self.part_rows:
            whole = pl.concat(buffer, rechunk=True)
            self._write_part(entity, delivery, whole.head(self.part_rows))
            buffer[:] = [whole.slice(self.part_rows)]

    def _write_part(self, entity: Entity, delivery: int, rows: pl.DataFrame) -> None:
        key = (entity.name, delivery)
        part = self._parts.get(key, 0)
        path = self.path(entity, delivery, part if self.part_rows > 0 else None)
        rows.write_parquet(path, compression="zstd", statistics=True)
        self._parts[key] = part + 1
        if self.part_rows > 0:
            self.progress(
                f"{entity.name}: wrote {path.relative_to(self.root)} ({rows.height:,} rows)"
            )

    def close(self) -> dict[str, list[int]]:
        """Flush buffers, give every delivery every entity's file; return rows per delivery."""
        for handle in self._csv.values():
            handle.close()
        for entity in self.entities:
            if entity.delivery != "events":
                continue
            for k in range(len(self.days)):
                key = (entity.name, k)
                if entity.file_format == "csv":
                    if key not in self._csv:
                        empty_file = empty(entity, self.left_out)
                        self._write_csv(self.path(entity, k), empty_file, header=True)
                    continue
                buffer = self._buffers.pop(key, [])
                leftover = (
                    pl.concat(buffer, rechunk=True) if buffer else empty(entity, self.left_out)
                )
                if leftover.height or key not in self._parts:
                    self._write_part(entity, k, leftover)
        self._csv.clear()
        return self.rows

    @staticmethod
    def _write_csv(target: Path | BinaryIO, frame: pl.DataFrame, header: bool) -> None:
        frame.write_csv(
            target, include_header=header, datetime_format=CSV_TIMESTAMP, float_precision=2
        )
