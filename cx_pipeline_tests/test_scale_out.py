"""Scale-out end to end, as an operator runs it: the sample's daily deliveries loaded by
`cx-pipeline run` with CX_EXECUTOR=celery on two Celery workers (redis broker) into a DuckLake
whose catalog is PostgreSQL; the marts built equal the embedded single-process run's exactly
(the session's `sample_warehouse`, built from the same extracts, so no second run is paid here).
The run builds the headline NPS and churn marts and everything upstream of them (`--select`,
30 of the graph's 101 assets: every raw and staging layer the marts read, both workers busy):
each Celery step costs about a second whatever it does, and every mart is compared on a lake
by test_ducklake.py. A second run, on a two-worker Dask cluster, leaves every table's row count
and every mart as they were (marked slow: `pytest -m slow`).

Needs PostgreSQL and redis-server on 127.0.0.1 (`.ci/run` installs and starts Debian's):
CX_TEST_POSTGRES is a libpq connection string for a role that may create databases (default
`host=127.0.0.1 port=5432 user=cx password=cx dbname=cx`), CX_TEST_REDIS the redis URL
(default `redis://127.0.0.1:6379`). Skipped with the reason when they are absent, failed
under CI=true.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cx_pipeline import ducklake
from cx_pipeline.partitions import delivered_days
from cx_pipeline.resources import Warehouse
from cx_pipeline.sql import literal
from cx_pipeline_tests.conftest import REPO_ROOT, SAMPLE_ROOT
from cx_pipeline_tests.warehouse_diff import mart_differences

pytestmark = pytest.mark.integration

POSTGRES = os.environ.get(
    "CX_TEST_POSTGRES", "host=127.0.0.1 port=5432 user=cx password=cx dbname=cx"
)
REDIS = os.environ.get("CX_TEST_REDIS", "redis://127.0.0.1:6379").rstrip("/")
# Databases of their own on the broker, so no other Celery worker takes these tasks.
BROKER, BACKEND = f"{REDIS}/14", f"{REDIS}/15"
BIN = Path(sys.executable).parent
DAYS = len(delivered_days(SAMPLE_ROOT))
WORKERS = ("cx_it_a", "cx_it_b")
SELECTION = '+key:"marts/nps_by_month" or +key:"marts/churn_by_month"'
MARTS = ("account_revenue", "churn_by_month", "customer_months", "customer_spells")
MARTS += ("nps_answers", "nps_by_month", "subscription_days")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run must start it)")
    pytest.skip(reason)


def _postgres(sql: str) -> None:
    """Run one statement on the PostgreSQL server, outside a transaction (CREATE DATABASE)."""
    with duckdb.connect(config=ducklake.OFFLINE) as con:
        con.execute(f"LOAD {literal(str(ducklake.extension_file('postgres_scanner')))}")
        con.execute(f"ATTACH {literal(POSTGRES)} AS pg (TYPE postgres)")
        con.execute("CALL postgres_execute('pg', $sql, use_transaction => false)", {"sql": sql})


def _check_servers() -> None:
    try:
        _postgres("SELECT 1")
    except duckdb.Error as e:
        _unavailable(f"no PostgreSQL at CX_TEST_POSTGRES ({str(e).splitlines()[0][:200]})")
    import redis

    try:
        redis.Redis.from_url(BROKER, socket_connect_timeout=3).ping()
    except redis.RedisError as e:
        _unavailable(f"no redis-server at {REDIS} ({e})")


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "cx-pipeline"), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-4000:])
    return done.stdout


def _start_worker(name: str, env: dict[str, str], config: Path, log: Path) -> subprocess.Popen:
    """A Celery worker as Dagster documents it, with one process: two of them are two
    workers. In a session of its own, so that stopping it stops the celery process too."""
    with log.open("w") as out:
        return subprocess.Popen(
            [
                str(BIN / "dagster-celery"),
                *("worker", "start", "-A", "dagster_celery.app", "-y", str(config), "-n", name),
                *("--", "--concurrency=1"),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_ready(logs: list[Path], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(log.is_file() and " ready." in log.read_text() for log in logs):
            return
        time.sleep(1)
    raise AssertionError("Celery workers not ready: " + logs[0].read_text()[-2000:])


def _table_counts(warehouse: Warehouse) -> dict[str, int]:
    """Rows per table, but the audit log (every load is recorded, so it grows by design)."""
    with warehouse.get_connection(read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
            "WHERE database_name = 'cx' AND schema_name <> 'audit' ORDER BY 1"
        ).fetchall()
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for (t,) in tables}


def _new_lake_catalog(databases: list[str]) -> str:
    """A PostgreSQL database of its own for a DuckLake catalog (dropped after the module)."""
    database = f"cx_it_{uuid.uuid4().hex[:10]}"
    _postgres(f"CREATE DATABASE {database}")
    databases.append(database)
    options = [part for part in POSTGRES.split() if not part.startswith("dbname=")]
    return "postgres:" + " ".join([*options, f"dbname={database}"])


def _new_dagster_home(home: Path) -> Path:
    """A Dagster instance whose warehouse pool lets two steps write at once (the PostgreSQL
    catalog takes many writers), created here once: the workers and the run would otherwise
    race to create its storage."""
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 2\n"
    )
    dg.DagsterInstance.from_config(str(home)).dispose()
    return home


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    _check_servers()
    base = tmp_path_factory.mktemp("scale_out")
    databases: list[str] = []
    catalog = _new_lake_catalog(databases)
    home = _new_dagster_home(base / "dagster_home")
    celery_config = base / "celery.yaml"
    celery_config.write_text(
        f"execution:\n  config:\n    broker: {BROKER}\n    backend: {BACKEND}\n"
    )
    common = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "GX_ANALYTICS_ENABLED": "False",
        "DAGSTER_TELEMETRY_ENABLED": "False",
        "CX_EXTRACT_ROOT": str(SAMPLE_ROOT),
        "CX_REFERENCE_ROOT": str(REPO_ROOT / "data" / "reference"),
    }
    lake = {
        **common,
        "DAGSTER_HOME": str(home),
        "CX_WAREHOUSE": f"ducklake:{catalog}",
        "CX_DUCKLAKE_DATA_PATH": f"{base / 'lake_files'}/",
        "CX_SERVING_PATH": str(base / "lake_serving.duckdb"),
        "CX_REPORT_PATH": str(base / "lake_report.html"),
        "CX_EXECUTOR": "celery",
        "CX_CELERY_BROKER": BROKER,
        "CX_CELERY_BACKEND": BACKEND,
    }
    logs = [base / f"{name}.log" for name in WORKERS]
    workers = [
        _start_worker(name, lake, celery_config, log)
        for name, log in zip(WORKERS, logs, strict=True)
    ]
    try:
        _wait_ready(logs)
        started = time.monotonic()
        _run(lake, "run", "--select", SELECTION)
        lake_seconds = time.monotonic() - started
        warehouse = Warehouse(
            database=lake["CX_WAREHOUSE"], data_path=lake["CX_DUCKLAKE_DATA_PATH"]
        )
        first_counts = _table_counts(warehouse)
        yield {
            "base": base,
            "common": common,
            "databases": databases,
            "lake_env": lake,
            "warehouse": warehouse,
            "first_counts": first_counts,
            "worker_logs": logs,
            "lake_seconds": lake_seconds,
        }
    finally:
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        for database in databases:
            _postgres(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def test_the_deliveries_load_on_both_workers(week: dict) -> None:
    for log in week["worker_logs"]:
        text = log.read_text()
        assert "execute_plan" in text and "succeeded" in text, f"{log.name} ran no step"
    counts = week["first_counts"]
    with week["warehouse"].get_connection(read_only=True) as con:
        days = con.execute("SELECT count(DISTINCT _delivery_date) FROM raw.accounts").fetchone()
    assert days == (DAYS,)
    assert counts["raw.events"] > 0 and counts["marts.nps_by_month"] > 0
    assert sorted(t.split(".")[1] for t in counts if t.startswith("marts.")) == sorted(MARTS)


def test_the_marts_equal_the_embedded_single_process_run(
    week: dict, sample_warehouse: Path
) -> None:
    with week["warehouse"].get_connection(read_only=True) as con:
        con.execute(f"ATTACH {literal(str(sample_warehouse))} AS embedded (READ_ONLY)")
        assert mart_differences(con, "cx", "embedded", MARTS) == {}


@pytest.mark.slow
def test_a_repeated_run_on_a_dask_cluster_changes_no_count_and_no_mart(
    week: dict, sample_warehouse: Path
) -> None:
    """The second run of the same week, with CX_EXECUTOR=dask (a local cluster of two worker
    processes), into the lake the Celery run filled. Every count stays as it was and the marts
    still equal the embedded run's. Slow (a Dask cluster to start and a second run), so it runs
    with `pytest -m slow` and as the benchmark's ducklake-postgres-dask variant
    (`make bench-scale`), not in CI."""
    env = {**week["lake_env"], "CX_EXECUTOR": "dask", "CX_WORKERS": "2"}
    _run(env, "run", "--select", SELECTION)
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        (record,) = instance.get_run_records(limit=1)  # the newest: this run
        step_pids = {
            entry.dagster_event.pid
            for entry in instance.all_logs(record.dagster_run.run_id)
            if entry.dagster_event and entry.dagster_event.event_type_value == "STEP_START"
        }
    assert len(step_pids) == 2, step_pids  # the steps ran in the cluster's two workers
    assert _table_counts(week["warehouse"]) == week["first_counts"]
    with week["warehouse"].get_connection(read_only=True) as con:
        con.execute(f"ATTACH {literal(str(sample_warehouse))} AS embedded (READ_ONLY)")
        assert mart_differences(con, "cx", "embedded", MARTS) == {}


LOAD_ONE_DAY = """
import datetime as dt, sys
from pathlib import Path
from cx_pipeline.contract import ENTITIES
from cx_pipeline.ingest.extracts import find_deliveries
from cx_pipeline.ingest.loader import load_delivery
from cx_pipeline.resources import Warehouse
warehouse, data_path, root, entity_name, day = sys.argv[1:]
entity = next(e for e in ENTITIES if e.name == entity_name)
root = Path(root)
(delivery,) = [d for d in find_deliveries(root, entity) if d.day.isoformat() == day]
with Warehouse(database=warehouse, data_path=data_path).get_connection() as con:
    load_delivery(con, entity, delivery, root, dt.datetime.now(dt.UTC))
