"""Every mart as a Dagster asset, grouped in the UI by the family of questions it answers, with
the shared building blocks (who is a customer when, each answer with its segments, what was
known about an account on a day) in a group of their own between staging and the families.

A mart is its files in sql/ (builder.py): every `<name>.toml` is a mart, built from
`<name>.sql` or, for the few a model computes, from the function a module of this package
registers in its `COMPUTED` (with what it reads). Python checks are registered in `CHECKS`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import dagster as dg

import cx_pipeline.marts
from cx_pipeline import catalog
from cx_pipeline.marts.builder import Compute, MartSpec, build_mart_asset, load_spec, mart_names

_NOT_REGISTRIES = {"assets", "builder", "incremental"}


def _registries() -> tuple[
    dict[str, tuple[tuple[dg.AssetKey, ...], Compute]],
    dict[str, tuple[tuple[dg.AssetCheckSpec, ...], Callable[..., Any] | None]],
]:
    """The `COMPUTED` and `CHECKS` of every module of the package, by mart name."""
    computed: dict[str, tuple[tuple[dg.AssetKey, ...], Compute]] = {}
    checks: dict[str, tuple[tuple[dg.AssetCheckSpec, ...], Callable[..., Any] | None]] = {}
    for module_info in pkgutil.iter_modules(cx_pipeline.marts.__path__):
        if module_info.name in _NOT_REGISTRIES:
            continue
        module = importlib.import_module(f"cx_pipeline.marts.{module_info.name}")
        for registry, found in ((computed, "COMPUTED"), (checks, "CHECKS")):
            for name, entry in getattr(module, found, {}).items():
                if name in registry:
                    raise ValueError(f"{found} registers marts.{name} twice")
                registry[name] = entry
    return computed, checks


def _specs() -> tuple[tuple[MartSpec, ...], tuple[tuple[MartSpec, Compute], ...]]:
    """Every mart with a TOML; a TOML without SQL needs a compute function and the other way
    round, so a mart cannot silently vanish or run without its documentation."""
    computed, checks = _registries()
    with_metadata, with_sql = set(mart_names(".toml")), set(mart_names(".sql"))
    problems = [
        *(f"sql/{n}.sql has no {n}.toml" for n in sorted(with_sql - with_metadata)),
        *(
            f"marts.{n} is computed but has no sql/{n}.toml"
            for n in sorted(set(computed) - with_metadata)
        ),
        *(
            f"marts.{n} has a SQL file and a compute function"
            for n in sorted(set(computed) & with_sql)
        ),
        *(
            f"sql/{n}.toml has neither {n}.sql nor a registered compute function"
            for n in sorted(with_metadata - with_sql - set(computed))
        ),
        *(
            f"CHECKS names marts.{n}, which has no sql/{n}.toml"
            for n in sorted(set(checks) - with_metadata)
        ),
    ]
    if problems:
        raise ValueError("marts/sql is inconsistent: " + "; ".join(problems))
    sql_specs, computed_specs = [], []
    for name in sorted(with_metadata):
        spec = load_spec(name)
        if name in checks:
            check_specs, evaluate = checks[name]
            spec = replace(spec, check_specs=tuple(check_specs), evaluate_checks=evaluate)
        if name in computed:
            deps, compute = computed[name]
            computed_specs.append((replace(spec, deps=tuple(deps)), compute))
        else:
            sql_specs.append(spec)
    return tuple(sql_specs), tuple(computed_specs)


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


_DIRECT_SPECS, _DIRECT_COMPUTED = _specs()
_NEEDS = _inherit_needs((*_DIRECT_SPECS, *(spec for spec, _ in _DIRECT_COMPUTED)))
MART_SPECS = tuple(replace(s, needs=_NEEDS[s.name]) for s in _DIRECT_SPECS)
# Marts a model computes in Python (regressions, predictions) rather than a SQL file.
COMPUTED_MARTS = tuple(
    (replace(s, needs=_NEEDS[s.name]), compute) for s, compute in _DIRECT_COMPUTED
)
# Every mart, SQL or computed: what serving publishes and the report waits for.
ALL_MART_SPECS = (*MART_SPECS, *(spec for spec, _ in COMPUTED_MARTS))
mart_assets = [build_mart_asset(spec) for spec in MART_SPECS] + [
    build_mart_asset(spec, compute) for spec, compute in COMPUTED_MARTS
]
