"""How close is cx-pipeline to DuckDB's own limit? One command that measures it (issue #6).

For one generated profile it times, each in a fresh process and `--repeat` times, interleaved:

1. the full pipeline over every delivery day (the Dagster graph, validation included), into a
   fresh warehouse;
2. an incremental day: the last delivery day's partition, run against the warehouse of (1);
3. the floor: the same loads, staging selects and mart queries as plain DuckDB SQL.

and prints medians: per-asset seconds, rows per second of each ingest, validation seconds, peak
resident memory, and the ratios pipeline / floor and incremental / full. The figures also go
to `<cache-dir>/results-<profile>.json`.

    .venv/bin/python benchmarks/run.py --profile medium --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
MEASURE = BENCH_DIR / "measure.py"
GIB = 1024**3
# Issue #17 (issue #6 asked 2x the floor), stated for the large profile on 2 cores and 24 GiB.
TARGET_FLOOR_RATIO = 1.5
TARGET_INCREMENTAL_SHARE = 0.05
TARGET_PEAK_RSS = 4 * GIB
# A fixed workload (DuckDB and Python), timed in its own process around each measured run: the
# pipeline and the floor run minutes apart on a shared machine, and the probe shows whether the
# machine ran at the same speed for both. Median of 3.
PROBE = """
import statistics, time, duckdb
con = duckdb.connect()
seconds = []
for _ in range(3):
    started = time.perf_counter()
    con.execute("SELECT count(DISTINCT i * 7919 % 1000003), sum(i) FROM range(20000000) t(i)")
    sum(i * i for i in range(1_000_000))
    seconds.append(time.perf_counter() - started)
print(statistics.median(seconds))
"""
PROBE_SPREAD_NOTED = 1.15


# ---- extracts and the floor's plan -----------------------------------------------------------


def ensure_extracts(profile: str, seed: int, cache: Path) -> Path:
    """Generated extracts for profile+seed, made once: `_truth.json` is written last, so a
    folder holding a matching one is complete."""
    from cx_pipeline.generate.generator import TRUTH_FILE, TRUTH_VERSION, generate

    out = cache / f"extracts-{profile}-seed{seed}"
    truth_path = out / TRUTH_FILE
    if truth_path.is_file():
        truth = json.loads(truth_path.read_text())
        if (truth.get("scale"), truth.get("seed"), truth.get("version")) == (
            profile,
            seed,
            TRUTH_VERSION,
        ):
            print(f"extracts: cached in {out}")
            return out
    print(f"extracts: generating {profile} (seed {seed}) into {out}")
    generate(out, scale=profile, seed=seed, progress=None)
    return out


class _Recorder:
    """A stand-in connection that records the SQL it is given, so the floor's plan holds the
    pipeline's statements verbatim instead of a copy that could drift from them."""

    def __init__(self, answer: object = 0) -> None:
        self.statements: list[str] = []
        self.answer = answer

    def execute(self, sql: str, params: object = None) -> _Recorder:
        self.statements.append(sql)
        return self

    def fetchone(self) -> tuple[object, ...]:
        # The loader reads one count or two (quarantined, filtered) per file.
        return (self.answer, self.answer)

    def fetchall(self) -> list[tuple[object, ...]]:
        # The marts' parameters list the staging tables: the floor plans a run with them all.
        from cx_pipeline.contract import ENTITIES

        return [(entity.name,) for entity in ENTITIES]


def _mart_order(specs: Iterable[Any]) -> list[Any]:
    """Marts in dependency order (Kahn's algorithm, keeping the declared order among equals)."""
    pending = list(specs)
    names = {s.name for s in pending}
    done: set[str] = set()
    ordered = []
    while pending:
        ready = [
            s
            for s in pending
            if all(
                d.path[0] != "marts" or d.path[1] in done or d.path[1] not in names
                for d in s.inputs
            )
        ]
        if not ready:
            raise RuntimeError(f"mart dependency cycle among {[s.name for s in pending]}")
        for s in ready:
            ordered.append(s)
            done.add(s.name)
            pending.remove(s)
    return ordered


