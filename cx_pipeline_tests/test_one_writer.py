"""One writer on the DuckDB file, across runs: two runs started at once in two processes (a
schedule and a sensor, say) take turns through the `cx_warehouse` pool, whose limit the
instance's dagster.yaml sets to 1, so neither meets DuckDB's file lock."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from cx_pipeline_tests.conftest import REPO_ROOT, SAMPLE_ROOT

RUN_SOME_RAW_DAYS = """
import sys
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
            for entry in instance.all_logs(record.dagster_run.run_id):
                event = entry.dagster_event
                if event and event.event_type_value == "STEP_START":
                    started[event.step_key] = entry.timestamp
                elif event and event.event_type_value == "STEP_SUCCESS":
                    spans.append((started[event.step_key], entry.timestamp))
    assert len(spans) == 6
    spans.sort()
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(spans)), spans
