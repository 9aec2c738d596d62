"""Every mart as a Dagster asset."""

from __future__ import annotations

from cx_pipeline.marts import benchmarks, churn, nps, segments
from cx_pipeline.marts.builder import build_mart_asset

MART_SPECS = (*nps.SPECS, *churn.SPECS, *segments.SPECS, *benchmarks.SPECS)
mart_assets = [build_mart_asset(spec) for spec in MART_SPECS]
