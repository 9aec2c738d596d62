"""One measured run, in a process of its own: the pipeline (full or one day) or the DuckDB floor.

`run.py` starts this file once per measurement, so every figure comes from a fresh interpreter
(no warm caches, no memory left over from the previous run) and the peak resident memory is
this run's alone (sampled per step, see RssSampler). The result is written as JSON to `--out`.

    python benchmarks/measure.py pipeline --extracts DIR --warehouse FILE --out FILE [--day D]
    python benchmarks/measure.py floor --plan FILE --warehouse FILE --out FILE

The floor imports nothing but DuckDB: its SQL (the loader's read options, the staging selects,
the mart queries, the rules macros) comes from a plan file that `run.py` writes from the
pipeline's own code, so the floor runs the same statements without Dagster, without the
quarantine pass and without Great Expectations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import re
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
# The same rule as cx_pipeline.sql.execute: bind exactly the $names a statement uses.
PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


# ---- the pipeline ----------------------------------------------------------------------------


class RssSampler:
    """This process's resident memory, sampled in a thread every `interval` seconds.

    The process's peak says how high memory went, not in which step: the steps run
    one after another in this process (Dagster's in-process executor), so a step's peak is the
    highest sample between its STEP_START and its end. Each sample reads the kernel's high-water
    mark (VmHWM) and then resets it (writing 5 to /proc/self/clear_refs), so a sample is the exact
    peak since the one before, not the resident size at that instant: a spike shorter than the
    interval is not missed. Where the reset is refused, samples fall back to the current size."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        # (time, peak since the previous sample, resident now), bytes
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.exact = self._reset()

    @staticmethod
    def _reset() -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
            return True
        except OSError:
            return False

    def _read(self) -> tuple[int, int]:
        found: dict[str, int] = {}
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    key, value = line.split(":", 1)
                    found[key] = int(value.split()[0]) * 1024
        if self.exact:
            self._reset()
            return found["VmHWM"], found["VmRSS"]
        return found["VmRSS"], found["VmRSS"]

    def _sample(self) -> None:
        while True:
            self.samples.append((time.time(), *self._read()))
            if self._stop.wait(self.interval):
                self.samples.append((time.time(), *self._read()))
                return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def during(self, start: float, end: float) -> tuple[int, int, int]:
        """(resident at start, peak inside [start, end], resident just after end), bytes. A
        sample's peak covers the interval before it, so the first sample after `end` counts too
        (up to `interval` seconds of what came next); 0 when nothing was sampled."""
        before = next((rss for t, _, rss in reversed(self.samples) if t <= start), 0)
        inside = [peak for t, peak, _ in self.samples if start <= t <= end]
        after_sample = next(((peak, rss) for t, peak, rss in self.samples if t > end), (0, 0))
        return before, max([*inside, after_sample[0]], default=0), after_sample[1]

    def peak(self) -> int:
        return max((peak for _, peak, _ in self.samples), default=0)


class Timers:
    """Seconds spent inside some pipeline functions, per entity, measured by wrapping them.

    Step times from Dagster's events say how long an asset took; these split a raw step into
    loading and checking, and a staging step into building and checking, which is what the
    pipeline / floor ratios need (the floor loads and builds, it does not check).
    """

    def __init__(self) -> None:
        self.seconds: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.gx_startup = 0.0

    def wrap(self, module: Any, name: str, label: str) -> None:
        original = getattr(module, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                # Every wrapped function takes (con, entity, ...).
                self.seconds[label][args[1].name] += time.perf_counter() - started

        setattr(module, name, timed)

    def wrap_gx_startup(self, *modules: Any) -> None:
        """GX builds its context on first use, inside the first raw check: worth its own line."""
        original = modules[0].gx_context

        @functools.wraps(original)
        def timed() -> Any:
            started = time.perf_counter()
            first = original.cache_info().currsize == 0
            try:
                return original()
            finally:
                if first:
                    self.gx_startup += time.perf_counter() - started

        for module in modules:
            module.gx_context = timed


def _metadata_value(entry: Any) -> Any:
    return getattr(entry, "value", entry)


def run_pipeline(extracts: Path, warehouse: Path, day: dt.date | None) -> dict[str, Any]:
    """The whole graph in one run, as `cx-pipeline run` does: every delivery day, or one day."""
    started = time.perf_counter()
    import dagster as dg

    from cx_pipeline import settings
    from cx_pipeline.definitions import defs
    from cx_pipeline.ingest import assets as raw_module
    from cx_pipeline.partitions import delivered_days, range_tags
    from cx_pipeline.quality import suites, validation
    from cx_pipeline.resources import CxSettings, ExtractStore, Serving, Warehouse
    from cx_pipeline.staging import assets as staging_module

    imports = time.perf_counter() - started
    timers = Timers()
    timers.wrap(raw_module, "load_delivery", "load")
    timers.wrap(raw_module, "raw_check_results", "raw_checks")
    timers.wrap(staging_module, "staging_check_results", "staging_checks")
    timers.wrap_gx_startup(suites, validation)

    days = delivered_days(extracts)
    first, last = (day, day) if day else (days[0], days[-1])
    resources = {
        "warehouse": Warehouse(
            database=str(warehouse),
            memory_limit=settings.MEMORY_LIMIT.value(),
            memory_reserve=settings.MEMORY_RESERVE.value(),
        ),
        "extracts": ExtractStore(
            root=str(extracts), reference_root=str(REPO_ROOT / "data" / "reference")
        ),
        "serving": Serving(
            path=str(warehouse.with_name("cx_serving.duckdb")),
            report_path=str(warehouse.with_name("cx_report.html")),
        ),
        "cx_settings": CxSettings(),
    }
    instance = dg.DagsterInstance.ephemeral()
    run_started = time.perf_counter()
    with RssSampler() as rss:
        result = dg.materialize(
            list(defs.assets or []),
            resources=resources,
            instance=instance,
            raise_on_error=False,
            tags=range_tags(first, last),
        )
    run_seconds = time.perf_counter() - run_started

    step_started: dict[str, float] = {}
    steps: dict[str, float] = {}
    step_rss: dict[str, tuple[int, int, int]] = {}
    asset_of_step: dict[str, str] = {}
    rows_read: dict[str, int] = {}
    row_counts: dict[str, int] = {}
    gx_seconds: dict[str, float] = {}
    failures: list[str] = []
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        kind = event.event_type_value
        if kind == "STEP_START":
            step_started[event.step_key] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in step_started:
            steps[event.step_key] = entry.timestamp - step_started[event.step_key]
            step_rss[event.step_key] = rss.during(step_started[event.step_key], entry.timestamp)
            if kind == "STEP_FAILURE":
                error = event.event_specific_data.error
                failures.append(f"{event.step_key}: {error.message.strip()[:500]}")
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            asset = materialization.asset_key.to_user_string()
            asset_of_step[event.step_key] = asset
            if "rows_read" in materialization.metadata:
                rows_read[asset] = int(_metadata_value(materialization.metadata["rows_read"]))
            if "dagster/row_count" in materialization.metadata:
                count = materialization.metadata["dagster/row_count"]
                row_counts[asset] = int(_metadata_value(count))
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            # Staging's timestamps_not_in_future reports the same GX run as contract_rules.
            if evaluation.check_name == "contract_rules":
                value = evaluation.metadata.get("validation_seconds")
                if value is not None:
                    asset = evaluation.asset_key.to_user_string()
                    gx_seconds[asset] = float(_metadata_value(value))

    def per_asset(layer: str, label: str) -> dict[str, float]:
        return {f"{layer}/{name}": s for name, s in timers.seconds[label].items()}

    checks = {**per_asset("raw", "raw_checks"), **per_asset("staging", "staging_checks")}
    return {
        "kind": "pipeline",
        "success": result.success,
        "failures": failures,
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "imports_seconds": imports,
        "run_seconds": run_seconds,
        "steps": {asset_of_step.get(k, k): s for k, s in steps.items()},
        # Per step: resident bytes when it started, its peak, and what it left just after.
        "step_memory_bytes": {
            asset_of_step.get(k, k): dict(zip(("start", "peak", "after"), v, strict=True))
            for k, v in step_rss.items()
        },
        "rss_exact_peaks": rss.exact,
        "sampled_peak_bytes": rss.peak(),
        "rows_read": rows_read,
        "row_counts": row_counts,
        "load_seconds": per_asset("raw", "load"),
        "check_seconds": checks,
        "gx_seconds": gx_seconds,
        "gx_startup_seconds": timers.gx_startup,
        "warehouse_bytes": warehouse.stat().st_size if warehouse.exists() else 0,
    }


# ---- the floor -------------------------------------------------------------------------------


def _bind(sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
    used = set(PARAMETER.findall(sql))
    return {name: params[name] for name in used} if used else None


def run_floor(plan_path: Path, warehouse: Path) -> dict[str, Any]:
    """The same loads and mart queries as plain DuckDB SQL in one connection."""
    started = time.perf_counter()
    import duckdb

    plan = json.loads(plan_path.read_text())
    # The models' marts are Python (statsmodels): the floor calls the pipeline's own functions
    # and writes their frames as the builder does, with no Dagster around them.
    computed = {}
    if any("compute" in mart for mart in plan["marts"]):
        from cx_pipeline.marts.assets import ALL_MART_SPECS
        from cx_pipeline.marts.builder import write_frame

        specs = {spec.name: spec for spec in ALL_MART_SPECS}
        for mart in plan["marts"]:
            if "compute" in mart:
                module, name = mart["compute"].split(":")
                computed[mart["name"]] = (specs[mart["name"]], getattr(import_module(module), name))
    imports = time.perf_counter() - started
    # Wall-clock seconds, so phases line up with the memory sampler's timestamps.
    clock: Callable[[], float] = time.time
    spans: dict[str, tuple[float, float]] = {}  # phase -> (start, end), for its memory
    rss = RssSampler().__enter__()
    run_started = clock()
    con = duckdb.connect(
        str(warehouse),
        config={
            "memory_limit": plan["memory_limit"],
            "temp_directory": f"{warehouse}.tmp",
            "preserve_insertion_order": False,
        },
    )
    con.execute("SET TimeZone = 'UTC'")
    for schema in plan["schemas"]:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    # The Python functions rules.sql calls (mask_personal_numbers(), text_sentiment()) first,
    # as the warehouse registers them.
    import_module("cx_pipeline.privacy.contact_details").register(con)
    import_module("cx_pipeline.text").register(con)
    con.execute(plan["rules_sql"])
    setup = clock() - run_started

    t = clock()
    for reference in plan["references"]:
        con.execute(reference["sql"], {"path": reference["path"]})
    references = clock() - t

    loaded_at = dt.datetime.now(dt.UTC)
    raw: dict[str, float] = {}
    rows: dict[str, int] = {}
    for entity in plan["entities"]:
        t = clock()
        con.execute(entity["raw_ddl"])
        # Staging's select skips quarantined rows; the floor quarantines nothing.
        con.execute(entity["quarantine_ddl"])
        # The loader numbers CSV rows in file order, which needs insertion order kept.
        con.execute("SET preserve_insertion_order = true")
        for load in entity["files"]:
            params = {
                "path": load["path"],
                "day": dt.date.fromisoformat(load["day"]),
                "file": load["source_file"],
                "loaded_at": loaded_at,
                **load.get("params", {}),
            }
            if load.get("unordered"):  # as the loader runs it (ingest/loader.py)
                con.execute("SET preserve_insertion_order = false")
            con.execute(load["sql"], _bind(load["sql"], params))
            con.execute("SET preserve_insertion_order = true")
        con.execute("SET preserve_insertion_order = false")
        raw[entity["name"]] = clock() - t
        spans[f"raw/{entity['name']}"] = (t, t + raw[entity["name"]])
        rows[entity["name"]] = con.execute(f"SELECT count(*) FROM raw.{entity['name']}").fetchone()[
            0
        ]

    # The pipeline checkpoints whenever a step closes its connection; without this the floor
    # pays the raw tables' checkpoint inside whichever statement crosses the WAL threshold
    # (and queries the uncheckpointed tables meanwhile), which made it slower than the pipeline.
    checkpoints: dict[str, float] = {}
    t = clock()
    con.execute("CHECKPOINT")
    checkpoints["after_raw"] = clock() - t
    spans["checkpoint/after_raw"] = (t, t + checkpoints["after_raw"])

    staging: dict[str, float] = {}
    for entity in plan["entities"]:
        t = clock()
        con.execute(f"CREATE OR REPLACE TABLE staging.{entity['name']} AS {entity['staging_sql']}")
        staging[entity["name"]] = clock() - t
        spans[f"staging/{entity['name']}"] = (t, t + staging[entity["name"]])
    t = clock()
    identity = plan["identity"]
    con.execute(identity["pairs_sql"])
    con.execute(identity["sql"], _bind(identity["sql"], identity["params"]))
    for view in identity["views"]:
        con.execute(view)
    staging["identity_map"] = clock() - t
    spans["staging/identity_map"] = (t, t + staging["identity_map"])

    t = clock()
    con.execute("CHECKPOINT")
    checkpoints["after_staging"] = clock() - t
    spans["checkpoint/after_staging"] = (t, t + checkpoints["after_staging"])

    params = dict(plan["mart_parameters"])
    # builder.resolve_as_of: the latest CRM delivery day when no as-of date is configured.
    params["as_of"] = (
        dt.date.fromisoformat(params["as_of"])
        if params["as_of"]
        else con.execute("SELECT max(_delivery_date) FROM raw.subscriptions").fetchone()[0]
    )
    marts: dict[str, float] = {}
    for mart in plan["marts"]:
        t = clock()
        if mart["name"] in computed:
            spec, compute = computed[mart["name"]]
            write_frame(con, spec, compute(con, params))
        else:
            for statement in mart["statements"]:
                con.execute(statement, _bind(statement, params))
        marts[mart["name"]] = clock() - t
        spans[f"marts/{mart['name']}"] = (t, t + marts[mart["name"]])
    t = clock()
    con.close()  # checkpoints the marts
    checkpoints["at_close"] = clock() - t
    spans["checkpoint/at_close"] = (t, t + checkpoints["at_close"])
    run_seconds = clock() - run_started
    rss.__exit__()
    # Not timed: row counts, so run.py can show the floor built the same marts.
    with duckdb.connect(str(warehouse), read_only=True) as check:
        row_counts = {
            f"{layer}/{name}": check.execute(f"SELECT count(*) FROM {layer}.{name}").fetchone()[0]
            for layer, names in (
                ("staging", [*(e["name"] for e in plan["entities"]), "identity_map"]),
                ("marts", [m["name"] for m in plan["marts"]]),
            )
            for name in names
        }
    return {
        "kind": "floor",
        "success": True,
        "imports_seconds": imports,
        "run_seconds": run_seconds,
        "setup_seconds": setup,
        "reference_seconds": references,
        "raw_seconds": raw,
        "rows_read": rows,
        "staging_seconds": staging,
        "mart_seconds": marts,
        "checkpoint_seconds": checkpoints,
        # Per phase (raw/<entity>, staging/<entity>, marts/<name>, checkpoint/<when>): resident
        # bytes when it started, its peak, and what it left just after; as the pipeline's steps.
        "step_memory_bytes": {
            name: dict(zip(("start", "peak", "after"), rss.during(*span), strict=True))
            for name, span in spans.items()
        },
        "rss_exact_peaks": rss.exact,
        "sampled_peak_bytes": rss.peak(),
        "row_counts": row_counts,
        "warehouse_bytes": warehouse.stat().st_size,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["pipeline", "floor"])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--extracts", type=Path, help="pipeline: the extract root")
    parser.add_argument("--day", help="pipeline: load only this delivery day (YYYY-MM-DD)")
    parser.add_argument("--plan", type=Path, help="floor: the plan written by run.py")
    args = parser.parse_args(argv)
    if args.kind == "pipeline":
        day = dt.date.fromisoformat(args.day) if args.day else None
        figures = run_pipeline(args.extracts, args.warehouse, day)
    else:
        figures = run_floor(args.plan, args.warehouse)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures["success"] else 1


if __name__ == "__main__":
    sys.exit(main())
