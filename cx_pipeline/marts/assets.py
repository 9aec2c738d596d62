"""Every mart as a Dagster asset."""

from __future__ import annotations

from dataclasses import replace

from cx_pipeline import catalog
from cx_pipeline.marts import (
    benchmarks,
    churn,
    drivers,
    funnel,
    health,
    identity,
    nps,
    prediction,
    revenue,
    segments,
    survey,
    voice,
)
from cx_pipeline.marts.builder import MartSpec, build_mart_asset

_DIRECT_SPECS = (
    *segments.SPECS,
    *nps.SPECS,
    *churn.SPECS,
    *revenue.SPECS,
    *health.SPECS,
    *benchmarks.SPECS,
    *voice.SPECS,
    *funnel.SPECS,
    *identity.SPECS,
    *drivers.SQL_SPECS,
    *survey.SPECS,
)
# Marts a model computes in Python (regressions, predictions) rather than a SQL file.
_DIRECT_COMPUTED = (*drivers.COMPUTED, *prediction.COMPUTED)


def _inherit_needs(specs: tuple[MartSpec, ...]) -> dict[str, tuple[str, ...]]:
    """A mart needs what it says and whatever the marts it reads need."""
    by_key = {catalog.key("marts", s.name): s for s in specs}
    found: dict[str, tuple[str, ...]] = {}

    def needs(spec: MartSpec) -> tuple[str, ...]:
        if spec.name not in found:
            inherited = [
                n
                for dep in spec.inputs
                if dep in by_key and by_key[dep].name not in spec.optional_marts
                for n in needs(by_key[dep])
            ]
            found[spec.name] = tuple(dict.fromkeys([*spec.needs, *inherited]))
        return found[spec.name]

    for spec in specs:
        needs(spec)
    return found


_NEEDS = _inherit_needs((*_DIRECT_SPECS, *(spec for spec, _ in _DIRECT_COMPUTED)))
MART_SPECS = tuple(replace(s, needs=_NEEDS[s.name]) for s in _DIRECT_SPECS)
COMPUTED_MARTS = tuple(
    (replace(s, needs=_NEEDS[s.name]), compute) for s, compute in _DIRECT_COMPUTED
)
# Every mart, SQL or computed: what serving publishes and the report waits for.
ALL_MART_SPECS = (*MART_SPECS, *(spec for spec, _ in COMPUTED_MARTS))
mart_assets = [build_mart_asset(spec) for spec in MART_SPECS] + [
    build_mart_asset(spec, compute) for spec, compute in COMPUTED_MARTS
]