def write_plan(extracts: Path, path: Path) -> dict[str, Any]:
    """The floor's SQL, taken from the pipeline's own code: the loader's INSERT for each file,
    the staging selects, the identity map, the marts in dependency order (SQL statements, or the
    function that computes a model's mart), the rules macros and mart parameters."""
    import duckdb

    from cx_pipeline import settings
    from cx_pipeline.contract import ENTITIES
    from cx_pipeline.contract_sql import quarantine_table_ddl, raw_table_ddl, staging_select
    from cx_pipeline.ingest import reference
    from cx_pipeline.ingest.extracts import find_deliveries
    from cx_pipeline.ingest.loader import FileLoad, _load_file
    from cx_pipeline.marts.assets import ALL_MART_SPECS, COMPUTED_MARTS
    from cx_pipeline.marts.builder import build_statements, sql_parameters
    from cx_pipeline.resources import (
        RULES_SQL,
        SCHEMAS,
        CxSettings,
        ExtractStore,
        duckdb_memory_limit,
    )
    from cx_pipeline.staging.identity import (
        COUNT_EVENT_PAIRS,
        EVENT_PAIRS_TABLE,
        MAP_SQL,
        RESOLVED_PAIRS,
        SECOND_IDENTIFIER,
        resolved_view,
    )

    references = []
    for table, columns in reference.REFERENCE_COLUMNS.items():
        csv_path = str(REPO_ROOT / "data" / "reference" / f"{table}.csv")
        recorder = _Recorder()
        reference.load_reference_csv(recorder, table, csv_path, columns)  # type: ignore[arg-type]
        references.append({"table": table, "path": csv_path, "sql": recorder.statements[0]})

    # The raw assets' own way to find and read files (the canonical reader unless
    # CX_SOURCES_FILE picks an adapter; generated extracts are canonical).
    store = ExtractStore(root=str(extracts), reference_root=str(REPO_ROOT / "data" / "reference"))
    probe = duckdb.connect()  # for readers that DESCRIBE a file (Parquet)
    entities = []
    for entity in ENTITIES:
        files = []
        reader = store.reader(entity)
        for delivery in find_deliveries(extracts, entity, reader):
            for file in delivery.files:
                source_file = file.relative_to(extracts).as_posix()
                source = reader.relation(probe, entity, file, source_file)
                load = FileLoad(
                    source_file=source_file,
                    file_sha256="",
                    file_bytes=file.stat().st_size,
                    extra_columns=list(source.extra_columns),
                )
                recorder = _Recorder()
                loaded_at = dt.datetime.now(dt.UTC)
                _load_file(recorder, entity, delivery.day, file, loaded_at, source, load)  # type: ignore[arg-type]
                files.append(
                    {
                        "path": str(file),
                        "day": delivery.day.isoformat(),
                        "source_file": source_file,
                        "bytes": load.file_bytes,
                        "params": dict(source.params),
                        # The loader's INSERT INTO raw (the rest is the quarantine pass and
                        # counts, which the floor leaves out), and whether the loader runs it
                        # without insertion order kept (Parquet: numbered by the reader).
                        "sql": next(
                            q
                            for q in recorder.statements
                            if q.lstrip().startswith(f"INSERT INTO raw.{entity.name}")
                        ),
                        "unordered": "SET preserve_insertion_order = false" in recorder.statements,
                    }
                )
        entities.append(
            {
                "name": entity.name,
                "raw_ddl": raw_table_ddl(entity),
                "quarantine_ddl": quarantine_table_ddl(entity),
                "staging_sql": staging_select(entity),
                "files": files,
            }
        )
    probe.close()

    cx_settings = CxSettings()
    parameters = sql_parameters(_Recorder(dt.date.min), cx_settings)  # type: ignore[arg-type]
    configured = cx_settings.as_of_date()
    parameters["as_of"] = configured.isoformat() if configured else None
    computed = {spec.name: f"{fn.__module__}:{fn.__name__}" for spec, fn in COMPUTED_MARTS}
    marts = []
    for spec in _mart_order(ALL_MART_SPECS):
        if spec.name in computed:  # a model in Python: the floor calls the same function
            marts.append({"name": spec.name, "compute": computed[spec.name]})
        else:  # statement by statement, as a full build runs them (builder.build_statements)
            statements = build_statements(spec)
            marts.append({"name": spec.name, "statements": statements})
    plan = {
        # DuckDB's share of the same ceiling, as the pipeline's connections get it.
        "memory_limit": duckdb_memory_limit(
            settings.MEMORY_LIMIT.value(), settings.MEMORY_RESERVE.value()
        ),
        "schemas": list(SCHEMAS),
        "rules_sql": RULES_SQL,
        "references": references,
        "entities": entities,
        # staging.identity_map and the resolved views the marts read (staging/identity.py),
        # after the events' pairs the pipeline's staging step of events counts
        "identity": {
            "pairs_sql": COUNT_EVENT_PAIRS,
            "sql": MAP_SQL,
            "params": {"plus_addressing": cx_settings.identity_plus_addressing},
            "views": [
                *(resolved_view(entity) for entity in SECOND_IDENTIFIER),
                resolved_view("events", RESOLVED_PAIRS, f"staging.{EVENT_PAIRS_TABLE}"),
            ],
        },
        "mart_parameters": parameters,
        "marts": marts,
    }
    path.write_text(json.dumps(plan, indent=2) + "\n")
    return plan


