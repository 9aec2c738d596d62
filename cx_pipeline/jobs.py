"""How cx-pipeline runs unattended: the daily job, its schedule, and the sensor that notices a
new delivery. (A stale mart shows through the freshness policy every mart carries, catalog.py.)"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

import dagster as dg

from cx_pipeline import catalog, settings
from cx_pipeline.contract import ENTITIES
from cx_pipeline.executors import executor_from_settings
from cx_pipeline.partitions import DELIVERY_DAYS, day_files, delivered_days
from cx_pipeline.resources import ExtractStore

cx_daily_job = dg.define_asset_job(
    name="cx_daily",
    selection=dg.AssetSelection.all(),
    partitions_def=DELIVERY_DAYS,
    description=(
        "Loads the delivery days of its partition (or range) into raw and quarantine, then "
        "rebuilds staging, the marts and the serving file from every loaded day."
    ),
    # CX_EXECUTOR; in the run's own process by default, one step at a time whatever the
    # executor when the warehouse has one writer (executors.py).
    executor_def=executor_from_settings(),
)


@dg.schedule(
    job=cx_daily_job,
    cron_schedule=settings.SCHEDULE_CRON.value(),
    execution_timezone=settings.SCHEDULE_TIMEZONE.value(),
    description=(
        "Runs cx_daily for the day's delivery (CX_SCHEDULE_CRON, CX_SCHEDULE_TIMEZONE); a "
        "delivery not there yet is retried with backoff."
    ),
)
def cx_daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = context.scheduled_execution_time.date().isoformat()
    return dg.RunRequest(run_key=f"scheduled:{day}", partition_key=day)


def _fingerprint(files: list) -> tuple[str, float]:
    """What a day's delivery looks like now (names, sizes, modification times), and when its
    newest file last changed."""
    stats = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    digest = hashlib.sha256(json.dumps(stats).encode()).hexdigest()
    return digest, max(s[2] for s in stats) / 1e9


def _loaded_days(instance: dg.DagsterInstance) -> set[str]:
    """Days Dagster has already loaded for every required entity."""
    loaded: set[str] | None = None
    for e in ENTITIES:
        if e.optional:
            continue
        days = set(instance.get_materialized_partitions(catalog.key("raw", e.name)))
        loaded = days if loaded is None else loaded & days
    return loaded or set()


@dg.sensor(
    job=cx_daily_job,
    minimum_interval_seconds=60,
    description=(
        "Launches cx_daily for a delivery day whose folder is new or has changed since it was "
        "last requested, once its files have stopped changing (CX_SENSOR_SETTLE_SECONDS). "
        "Days Dagster has already loaded are not launched again."
    ),
)
def new_delivery_sensor(
    context: dg.SensorEvaluationContext, extracts: ExtractStore
) -> dg.SensorResult:
    requested: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    partitions = set(DELIVERY_DAYS.get_partition_keys())
    settle = float(settings.SENSOR_SETTLE_SECONDS.value())
    loaded = _loaded_days(context.instance) if not requested else set()
    runs, waiting = [], []
    for day in delivered_days(extracts.path):
        key = day.isoformat()
        if key not in partitions:
            if day > dt.datetime.now(dt.UTC).date():
                context.log.warning(
                    f"{key}: a delivery folder dated in the future; ignored (a typo in its name?)"
                )
            else:
                context.log.warning(
                    f"{key}: delivered, but before CX_PARTITIONS_START="
                    f"{settings.PARTITIONS_START.value()}; ignored (set it to {key} or earlier)"
                )
            continue
        fingerprint, newest = _fingerprint(day_files(extracts.path, day))
        if requested.get(key) == fingerprint:
            continue
        if time.time() - newest < settle:
            waiting.append(key)
            continue
        if key not in requested and key in loaded:
            requested[key] = fingerprint  # loaded before this sensor ran: nothing to do
            continue
        requested[key] = fingerprint
        runs.append(dg.RunRequest(run_key=f"{key}:{fingerprint[:16]}", partition_key=key))
    if waiting:
        context.log.info(f"waiting for deliveries still being written: {', '.join(waiting)}")
    return dg.SensorResult(run_requests=runs, cursor=json.dumps(requested, sort_keys=True))
