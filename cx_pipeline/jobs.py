"""The main job and its daily schedule."""

from __future__ import annotations

import dagster as dg

from cx_pipeline import settings

cx_daily_job = dg.define_asset_job(
    name="cx_daily",
    selection=dg.AssetSelection.all(),
    description=(
        "Loads every delivered extract into raw and quarantine, rebuilds staging and the marts."
    ),
    # DuckDB has one writer: steps run one after another in the run's own process.
    executor_def=dg.in_process_executor,
)

cx_daily_schedule = dg.ScheduleDefinition(
    name="cx_daily_schedule",
    job=cx_daily_job,
    cron_schedule=settings.SCHEDULE_CRON.value(),
    execution_timezone=settings.SCHEDULE_TIMEZONE.value(),
    description="Runs cx_daily once a day (CX_SCHEDULE_CRON, CX_SCHEDULE_TIMEZONE).",
)
