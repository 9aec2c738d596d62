"""Finding delivered extract files on disk: `<root>/<source>/<YYYY-MM-DD>/<entity>.<ext>`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cx_pipeline.contract import Entity
from cx_pipeline.ingest.readers import CANONICAL, Reader


@dataclass(frozen=True)
class Delivery:
    """One day's files of one entity."""

    day: dt.date
    files: tuple[Path, ...]


def _delivery_day(folder: Path) -> dt.date | None:
    try:
        return dt.date.fromisoformat(folder.name)
    except ValueError:
        return None


def find_deliveries(root: Path, entity: Entity, reader: Reader = CANONICAL) -> list[Delivery]:
    """Every delivery of `entity` under `root` (its files as `reader` names them), oldest first.
    Folders not named as dates are skipped (see `stray_folders`)."""
    source_dir = root / entity.source
    if not source_dir.is_dir():
        return []
    deliveries = []
    for folder in sorted(p for p in source_dir.iterdir() if p.is_dir()):
        day = _delivery_day(folder)
        if day is None:
            continue
        # Any file may also come gzipped (`events.parquet` never is: Parquet compresses itself).
        patterns = [q for p in reader.file_patterns(entity) for q in (p, f"{p}.gz")]
        files = sorted({f for p in patterns for f in folder.glob(p)})
        if files:
            deliveries.append(Delivery(day, tuple(files)))
    return deliveries


def stray_folders(root: Path, source: str) -> list[Path]:
    """Folders under a source that are not delivery days: worth a warning, never silently used."""
    source_dir = root / source
    if not source_dir.is_dir():
        return []
    return [p for p in sorted(source_dir.iterdir()) if p.is_dir() and _delivery_day(p) is None]