"""


def test_processes_loading_different_days_of_one_table_at_once_all_commit(
    week: dict, sample_warehouse: Path
) -> None:
    """What parallel partitions do to a table on a PostgreSQL catalog: three processes each
    replace one day of raw.nps_responses (DELETE + INSERT in one transaction) at the same
    time; DuckLake retries its snapshot conflicts, and every day has the embedded counts.
    The sample's answers, and its last day's file delivered again the day after, so that a
    first load can create the tables and three days are left to load at once."""
    lake = f"ducklake:{_new_lake_catalog(week['databases'])}"
    files = f"{week['base'] / 'concurrent_files'}/"
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        expected = dict(
            con.execute(
                "SELECT _delivery_date::VARCHAR, count(*) FROM raw.nps_responses GROUP BY 1"
            ).fetchall()
        )
    last = max(expected)
    next_day = (dt.date.fromisoformat(last) + dt.timedelta(days=1)).isoformat()
    expected[next_day] = expected[last]
    root = week["base"] / "concurrent_extracts"
    for day in expected:
        folder = root / "surveys" / day
        folder.mkdir(parents=True)
        shutil.copy(SAMPLE_ROOT / "surveys" / min(day, last) / "nps_responses.csv", folder)
    days = sorted(expected)

    def load(day: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", LOAD_ONE_DAY, lake, files, str(root), "nps_responses", day],
            cwd=REPO_ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )

    first = load(days[0])  # creates the schemas and tables
    assert first.wait(timeout=300) == 0, first.stderr.read()
    at_once = [load(day) for day in days[1:4]]
    for process in at_once:
        assert process.wait(timeout=300) == 0, process.stderr.read()[-3000:]
    warehouse = Warehouse(database=lake, data_path=files)
    with warehouse.get_connection(read_only=True) as con:
        loaded = dict(
            con.execute(
                "SELECT _delivery_date::VARCHAR, count(*) FROM raw.nps_responses GROUP BY 1"
            ).fetchall()
        )
    assert len(days) == 4 and loaded == expected
