"""Delivery days: the daily partitions of the raw layer, and the days an extract root holds.

A partition is the day an extract was delivered (its folder's date), for event sources and CRM
snapshots alike. Staging and the marts are not partitioned: they are rebuilt from every loaded
day, so a late or re-delivered day changes them the same way a full run would.

The partitions start at the oldest delivery folder (CX_PARTITIONS_START=auto), so the UI's
"filled" share describes the data, and history from 1997 loads without a setting.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import dagster as dg

from cx_pipeline import settings
from cx_pipeline.contract import ENTITIES

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def delivery_day(folder: Path) -> dt.date | None:
    """The day a `YYYY-MM-DD` folder name says, or None. Only that spelling: Python also reads
    `20261031` as a date, and a folder named so is more likely a copy than a delivery."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", folder.name):
        return None
    try:
        return dt.date.fromisoformat(folder.name)
    except ValueError:
        return None


def day_folders(root: Path) -> list[tuple[dt.date, Path]]:
    """Delivery folders (`<source>/<YYYY-MM-DD>/`) of every source, whatever the adapter
    reading them, empty ones included."""
    found = []
    for source in sorted({e.source for e in ENTITIES}):
        for folder in sorted((root / source).glob("*-*-*")):
            day = delivery_day(folder)
            if day is not None and folder.is_dir():
                found.append((day, folder))
    return found


def delivered_days(root: Path) -> list[dt.date]:
    """Every day with a delivery folder holding some file, oldest first."""
    return sorted(
        {day for day, folder in day_folders(root) if any(f.is_file() for f in folder.iterdir())}
    )


def range_tags(first: dt.date, last: dt.date) -> dict[str, str]:
    """Run tags that make one run load every day from `first` to `last`."""
    return {RANGE_START: first.isoformat(), RANGE_END: last.isoformat()}


def day_files(root: Path, day: dt.date) -> list[Path]:
    """All files delivered for `day`, across sources."""
    return sorted(
        f for d, folder in day_folders(root) if d == day for f in folder.iterdir() if f.is_file()
    )


def partitions_start(root: Path) -> dt.date:
    """CX_PARTITIONS_START, or with 'auto' the oldest delivery day under `root` (today when
    nothing is delivered yet)."""
    value = settings.PARTITIONS_START.value()
    if value != "auto":
        return dt.date.fromisoformat(value)
    days = delivered_days(root)
    return days[0] if days else dt.datetime.now(dt.UTC).date()


def days_before_start(root: Path) -> list[dt.date]:
    """Delivered days that have no partition (only when CX_PARTITIONS_START is a date)."""
    start = partitions_start(root)
    return [day for day in delivered_days(root) if day < start]


def delivery_days(root: Path) -> dg.DailyPartitionsDefinition:
    """One partition a day from `partitions_start(root)` to today: every delivered day has one,
    and none precedes the first delivery, so a run over the deliveries fills them all.
    end_offset=1: today's folder can be loaded today."""
    return dg.DailyPartitionsDefinition(start_date=partitions_start(root).isoformat(), end_offset=1)


DELIVERY_DAYS = delivery_days(Path(settings.EXTRACT_ROOT.value()))