# ---- measuring -------------------------------------------------------------------------------


def probe() -> float:
    """Seconds of PROBE's fixed workload now: lower is a faster machine."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    return float(done.stdout)


def measure(args: list[str], log: Path) -> dict[str, Any]:
    """Run measure.py in a fresh process; add its wall time, its own peak RSS (its process
    alone, so one run's memory is never mixed with another's) and the probe before and after."""
    probe_before = probe()
    out = log.with_suffix(".json")
    out.unlink(missing_ok=True)
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "False", "DAGSTER_TELEMETRY_ENABLED": "False"}
    env.setdefault("DAGSTER_HOME", str(log.parent))
    started = time.perf_counter()
    with log.open("w") as f:
        child = subprocess.Popen(
            [sys.executable, str(MEASURE), *args, "--out", str(out)],
            stdout=f,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO_ROOT,
        )
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    figures = json.loads(out.read_text()) if out.is_file() else {"success": False}
    if child.returncode != 0 or not figures.get("success"):
        tail = "\n".join(log.read_text().splitlines()[-30:])
        failures = "\n".join(figures.get("failures", []))
        raise SystemExit(f"measurement failed ({args[0]}); see {log}\n{failures}\n{tail}")
    figures["process_seconds"] = wall
    figures["load_average_after"] = os.getloadavg()[0]
    # Linux reports KiB. The child's sampler resets the kernel's high-water mark (the figure
    # wait4 reads) at every sample, so then its own highest sample is the process's peak.
    figures["peak_rss_bytes"] = max(usage.ru_maxrss * 1024, figures.get("sampled_peak_bytes", 0))
    figures["probe_seconds"] = {"before": probe_before, "after": probe()}
    return figures


def derive_pipeline(run: dict[str, Any]) -> dict[str, Any]:
    """Split a pipeline run into what the floor also does and what only the pipeline does."""
    steps: dict[str, float] = run["steps"]
    raw = {k: v for k, v in steps.items() if k in run["rows_read"]}
    reference = {k: v for k, v in steps.items() if k.startswith("raw/") and k not in raw}
    staging = {k: v for k, v in steps.items() if k.startswith("staging/")}
    marts = {k: v for k, v in steps.items() if k.startswith("marts/")}
    publish = {k: v for k, v in steps.items() if k.startswith("serving/")}
    validation = sum(run["check_seconds"].values())
    ingest = sum(raw.values()) + sum(reference.values()) + sum(staging.values()) - validation
    return {
        "total": run["run_seconds"],
        "process": run["process_seconds"],
        "imports": run["imports_seconds"],
        "ingest": ingest,
        "raw_steps": sum(raw.values()),
        "raw_load": sum(run["load_seconds"].values()),
        "reference_steps": sum(reference.values()),
        "staging_steps": sum(staging.values()),
        "validation": validation,
        "validation_gx": sum(run["gx_seconds"].values()),
        "gx_startup": run["gx_startup_seconds"],
        "marts": sum(marts.values()),
        "publish": sum(publish.values()),
        "orchestration": run["run_seconds"] - sum(steps.values()),
        "peak_rss_gib": run["peak_rss_bytes"] / GIB,
        "warehouse_gib": run["warehouse_bytes"] / GIB,
    }


def derive_floor(run: dict[str, Any]) -> dict[str, Any]:
    """The floor's checkpoints count where the pipeline's fall: in the phase that wrote the data
    (a pipeline step checkpoints when it closes its connection)."""
    raw = sum(run["raw_seconds"].values()) + run["checkpoint_seconds"]["after_raw"]
    staging = sum(run["staging_seconds"].values()) + run["checkpoint_seconds"]["after_staging"]
    return {
        "total": run["run_seconds"],
        "process": run["process_seconds"],
        "ingest": run["setup_seconds"] + run["reference_seconds"] + raw + staging,
        "raw": raw,
        "staging": staging,
        "checkpoints": sum(run["checkpoint_seconds"].values()),
        "marts": sum(run["mart_seconds"].values()) + run["checkpoint_seconds"]["at_close"],
        "peak_rss_gib": run["peak_rss_bytes"] / GIB,
        "warehouse_gib": run["warehouse_bytes"] / GIB,
    }


def ratios(full: dict[str, Any], incremental: dict[str, Any], floor: dict[str, Any]) -> dict:
    """Ratios of one repeat (a full run, its incremental day and the floor run beside them)."""
    return {
        "total": full["total"] / floor["total"],
        "ingest": full["ingest"] / floor["ingest"],
        "marts": full["marts"] / floor["marts"],
        "validation_share": full["validation"] / full["total"],
        "validation_over_floor": full["validation"] / floor["total"],
        "incremental_over_full": incremental["total"] / full["total"],
    }


def median_tree(values: list[Any]) -> Any:
    """Median of each numeric leaf across runs with the same shape; other leaves: the first."""
    first = values[0]
    if isinstance(first, dict):
        keys = [k for k in first if all(isinstance(v, dict) and k in v for v in values)]
        return {k: median_tree([v[k] for v in values]) for k in keys}
    if isinstance(first, int | float) and not isinstance(first, bool):
        return statistics.median(values)
    return first


# ---- reporting -------------------------------------------------------------------------------


def code_under_test() -> dict[str, Any]:
    """Which cx_pipeline the children import, and its commit: figures belong to a version."""
    import cx_pipeline

    source = Path(cx_pipeline.__file__).resolve().parent
    found: dict[str, Any] = {"cx_pipeline": str(source), "commit": None, "dirty": None}
    try:
        git = ["git", "-C", str(source.parent)]
        found["commit"] = subprocess.run(
            [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            [*git, "status", "--porcelain", "--", "cx_pipeline", "data/reference"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found["dirty"] = bool(status.strip())
    except (OSError, subprocess.CalledProcessError):
        pass  # not a git checkout (e.g. an exported snapshot): the path says what ran
    return found


def machine() -> dict[str, Any]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kib / 1024**2, 1),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "duckdb": metadata.version("duckdb"),
        "dagster": metadata.version("dagster"),
        "great_expectations": metadata.version("great_expectations"),
        "platform": platform.platform(),
    }


def _rate(rows: float, seconds: float) -> str:
    return f"{rows / seconds:>12,.0f}" if seconds > 0 else f"{'-':>12}"


def step_memory(run: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per step: resident bytes at its start, its peak and what it left after (older result
    files hold [peak, after] under step_rss_bytes)."""
    if "step_memory_bytes" in run:
        return run["step_memory_bytes"]
    return {
        k: {"start": float("nan"), "peak": v[0], "after": v[1]}
        for k, v in run.get("step_rss_bytes", {}).items()
    }


