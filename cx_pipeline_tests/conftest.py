"""Shared fixtures: a warehouse per test, and resources pointing at it."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cx_pipeline import catalog
from cx_pipeline.definitions import defs
from cx_pipeline.partitions import delivered_days, range_tags
from cx_pipeline.resources import CxSettings, ExtractStore, HeldWarehouse, Serving

REPO_ROOT = Path(__file__).resolve().parents[1]


def cli_settings(tmp_path: Path) -> dict[str, str]:
    """The environment of a `cx-pipeline` command run by a test: everything it writes goes under
    `tmp_path`, the extracts are read from `tmp_path/extracts` and were written just before (no
    copy in progress to wait for)."""
    return {
        "CX_WAREHOUSE": str(tmp_path / "cx.duckdb"),
        "CX_SERVING_PATH": str(tmp_path / "cx_serving.duckdb"),
        "CX_REPORT_PATH": str(tmp_path / "cx_report.html"),
        "CX_EXTRACT_ROOT": str(tmp_path / "extracts"),
        "CX_PARTITIONS_START": "auto",
        "CX_REFERENCE_ROOT": str(REPO_ROOT / "data" / "reference"),
        "CX_LOCK_WAIT_SECONDS": "5",
        "CX_RUN_SETTLE_SECONDS": "0",
    }


def make_resources(
    extract_root: Path, warehouse_path: Path, sources_file: str = "", **settings: object
) -> dict:
    return {
        # Held open from a run's first step to its end: the tests' many short runs would spend
        # 40% of their time loading the catalog and checkpointing at each step. The CLI tests
        # run as users do, a connection a step.
        "warehouse": HeldWarehouse(database=str(warehouse_path), memory_limit="1GB"),
        "extracts": ExtractStore(
            root=str(extract_root),
            reference_root=str(REPO_ROOT / "data" / "reference"),
            sources_file=sources_file,
        ),
        "serving": Serving(
            path=str(warehouse_path.with_name("cx_serving.duckdb")),
            report_path=str(warehouse_path.with_name("cx_report.html")),
        ),
        "cx_settings": CxSettings(**settings),
    }


Query = Callable[..., list[tuple]]


def reader(database: Path) -> Query:
    """Read-only queries against a warehouse file, a connection each, so a test never holds the
    file while a run writes it."""

    def run(sql: str, params: object = None) -> list[tuple]:
        with duckdb.connect(str(database), read_only=True) as con:
            return con.execute(sql, params).fetchall()

    return run


# What most tests of loading and checking read: no mart, no serving file.
RAW_AND_STAGING = dg.AssetSelection.groups("raw", "staging")
# What tests of the warehouse's tables read: everything but the serving file and the report.
WAREHOUSE_ONLY = dg.AssetSelection.all() - dg.AssetSelection.groups("serving")


def up_to(*tables: str) -> dg.AssetSelection:
    """The tables named (`schema.table`) and everything they are built from: a test builds only
    what it reads."""
    return dg.AssetSelection.assets(*(catalog.key(*t.split(".")) for t in tables)).upstream()


def all_assets() -> list[dg.AssetsDefinition]:
    return list(defs.assets or [])


def materialize_all(
    extract_root: Path,
    warehouse_path: Path,
    raise_on_error: bool = True,
    days: tuple[dt.date, dt.date] | None = None,
    selection: dg.AssetSelection | None = None,
    sources_file: str = "",
    instance: dg.DagsterInstance | None = None,
    **settings: object,
) -> dg.ExecuteInProcessResult:
    """The graph (or `selection` of it) in one run over every delivery day under the root, or
    over `days`."""
    delivered = delivered_days(extract_root)
    first, last = days or (delivered[0], delivered[-1])
    return dg.materialize(
        all_assets(),
        resources=make_resources(extract_root, warehouse_path, sources_file, **settings),
        selection=selection,
        raise_on_error=raise_on_error,
        tags=range_tags(first, last),
        instance=instance,
    )


@pytest.fixture
def query(tmp_path: Path) -> Callable[..., list[tuple]]:
    """Run a read-only query against the test's warehouse (tmp_path/cx.duckdb)."""

    return reader(tmp_path / "cx.duckdb")


SAMPLE_ROOT = REPO_ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed sample materialized once per test session, shared by pytest-xdist's
    workers (the first to ask builds it while the others wait): read it, never write it. Its
    run is recorded in `dagster_home` beside it, as `make run` records one."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, above each worker's own
    folder = base / "sample_shared"
    folder.mkdir(exist_ok=True)
    built = folder / "built"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            home = folder / "dagster_home"
            home.mkdir(exist_ok=True)
            with dg.DagsterInstance.from_config(str(home)) as instance:
                materialize_all(SAMPLE_ROOT, folder / "cx.duckdb", instance=instance)
            built.touch()
    return folder / "cx.duckdb"


@pytest.fixture(scope="session")
def sample_query(sample_warehouse: Path) -> Callable[..., list[tuple]]:
    return reader(sample_warehouse)


# Modules that take half a minute or more on 2 cores (seconds measured on one worker, largest
# first). pytest-xdist's `--dist loadfile` hands whole modules to workers in the order of this
# list, then the rest in collection order: the long ones start first, the many short ones fill
# in around them, and no worker is left alone with a long module at the end. A stale list only
# costs balance, never a test.
LONGEST_FIRST = (
    "test_scale_out.py",  # a Celery run on PostgreSQL + redis: minutes, mostly waiting
    "privacy/test_erasure.py",  # ~100: two CLI runs on the sample (erase, reload)
    "test_source_subsets.py",  # ~100: five runs on the tiny extracts
    "test_ducklake.py",  # ~100: the sample into a lake, the tiny extracts into another
    "test_operations.py",  # ~80: two partition runs on the sample
    "serving/test_publish.py",  # ~35: a run on the tiny extracts and two small ones
    "quality/test_checks.py",
    "test_recovery.py",
    "test_thin_data.py",
    "staging/test_incremental.py",
    "test_cli.py",
    "ingest/test_atomicity.py",
    "test_webserver.py",
    "marts/test_usage_incremental.py",
    "privacy/test_retention.py",
    "marts/test_hand_computed.py",
    "test_one_writer.py",
)


def pytest_configure(config: pytest.Config) -> None:
    # xdist would otherwise order modules by their number of tests (its `--loadscope-reorder`),
    # which put the four tests of the Celery run last, alone on one worker.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules of LONGEST_FIRST first, in its order; a stable sort keeps each module's tests
    together and in place."""
    rank = {f"cx_pipeline_tests/{module}": i for i, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
