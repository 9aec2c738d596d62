"""One writer on the DuckDB file, across runs: two runs started at once in two processes (a
schedule and a sensor, say) take turns through the `cx_warehouse` pool, whose limit the
instance's dagster.yaml sets to 1. Dagster's SQLite run storage can, in a rare race, give both
runs a slot; the warehouse then waits for DuckDB's file lock instead of failing, so no step
ever fails or is retried for it."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cx_pipeline.resources import Warehouse
from cx_pipeline_tests.conftest import REPO_ROOT, SAMPLE_ROOT

RUN_SOME_RAW_DAYS = """
import sys
import time
import dagster as dg
from cx_pipeline.definitions import defs
from cx_pipeline.partitions import range_tags
import datetime as dt
first, last = (dt.date.fromisoformat(d) for d in sys.argv[1:3])
keys = [dg.AssetKey(["raw", name]) for name in ("accounts", "contacts", "subscriptions")]
with dg.DagsterInstance.get() as instance:
    result = defs.resolve_job_def("cx_daily").execute_in_process(
        instance=instance, tags=range_tags(first, last), asset_selection=keys,
        raise_on_error=False,
    )
sys.exit(0 if result.success else 1)
"""


def test_two_runs_at_once_take_turns_on_the_warehouse_file(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    dg.DagsterInstance.from_config(str(home)).dispose()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CX_EXTRACT_ROOT": str(SAMPLE_ROOT),
        "CX_REFERENCE_ROOT": str(REPO_ROOT / "data" / "reference"),
        "CX_WAREHOUSE": str(tmp_path / "cx.duckdb"),
        "CX_EXECUTOR": "in_process",
        "GX_ANALYTICS_ENABLED": "False",
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", RUN_SOME_RAW_DAYS, *days],
            cwd=REPO_ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for days in (("2026-10-29", "2026-10-30"), ("2026-10-31", "2026-10-31"))
    ]
    for run in runs:
        assert run.wait(timeout=300) == 0, run.stderr.read()[-3000:]

    with dg.DagsterInstance.from_config(str(home)) as instance:
        spans = []
        for record in instance.get_run_records():
            started = {}
            waited = False
            for entry in instance.all_logs(record.dagster_run.run_id):
                event = entry.dagster_event
                assert not event or event.event_type_value not in (
                    "STEP_FAILURE",
                    "STEP_UP_FOR_RETRY",
                )
                waited = waited or "waiting for the warehouse" in (entry.user_message or "")
                if event and event.event_type_value == "STEP_START":
                    started[event.step_key] = entry.timestamp
                elif event and event.event_type_value == "STEP_SUCCESS":
                    spans.append((started[event.step_key], entry.timestamp, waited))
    assert len(spans) == 6
    spans.sort()
    overlaps = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
    assert all(a[2] or b[2] for a, b in overlaps), spans


HOLD_THE_FILE = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_writer_waits_for_the_file_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "cx.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_FILE, str(path), "3"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "holding"
    with Warehouse(database=str(path), lock_wait_seconds=60).get_connection() as con:
        assert con.execute("SELECT 1").fetchone() == (1,)
        assert holder.poll() is not None, "opened while the other process still held the file"
    holder.wait()

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_FILE, str(path), "30"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        late = Warehouse(database=str(path), lock_wait_seconds=1)
        with pytest.raises(duckdb.IOException, match="Could not set lock"), late.get_connection():
            pass
    finally:
        holder.kill()
        holder.wait()


def test_after_one_wait_in_vain_the_next_steps_fail_at_once(tmp_path: Path) -> None:
    # A SQL client holding the file: the first step waits its full time, the next ones do not
    # wait again (a run of ten steps would otherwise wait ten times in turn).
    path = tmp_path / "cx.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_FILE, str(path), "30"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        waiting = Warehouse(database=str(path), lock_wait_seconds=3)
        started = time.monotonic()
        with pytest.raises(duckdb.IOException, match="CX_LOCK_WAIT_SECONDS"):
            waiting.get_connection().__enter__()
        assert time.monotonic() - started >= 3
        started = time.monotonic()
        with pytest.raises(duckdb.IOException, match="still held by another process"):
            waiting.get_connection().__enter__()
        assert time.monotonic() - started < 1.5
    finally:
        holder.kill()
        holder.wait()
    with Warehouse(database=str(path), lock_wait_seconds=2).get_connection() as con:
        assert con.execute("SELECT 1").fetchone() == (1,)
    assert not (tmp_path / "cx.duckdb.lock-gave-up").exists()
