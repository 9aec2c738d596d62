"""Every mart as a Dagster asset."""

from __future__ import annotations

from cx_pipeline.marts import (
    benchmarks,
    churn,
    drivers,
    funnel,
    health,
    identity,
    nps,
    prediction,
    segments,
    voice,
)
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
    *drivers.SQL_SPECS,
)
# Marts a model computes in Python (regressions, predictions) rather than a SQL file.
COMPUTED_MARTS = (*drivers.COMPUTED, *prediction.COMPUTED)
# Every mart, SQL or computed: what serving publishes and the report waits for.
ALL_MART_SPECS = (*MART_SPECS, *(spec for spec, _ in COMPUTED_MARTS))
mart_assets = [build_mart_asset(spec) for spec in MART_SPECS] + [
    build_mart_asset(spec, compute) for spec, compute in COMPUTED_MARTS
]
