"""Every mart as a Dagster asset."""

from __future__ import annotations

from cx_pipeline.marts import benchmarks, churn, funnel, health, identity, nps, segments, voice
from cx_pipeline.marts.builder import build_mart_asset

MART_SPECS = (
    *segments.SPECS,
    *nps.SPECS,
    *churn.SPECS,
    *health.SPECS,
    *benchmarks.SPECS,
    *voice.SPECS,
    *funnel.SPECS,
    *identity.SPECS,
)
mart_assets = [build_mart_asset(spec) for spec in MART_SPECS]
