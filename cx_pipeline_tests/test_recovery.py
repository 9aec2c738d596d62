"""A crash never wedges the next run: a `cx-pipeline run --persist` killed with kill -9 keeps its
run STARTED and its `cx_warehouse` pool slot in $DAGSTER_HOME; the next run marks it failed,
frees the slot and completes. A run that waits for a slot says for what, and SIGTERM stops it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from cx_pipeline_tests.conftest import REPO_ROOT, cli_settings
from cx_pipeline_tests.tiny_extracts import write_tiny_extracts

SELECTION = 'key:"raw/accounts" or key:"staging/accounts"'


def _start(tmp_path: Path, name: str) -> tuple[subprocess.Popen[str], Path]:
    """`cx-pipeline run --persist` in its own process, its output in a file under `tmp_path`:
    the CRM accounts only, since what is tested is the runs' hold on the pool, not the graph."""
    env = {
        **os.environ,
        **cli_settings(tmp_path),
        "CX_LOCK_WAIT_SECONDS": "60",
        "CX_EXECUTOR": "in_process",
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "GX_ANALYTICS_ENABLED": "False",
    }
    log = tmp_path / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cx_pipeline.cli", "run", "--persist", "--select", SELECTION],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return process, log


def _wait_for(log: Path, text: str, process: subprocess.Popen[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while text not in log.read_text():
        assert process.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"no {text!r} after {seconds} s:\n{log.read_text()}"
        time.sleep(0.1)


def test_a_killed_run_is_recovered_by_the_next_and_a_waiting_run_says_why(tmp_path: Path) -> None:
    write_tiny_extracts(tmp_path / "extracts")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")

    # A run frozen inside its first step holds the pool's one slot and is alive: left alone.
    first, log = _start(tmp_path, "first")
    _wait_for(log, "raw__accounts", first, 60)
    first.send_signal(signal.SIGSTOP)
    try:
        waiting, waiting_log = _start(tmp_path, "waiting")
        _wait_for(
            waiting_log, "waits for a slot in the cx_warehouse pool (limit 1), held by", waiting, 60
        )
        waiting.send_signal(signal.SIGTERM)
        assert waiting.wait(timeout=15) == 128 + signal.SIGTERM
        assert "stopped by SIGTERM" in waiting_log.read_text()
    finally:
        first.kill()
        first.wait()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = {r.run_id: r.status for r in instance.get_runs()}
        dead = next(run for run, status in runs.items() if status == dg.DagsterRunStatus.STARTED)
        assert sorted(s.value for s in runs.values()) == ["FAILURE", "STARTED"]
        # The stopped run's slots are freed once its process is gone.
        deadline = time.monotonic() + 20
        while instance.event_log_storage.get_concurrency_run_ids() != {dead}:
            assert time.monotonic() < deadline, instance.event_log_storage.get_concurrency_run_ids()
            time.sleep(0.2)

    # The next run finds the killed run's process gone, fails the run and frees its slot.
    started = time.monotonic()
    last, last_log = _start(tmp_path, "last")
    assert last.wait(timeout=120) == 0, last_log.read_text()[-3000:]
    assert time.monotonic() - started < 120
    output = last_log.read_text()
    assert f"recovered run {dead} (cx_daily): its process (pid {first.pid}) is gone" in output
    with dg.DagsterInstance.from_config(str(home)) as instance:
        statuses = sorted(r.status.value for r in instance.get_runs())
        assert statuses == ["FAILURE", "FAILURE", "SUCCESS"]
        assert instance.event_log_storage.get_concurrency_run_ids() == set()
