"""Finding delivered extract files on disk: `<root>/<source>/<YYYY-MM-DD>/<entity>.<ext>`.

Every file in a delivery folder is either read by an entity's reader or listed by
`ignored_files` with the reason, so that nothing delivered goes unseen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from cx_pipeline.adapters.mapping import MappingReader
from cx_pipeline.contract import ENTITIES, Entity
from cx_pipeline.partitions import delivery_day
from cx_pipeline.readers import CANONICAL, Reader, content_suffix, is_gzip

# What a reader can read (a mapping's `format`), as a person names it.
FORMAT_NAMES = {
    ".csv": "CSV",
    ".parquet": "Parquet",
    ".json": "JSON",
    ".jsonl": "JSON lines",
    ".ndjson": "JSON lines",
}
NAME_PREFIX = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class Delivery:
    """One day's files of one entity."""

    day: dt.date
    files: tuple[Path, ...]


@dataclass(frozen=True)
class IgnoredFile:
    """A file in a delivery folder that no entity's reader takes, and why."""

    day: dt.date
    path: Path
    reason: str


def lower_extension(name: str) -> str:
    """`tickets.CSV` as `tickets.csv`, `tickets.CSV.GZ` as `tickets.csv.gz`: Windows tools write
    extensions in capitals. The name before the extension stays exact."""
    path = Path(name)
    if is_gzip(path):
        inner = Path(path.stem)
        return f"{inner.stem}{inner.suffix.lower()}.gz"
    return f"{path.stem}{path.suffix.lower()}"


def matches(name: str, patterns: Iterable[str]) -> bool:
    """Whether a file named `name` is one of `patterns`, or one of them gzipped (any file may
    come gzipped; `events.parquet` never is: Parquet compresses itself)."""
    name = lower_extension(name)
    return any(fnmatchcase(name, p) or fnmatchcase(name, f"{p}.gz") for p in patterns)


def find_deliveries(root: Path, entity: Entity, reader: Reader = CANONICAL) -> list[Delivery]:
    """Every delivery of `entity` under `root` (its files as `reader` names them), oldest first.
    Folders not named as dates are skipped (see `stray_folders`)."""
    source_dir = root / entity.source
    if not source_dir.is_dir():
        return []
    deliveries = []
    patterns = reader.file_patterns(entity)
    for folder in sorted(p for p in source_dir.iterdir() if p.is_dir()):
        day = delivery_day(folder)
        if day is None:
            continue
        files = sorted(f for f in folder.iterdir() if f.is_file() and matches(f.name, patterns))
        if files:
            deliveries.append(Delivery(day, tuple(files)))
    return deliveries


def stray_folders(root: Path, source: str) -> list[Path]:
    """Folders under a source that are not delivery days: worth a warning, never silently used."""
    source_dir = root / source
    if not source_dir.is_dir():
        return []
    return [p for p in sorted(source_dir.iterdir()) if p.is_dir() and delivery_day(p) is None]


def _lookup_patterns(reader: Reader, entities: list[Entity]) -> list[str]:
    """Files a mapping reads beside an entity's (Zendesk's ticket metrics); matched exactly, as
    the mapping finds them."""
    if not isinstance(reader, MappingReader):
        return []
    found = [reader.mapping.entities.get(e.name) for e in entities]
    return [q for m in found if m for lk in m.lookups for p in lk.files for q in (p, f"{p}.gz")]


def _prefix(name: str) -> str:
    found = NAME_PREFIX.match(name)
    return found.group().casefold() if found else ""


def _reason(name: str, patterns: list[str]) -> str:
    """Why no entity reads a file, with what was probably meant (`nps_responses (1).csv`:
    `nps_responses.csv`), judged by the name before any punctuation."""
    meant = [p for p in patterns if _prefix(name) and _prefix(p) == _prefix(name)]
    ext = content_suffix(Path(name))
    if meant and ext not in FORMAT_NAMES:
        formats = dict.fromkeys(FORMAT_NAMES.get(content_suffix(Path(p)), p) for p in meant)
        return f"unsupported format {ext or '(none)'}: export as {' or '.join(formats)}"
    if meant or len(patterns) <= 2:
        return f"no entity reads {name!r} (expected {' or '.join(meant or patterns)})"
    return f"no entity reads {name!r} (expected one of: {', '.join(patterns)})"


def ignored_files(
    root: Path, source: str, reader: Reader, days: Iterable[dt.date]
) -> list[IgnoredFile]:
    """Files in `source`'s delivery folders of `days` that no entity reads, with the reason."""
    source_dir = root / source
    if not source_dir.is_dir():
        return []
    wanted = set(days)
    entities = [e for e in ENTITIES if e.source == source]
    patterns = list(dict.fromkeys(p for e in entities for p in reader.file_patterns(e)))
    lookups = _lookup_patterns(reader, entities)
    ignored = []
    for folder in sorted(p for p in source_dir.iterdir() if p.is_dir()):
        day = delivery_day(folder)
        if day not in wanted:
            continue
        for path in sorted(p for p in folder.rglob("*") if not p.is_dir()):
            if path.parent != folder:
                reason = "in a subfolder: only files directly in a delivery folder are read"
            elif matches(path.name, patterns) or any(fnmatchcase(path.name, p) for p in lookups):
                continue
            else:
                reason = _reason(path.name, patterns)
            ignored.append(IgnoredFile(day, path, reason))
    return ignored