def print_step_memory(
    title: str, run: dict[str, Any], seconds: dict[str, float], top: int = 10
) -> None:
    """The steps that took resident memory highest, with their time, the memory they started
    from and what each left behind: where the process's peak comes from, step by step
    (measure.py reads the kernel's high-water mark every 50 ms and resets it)."""
    by_step = step_memory(run)
    if not by_step:
        return
    exact = "exact peaks" if run.get("rss_exact_peaks") else "sampled, not exact"
    print(f"\n  {title}: the {top} steps with the highest resident memory ({exact})")
    print(f"    {'step':<38}{'s':>8}{'start GiB':>11}{'peak GiB':>10}{'+GiB':>7}{'after GiB':>11}")
    for asset, m in sorted(by_step.items(), key=lambda kv: -kv[1]["peak"])[:top]:
        print(
            f"    {asset:<38}{seconds.get(asset, float('nan')):>8.2f}{m['start'] / GIB:>11.2f}"
            f"{m['peak'] / GIB:>10.2f}{(m['peak'] - m['start']) / GIB:>+7.2f}"
            f"{m['after'] / GIB:>11.2f}"
        )


def floor_seconds(run: dict[str, Any]) -> dict[str, float]:
    """The floor's phases under the names its memory figures use."""
    return {
        **{f"raw/{k}": v for k, v in run["raw_seconds"].items()},
        **{f"staging/{k}": v for k, v in run["staging_seconds"].items()},
        **{f"marts/{k}": v for k, v in run["mart_seconds"].items()},
        **{f"checkpoint/{k}": v for k, v in run["checkpoint_seconds"].items()},
    }


