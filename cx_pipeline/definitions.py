"""Gathers the assets, jobs, schedules and resources of cx-pipeline; nothing else lives here."""

from __future__ import annotations

import dagster as dg

from cx_pipeline import settings

# Before any module builds definitions from the settings: a typo stops the code location with
# one line per bad setting, not a traceback from wherever the value is first used.
settings.require_valid()

from cx_pipeline.alerts.sensors import alert_sensors
from cx_pipeline.ingest.assets import raw_assets
from cx_pipeline.ingest.reference import (
    business_hours,
    exchange_rates,
    holidays,
    industry_benchmarks,
    sla_policies,
    voc_lexicon,
    voc_stop_words,
    voc_taxonomy,
)
from cx_pipeline.jobs import (
    cx_daily_job,
    cx_daily_schedule,
    new_delivery_sensor,
)
from cx_pipeline.marts.assets import mart_assets
from cx_pipeline.privacy.jobs import (
    cx_rebuild_job,
    erase_person,
    purge_expired,
    purge_schedule,
    rebuild_after_erasure,
)
from cx_pipeline.report.assets import cx_report
from cx_pipeline.resources import build_resources
from cx_pipeline.serving.assets import marts_snapshot
from cx_pipeline.staging.assets import staging_assets
from cx_pipeline.staging.identity import identity_map

defs = dg.Definitions(
    assets=[
        *raw_assets,
        industry_benchmarks,
        voc_taxonomy,
        voc_lexicon,
        voc_stop_words,
        exchange_rates,
        business_hours,
        holidays,
        sla_policies,
        *staging_assets,
        identity_map,
        *mart_assets,
        marts_snapshot,
        cx_report,
    ],
    jobs=[cx_daily_job, cx_rebuild_job, erase_person, purge_expired],
    schedules=[cx_daily_schedule, purge_schedule],
    sensors=[new_delivery_sensor, rebuild_after_erasure, *alert_sensors],
    resources=build_resources(),
)
