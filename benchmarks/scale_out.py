"""Embedded vs DuckLake vs parallel workers: what scaling out costs and buys (issue #9).

For one generated profile it runs `cx-pipeline run` (every delivery day, the whole graph) in a
fresh process per variant, `--repeat` times, interleaved:

1. embedded: the DuckDB file, steps in the run's process (the default);
2. ducklake-file: DuckLake with a DuckDB-file catalog, steps in the run's process;
3. ducklake-postgres: DuckLake with a PostgreSQL catalog, steps in the run's process;
4. ducklake-postgres-celery: the same lake, steps on 2 Celery workers (redis broker), started
   before the run as an operator would (their start-up is not timed);
5. ducklake-postgres-dask: the same lake, steps on a local Dask cluster of 2 worker processes
   that the run starts (its start-up is timed).

and prints, per variant, the median wall time of the process, of the run, and of each layer
(first step start to last step end: raw, staging, marts, serving), the warehouse's size on
disk, and whether every mart equals the embedded run's. Figures go to
`<cache-dir>/scale-out-<profile>.json`. Needs PostgreSQL and redis-server (as .ci/run starts
them):

    .venv/bin/python benchmarks/scale_out.py --profile medium --repeat 1 \
        --postgres "host=127.0.0.1 port=5432 user=cx password=cx dbname=cx" \
        --redis redis://127.0.0.1:6379
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(REPO_ROOT))
BIN = Path(sys.executable).parent
VARIANTS = (
    "embedded",
    "ducklake-file",
    "ducklake-postgres",
    "ducklake-postgres-celery",
    "ducklake-postgres-dask",
)
LAYERS = ("raw", "staging", "marts", "serving")


def _postgres(conninfo: str, sql: str) -> None:
    import duckdb

    from cx_pipeline import ducklake
    from cx_pipeline.sql import literal

    with duckdb.connect(config=ducklake.OFFLINE) as con:
        con.execute(f"LOAD '{ducklake.extension_file('postgres_scanner')}'")
        con.execute(f"ATTACH {literal(conninfo)} AS pg (TYPE postgres)")
        con.execute("CALL postgres_execute('pg', $sql, use_transaction => false)", {"sql": sql})


def _with_database(conninfo: str, database: str) -> str:
    return " ".join(
        [p for p in conninfo.split() if not p.startswith("dbname=")] + [f"dbname={database}"]
    )


def _layer_seconds(home: Path) -> dict[str, Any]:
    """Run and per-layer wall times from the run's events in the instance at `home`."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        (record,) = instance.get_run_records(limit=1)
        run = record.dagster_run
        starts: dict[str, float] = {}
        spans: dict[str, list[float]] = {}
        workers: set[str] = set()
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            if event is None:
                continue
            kind = event.event_type_value
            if kind == "STEP_START":
                starts[event.step_key] = entry.timestamp
            elif kind == "STEP_SUCCESS" and event.step_key in starts:
                layer = event.step_key.split("__")[0]
                span = spans.setdefault(layer, [float("inf"), 0.0])
                span[0] = min(span[0], starts[event.step_key])
                span[1] = max(span[1], entry.timestamp)
            elif kind == "ENGINE_EVENT" and "in celery worker" in (entry.message or ""):
                workers.update(
                    str(m.value)
                    for m in event.event_specific_data.metadata.values()
                    if "@" in str(m.value)
                )
        return {
            "success": run.status == dg.DagsterRunStatus.SUCCESS,
            "run_seconds": (record.end_time or 0) - (record.start_time or 0),
            "layers": {k: v[1] - v[0] for k, v in spans.items()},
            "steps": len(starts),
            "celery_workers": sorted(workers),
        }


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def _start_workers(env: dict[str, str], config: Path, logs: Path) -> list[subprocess.Popen]:
    workers = []
    for name in ("cx_bench_a", "cx_bench_b"):
        log = logs / f"{name}.log"
        with log.open("w") as out:
            workers.append(
                subprocess.Popen(
                    [
                        str(BIN / "dagster-celery"),
                        "worker",
                        "start",
                        "-A",
                        "dagster_celery.app",
                        "-y",
                        str(config),
                        "-n",
                        name,
                        "--",
                        "--concurrency=1",
                    ],
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if all(" ready." in (logs / f"{n}.log").read_text() for n in ("cx_bench_a", "cx_bench_b")):
            return workers
        time.sleep(1)
    raise SystemExit("Celery workers did not start; see " + str(logs))


def _stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=60)


def measure_variant(variant: str, extracts: Path, tmp: Path, servers: dict, logs: Path) -> dict:
    home = tmp / f"home-{variant}"
    home.mkdir()
    pools = "" if variant == "embedded" or variant == "ducklake-file" else "    default_limit: 2\n"
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        + ("concurrency:\n  pools:\n" + (pools or "    default_limit: 1\n"))
    )
    import dagster as dg

    dg.DagsterInstance.from_config(str(home)).dispose()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DAGSTER_HOME": str(home),
        "GX_ANALYTICS_ENABLED": "False",
        "CX_EXTRACT_ROOT": str(extracts),
        "CX_REFERENCE_ROOT": str(REPO_ROOT / "data" / "reference"),
        "CX_SERVING_PATH": str(tmp / f"{variant}-serving.duckdb"),
        "CX_REPORT_PATH": str(tmp / f"{variant}-report.html"),
    }
    database = None
    if variant == "embedded":
        env["CX_WAREHOUSE"] = str(tmp / "embedded.duckdb")
        stored = [tmp / "embedded.duckdb"]
    elif variant == "ducklake-file":
        env["CX_WAREHOUSE"] = f"ducklake:{tmp / 'lake.ducklake'}"
        stored = [tmp / "lake.ducklake", tmp / "lake.ducklake.files"]
    else:
        database = f"cx_bench_{uuid.uuid4().hex[:8]}"
        _postgres(servers["postgres"], f"CREATE DATABASE {database}")
        env["CX_WAREHOUSE"] = "ducklake:postgres:" + _with_database(servers["postgres"], database)
        env["CX_DUCKLAKE_DATA_PATH"] = f"{tmp / variant}-files/"
        stored = [tmp / f"{variant}-files"]
    workers: list[subprocess.Popen] = []
    if variant.endswith("celery"):
        broker = servers["redis"].rstrip("/")
        env.update(
            CX_EXECUTOR="celery",
            CX_CELERY_BROKER=f"{broker}/12",
            CX_CELERY_BACKEND=f"{broker}/13",
        )
        config = tmp / "celery.yaml"
        config.write_text(
            f"execution:\n  config:\n    broker: {broker}/12\n    backend: {broker}/13\n"
        )
        workers = _start_workers(env, config, logs)
    elif variant.endswith("dask"):
        env.update(CX_EXECUTOR="dask", CX_WORKERS="2")  # a local cluster the run starts itself
    try:
        started = time.perf_counter()
        with (logs / f"{variant}.log").open("w") as out:
            child = subprocess.Popen(
                [str(BIN / "cx-pipeline"), "run", "--persist"],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{variant} failed; see {logs / f'{variant}.log'}")
    finally:
        _stop(workers)
    figures = _layer_seconds(home)
    figures.update(
        process_seconds=wall,
        peak_rss_gib=usage.ru_maxrss * 1024 / 1024**3,
        stored_bytes=sum(_size(p) for p in stored),
        warehouse=env["CX_WAREHOUSE"].split(" password=")[0],
        data_path=env.get("CX_DUCKLAKE_DATA_PATH", ""),
        database=database,
    )
    return figures


def equal_to_embedded(tmp: Path, variant: str, figures: dict, servers: dict) -> dict[str, str]:
    from cx_pipeline.resources import Warehouse
    from cx_pipeline_tests.warehouse_diff import mart_differences

    if variant == "embedded":
        return {}
    if variant == "ducklake-file":
        warehouse = Warehouse(database=f"ducklake:{tmp / 'lake.ducklake'}")
    else:
        catalog = _with_database(servers["postgres"], figures["database"])
        warehouse = Warehouse(
            database=f"ducklake:postgres:{catalog}", data_path=figures["data_path"]
        )
    with warehouse.get_connection(read_only=True) as con:
        con.execute(f"ATTACH '{tmp / 'embedded.duckdb'}' AS embedded (READ_ONLY)")
        return mart_differences(con, "cx", "embedded")


def print_report(results: dict) -> None:
    m = results["median"]
    base = m["embedded"]["process_seconds"]
    print(
        f"\nScale-out, profile {results['profile']} (seed {results['seed']}), median of "
        f"{results['repeat']} run(s); {results['cpus']} CPUs; `cx-pipeline run` per variant"
    )
    print(
        f"  {'variant':<26}{'process s':>10}{'run s':>8}{'vs emb.':>8}"
        + "".join(f"{layer + ' s':>10}" for layer in LAYERS)
        + f"{'RSS GiB':>9}{'disk MiB':>10}  marts = embedded"
    )
    for variant in VARIANTS:
        f = m.get(variant)
        if not f:
            continue
        layers = f["layers"]
        equal = results["equal"].get(variant)
        print(
            f"  {variant:<26}{f['process_seconds']:>10.1f}{f['run_seconds']:>8.1f}"
            f"{f['process_seconds'] / base:>7.2f}x"
            + "".join(f"{layers.get(layer, 0):>10.1f}" for layer in LAYERS)
            + f"{f['peak_rss_gib']:>9.2f}{f['stored_bytes'] / 1024**2:>10.0f}  "
            + ("yes" if equal == {} else f"NO: {equal}")
        )
    print(
        "  (layer s: first step start to last step end; RSS: the run's process, not the "
        "workers; disk: warehouse file, or catalog file and Parquet files)"
    )


def main(argv: list[str] | None = None) -> int:
    from run import ensure_extracts, median_tree

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--profile", choices=["small", "medium", "large", "large2x"], default="medium"
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache-dir", type=Path, default=BENCH_DIR / ".cache")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CX_TEST_POSTGRES", "host=127.0.0.1 port=5432 user=cx password=cx dbname=cx"
        ),
        help="libpq connection string of a role that may create databases",
    )
    parser.add_argument(
        "--redis", default=os.environ.get("CX_TEST_REDIS", "redis://127.0.0.1:6379")
    )
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--report", action="store_true", help="print the cached figures again")
    args = parser.parse_args(argv)
    cache: Path = args.cache_dir.resolve()
    out = cache / f"scale-out-{args.profile}.json"
    if args.report:
        print_report(json.loads(out.read_text()))
        return 0
    cache.mkdir(parents=True, exist_ok=True)
    logs = cache / "logs"
    logs.mkdir(exist_ok=True)
    extracts = ensure_extracts(args.profile, args.seed, cache)
    servers = {"postgres": args.postgres, "redis": args.redis}
    variants = [v for v in VARIANTS if v in args.variants.split(",")]
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    equal: dict[str, dict] = {}
    for i in range(1, args.repeat + 1):
        with tempfile.TemporaryDirectory(prefix="cx-scale-") as name:
            tmp = Path(name)
            for variant in variants:
                print(f"run {i}/{args.repeat}: {variant} ...", flush=True)
                figures = measure_variant(variant, extracts, tmp, servers, logs)
                runs[variant].append(figures)
                print(f"  {figures['process_seconds']:.1f} s", flush=True)
            for variant in variants:
                equal[variant] = equal_to_embedded(tmp, variant, runs[variant][-1], servers)
            for variant in variants:
                if runs[variant][-1]["database"]:
                    _postgres(
                        args.postgres,
                        f"DROP DATABASE IF EXISTS {runs[variant][-1]['database']} WITH (FORCE)",
                    )
    results = {
        "profile": args.profile,
        "seed": args.seed,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "median": {v: median_tree(r) for v, r in runs.items()},
        "runs": runs,
        "equal": equal,
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "load_average_after": os.getloadavg(),
    }
    out.write_text(json.dumps(results, indent=2) + "\n")
    print_report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