def print_report(results: dict[str, Any]) -> None:
    m = results["median"]
    full, inc, floor, r = m["full"], m["incremental"], m["floor"], m["ratios"]
    runs = results["repeat"]
    print(
        f"\ncx-pipeline benchmark: profile {results['profile']} (seed {results['seed']}), "
        f"median of {runs} run(s) each, {results['extract_rows']:,} rows in "
        f"{results['extract_files']} files ({results['extract_bytes'] / 1024**2:,.0f} MiB)"
    )
    mach = results["machine"]
    print(
        f"machine: {mach['cpus']} CPUs ({mach['cpu_model']}), {mach['memory_gib']} GiB; "
        f"Python {mach['python']}, DuckDB {mach['duckdb']}, Dagster {mach['dagster']}, "
        f"GX {mach['great_expectations']}"
    )

    print("\nPipeline, full run: seconds per asset (step start to success)")
    print(
        f"  {'asset':<34}{'step s':>8}{'checks s':>10}{'GX s':>8}{'rows read':>12}"
        f"{'rows/s step':>13}{'rows/s load':>13}"
    )
    runs_full = m["full_run"]
    for asset, seconds in sorted(runs_full["steps"].items(), key=lambda kv: -kv[1]):
        checks = runs_full["check_seconds"].get(asset)
        gx = runs_full["gx_seconds"].get(asset)
        rows = runs_full["rows_read"].get(asset)
        load = runs_full["load_seconds"].get(asset)
        print(
            f"  {asset:<34}{seconds:>8.2f}"
            + (f"{checks:>10.2f}" if checks is not None else f"{'':>10}")
            + (f"{gx:>8.2f}" if gx is not None else f"{'':>8}")
            + (
                f"{rows:>12,.0f}{_rate(rows, seconds)}{_rate(rows, load or 0)}"
                if rows is not None
                else ""
            )
        )
    print(
        f"\n  run (in-process materialize)  {full['total']:8.2f} s   "
        f"process incl. imports {full['process']:.2f} s (imports {full['imports']:.2f} s)\n"
        f"    ingest (raw + reference + staging steps, less their checks) {full['ingest']:8.2f} s"
        f"   of which raw loads {full['raw_load']:.2f} s\n"
        f"    validation (raw + staging check functions)                  "
        f"{full['validation']:8.2f} s   of which GX {full['validation_gx']:.2f} s "
        f"(GX start-up {full['gx_startup']:.2f} s)\n"
        f"    marts                                                       {full['marts']:8.2f} s\n"
        f"    publish (serving snapshot + HTML report)                    "
        f"{full['publish']:8.2f} s\n"
        f"    orchestration (run time outside any step)                   "
        f"{full['orchestration']:8.2f} s\n"
        f"  peak RSS {full['peak_rss_gib']:.2f} GiB; warehouse file {full['warehouse_gib']:.2f} GiB"
    )
    print_step_memory("full run", runs_full, runs_full["steps"])

    fr = m["floor_run"]
    print("\nFloor: plain DuckDB, same loads and mart queries, one process, no Dagster/GX")
    print(f"  {'entity':<20}{'raw s':>8}{'rows':>12}{'rows/s':>12}{'staging s':>11}")
    for name, seconds in fr["raw_seconds"].items():
        rows = fr["rows_read"][name]
        print(
            f"  {name:<20}{seconds:>8.2f}{rows:>12,.0f}{_rate(rows, seconds)}"
            f"{fr['staging_seconds'][name]:>11.2f}"
        )
    slowest = sorted(fr["mart_seconds"].items(), key=lambda kv: -kv[1])[:5]
    print(
        f"  run {floor['total']:.2f} s (process {floor['process']:.2f} s): ingest "
        f"{floor['ingest']:.2f} s (raw {floor['raw']:.2f}, staging {floor['staging']:.2f}), "
        f"marts {floor['marts']:.2f} s, of all these checkpoints {floor['checkpoints']:.2f} s; "
        f"peak RSS {floor['peak_rss_gib']:.2f} GiB\n"
        "  slowest marts: " + ", ".join(f"{k} {v:.2f} s" for k, v in slowest)
    )

    differ = {
        k: (v, runs_full["row_counts"].get(k))
        for k, v in fr["row_counts"].items()
        if runs_full["row_counts"].get(k) != v
    }
    print(
        f"  same row counts as the pipeline in {len(fr['row_counts']) - len(differ)} of "
        f"{len(fr['row_counts'])} staging and mart tables"
        + (
            "; differing (floor, pipeline): "
            + ", ".join(f"{k} {a:,} vs {b}" for k, (a, b) in differ.items())
            if differ
            else ""
        )
    )
    print_step_memory("floor", fr, floor_seconds(fr))

    ir = m["incremental_run"]
    slow_inc = sorted(ir["steps"].items(), key=lambda kv: -kv[1])[:5]
    print(
        f"\nIncremental: the last delivery day ({ir['first_day']}) after a full run\n"
        f"  run {inc['total']:.2f} s: ingest {inc['ingest']:.2f} s, validation "
        f"{inc['validation']:.2f} s, marts {inc['marts']:.2f} s, publish {inc['publish']:.2f} s, "
        f"orchestration {inc['orchestration']:.2f} s; peak RSS {inc['peak_rss_gib']:.2f} GiB\n"
        "  slowest steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in slow_inc)
    )
    # What the day costs before any mart: the part keeping marts by key cannot remove.
    before_marts = inc["total"] - inc["marts"]
    print(
        f"  all but the marts: {before_marts:.2f} s = {100 * before_marts / full['total']:.1f}% "
        "of the full run"
    )
    print_step_memory("incremental day", ir, ir["steps"])

    per_run = [d["ratios"] for d in results["per_run"]]

    def each(key: str, scale: float = 1.0, unit: str = "x") -> str:
        return "   runs: " + ", ".join(f"{scale * x[key]:.2f}{unit}" for x in per_run)

    print("\nRatios (median over repeats of each repeat's ratio; each repeat's after 'runs')")
    print(f"  pipeline / floor, total      {r['total']:6.2f}x" + each("total"))
    print(f"  pipeline / floor, ingest     {r['ingest']:6.2f}x" + each("ingest"))
    print(f"  pipeline / floor, marts      {r['marts']:6.2f}x" + each("marts"))
    print(
        f"  validation share of run      {100 * r['validation_share']:6.1f}%"
        + each("validation_share", 100, "%")
    )
    print(
        f"  validation / floor total     {r['validation_over_floor']:6.2f}x"
        + each("validation_over_floor")
    )
    print(
        f"  incremental / full           {100 * r['incremental_over_full']:6.1f}%"
        + each("incremental_over_full", 100, "%")
    )

    def verdict(ok: bool, key: str | None = None, limit: float = 0.0) -> str:
        """Met or not by the median; says so when single repeats fall on both sides."""
        word = "met" if ok else "NOT met"
        if key and len({x[key] <= limit for x in per_run}) > 1:
            word += " by the median, but the repeats fall on both sides: noise decides"
        return word

    loads = [x["load_average_after"] for kind in results["raw_runs"].values() for x in kind]
    print(
        f"  1-minute load average after each measurement: {min(loads):.1f} to {max(loads):.1f} "
        f"on {mach['cpus']} CPUs (above {mach['cpus']}: other work shared the machine)"
    )
    print_machine_speed(results)

    print(f"\nTargets of issue #17 (stated for large; this is {results['profile']})")
    print(
        f"  full run <= {TARGET_FLOOR_RATIO:.1f}x floor:      {r['total']:.2f}x  "
        f"{verdict(r['total'] <= TARGET_FLOOR_RATIO, 'total', TARGET_FLOOR_RATIO)}"
    )
    print(
        f"  incremental <= {100 * TARGET_INCREMENTAL_SHARE:.0f}% of full:   "
        f"{100 * r['incremental_over_full']:.1f}%  "
        + verdict(
            r["incremental_over_full"] <= TARGET_INCREMENTAL_SHARE,
            "incremental_over_full",
            TARGET_INCREMENTAL_SHARE,
        )
    )
    peak = max(full["peak_rss_gib"], inc["peak_rss_gib"])
    print(
        f"  peak RSS <= {TARGET_PEAK_RSS / GIB:.0f} GiB:            {peak:.2f} GiB  "
        f"{verdict(peak * GIB <= TARGET_PEAK_RSS)}"
    )


def print_machine_speed(results: dict[str, Any]) -> None:
    """The probe around each measured run, and whether the machine's speed moved between them."""
    probes = {
        f"{kind} {i}": run["probe_seconds"]
        for kind, kind_runs in results["raw_runs"].items()
        for i, run in enumerate(kind_runs, 1)
        if "probe_seconds" in run
    }
    if not probes:
        return  # results measured before the probe existed
    seconds = [s for p in probes.values() for s in p.values()]
    print(
        "  machine speed probe, s before/after each run (a fixed workload; lower is faster): "
        + ", ".join(f"{k} {p['before']:.2f}/{p['after']:.2f}" for k, p in probes.items())
    )
    spread = max(seconds) / min(seconds)
    if spread > PROBE_SPREAD_NOTED:
        print(
            f"  the probe varied x{spread:.2f} between runs: the machine's speed changed while "
            "they ran, and the ratios above carry that change"
        )


def print_growth(results: dict[str, Any], cache: Path) -> None:
    """How cost grows between this profile and any other whose results are cached."""
    for other_path in sorted(cache.glob("results-*.json")):
        other = json.loads(other_path.read_text())
        if other["profile"] == results["profile"]:
            continue
        small, big = sorted((other, results), key=lambda x: x["extract_rows"])
        grow = big["extract_rows"] / small["extract_rows"]
        print(
            f"\nGrowth {small['profile']} -> {big['profile']}: rows x{grow:.1f}; "
            + ", ".join(
                f"{label} x{big['median'][part][key] / small['median'][part][key]:.1f}"
                for label, part, key in (
                    ("pipeline run", "full", "total"),
                    ("floor", "floor", "total"),
                    ("validation", "full", "validation"),
                    ("marts", "full", "marts"),
                    ("incremental", "incremental", "total"),
                    ("peak RSS", "full", "peak_rss_gib"),
                )
            )
        )


# ---- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--profile", choices=["small", "medium", "large", "large2x"], default="medium"
    )
    parser.add_argument("--repeat", type=int, default=3, help="measured runs of each kind")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache-dir", type=Path, default=BENCH_DIR / ".cache")
    parser.add_argument(
        "--report", action="store_true", help="print the cached results again, measure nothing"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    cache: Path = args.cache_dir.resolve()
    if args.report:
        results = json.loads((cache / f"results-{args.profile}.json").read_text())
        print_report(results)
        print_growth(results, cache)
        return 0
    cache.mkdir(parents=True, exist_ok=True)
    logs = cache / "logs"
    logs.mkdir(exist_ok=True)
    info = machine()
    extracts = ensure_extracts(args.profile, args.seed, cache)
    plan = write_plan(extracts, cache / f"floor-plan-{args.profile}-seed{args.seed}.json")
    files = [f for e in plan["entities"] for f in e["files"]]
    truth = json.loads((extracts / "_truth.json").read_text())
    last_day = truth["deliveries"][-1]

    runs: dict[str, list[dict[str, Any]]] = {"full": [], "incremental": [], "floor": []}
    for i in range(1, args.repeat + 1):
        with tempfile.TemporaryDirectory(prefix="cx-bench-") as tmp:
            warehouse = Path(tmp) / "pipeline" / "cx.duckdb"
            warehouse.parent.mkdir()
            floor_db = Path(tmp) / "floor" / "floor.duckdb"
            floor_db.parent.mkdir()
            common = ["--extracts", str(extracts), "--warehouse", str(warehouse)]
            tag = f"{args.profile}-{i}"
            print(f"run {i}/{args.repeat}: full pipeline ...", flush=True)
            runs["full"].append(measure(["pipeline", *common], logs / f"full-{tag}.log"))
            print(f"run {i}/{args.repeat}: incremental day {last_day} ...", flush=True)
            runs["incremental"].append(
                measure(["pipeline", *common, "--day", last_day], logs / f"incremental-{tag}.log")
            )
            print(f"run {i}/{args.repeat}: floor ...", flush=True)
            runs["floor"].append(
                measure(
                    [
                        "floor",
                        "--plan",
                        str(cache / f"floor-plan-{args.profile}-seed{args.seed}.json"),
                        "--warehouse",
                        str(floor_db),
                    ],
                    logs / f"floor-{tag}.log",
                )
            )
            print(
                f"  full {runs['full'][-1]['run_seconds']:.1f} s, incremental "
                f"{runs['incremental'][-1]['run_seconds']:.1f} s, floor "
                f"{runs['floor'][-1]['run_seconds']:.1f} s",
                flush=True,
            )

    derived = [
        {
            "full": derive_pipeline(full),
            "incremental": derive_pipeline(inc),
            "floor": derive_floor(floor),
        }
        for full, inc, floor in zip(runs["full"], runs["incremental"], runs["floor"], strict=True)
    ]
    for d in derived:
        d["ratios"] = ratios(d["full"], d["incremental"], d["floor"])
    median = median_tree(derived)
    median["full_run"] = median_tree(runs["full"])
    median["incremental_run"] = median_tree(runs["incremental"])
    median["floor_run"] = median_tree(runs["floor"])
    results = {
        "profile": args.profile,
        "seed": args.seed,
        "repeat": args.repeat,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": info,
        "code": code_under_test(),
        "extract_rows": sum(v["total"] for v in truth["rows"].values()),
        "extract_files": len(files),
        "extract_bytes": sum(f["bytes"] for f in files),
        "median": median,
        "per_run": derived,
        "raw_runs": runs,
    }
    out = cache / f"results-{args.profile}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print_report(results)
    print_growth(results, cache)
    print(f"\nfigures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
