"""CX_EXECUTOR: Dagster's executors, never more writers than the warehouse allows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from cx_pipeline import executors
from cx_pipeline_tests.conftest import cli_settings
from cx_pipeline_tests.test_cli import cx
from cx_pipeline_tests.tiny_extracts import write_tiny_extracts


@pytest.mark.parametrize("name", ["celery", "dask"])
def test_worker_executors_fail_the_run_on_a_one_writer_warehouse(name: str) -> None:
    """The refusal comes when a run starts, not when the code location loads."""
    executor = executors.executor_from_settings(name, one_writer=True)
    assert executor.name == name
    with pytest.raises(executors.ExecutorRefused, match="ducklake:postgres"):
        executor.executor_creation_fn(None)  # type: ignore[misc]
    # The rebuild after an erasure must still run: it falls back to the run's own process.
    fallback = executors.executor_from_settings(
        name, one_writer=True, refused_fallback=dg.in_process_executor
    )
    assert fallback is dg.in_process_executor


def test_multiprocess_runs_one_step_at_a_time_on_a_one_writer_warehouse() -> None:
    assert executors.steps_at_once(one_writer=True) == 1
    assert executors.steps_at_once(one_writer=False) == 2  # CX_WORKERS' default


@pytest.mark.parametrize("name", executors.EXECUTORS)
def test_every_executor_is_built_on_a_shared_lake(name: str) -> None:
    executor = executors.executor_from_settings(name, one_writer=False)
    assert executor.name == name


def test_an_unknown_executor_names_the_choices() -> None:
    with pytest.raises(ValueError, match="in_process, multiprocess, celery, dask"):
        executors.executor_from_settings("threads", one_writer=False)


def test_the_default_is_in_process_on_the_default_warehouse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CX_EXECUTOR", raising=False)
    monkeypatch.delenv("CX_WAREHOUSE", raising=False)
    assert executors.single_writer()
    assert executors.executor_from_settings().name == "in_process"


def test_celery_on_a_duckdb_file_is_refused_and_leaves_the_code_location_up(
    tmp_path: Path,
) -> None:
    write_tiny_extracts(tmp_path / "extracts")
    env = {"CX_EXECUTOR": "celery", "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    (tmp_path / "dagster_home").mkdir()
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "from cx_pipeline.definitions import defs; defs.get_job_def('cx_daily')",
        ],
        env={**os.environ, **cli_settings(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr
    # The command line refuses before it writes anything, like any other bad setting.
    run = cx(tmp_path, "run", **env)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "CX_EXECUTOR=celery runs steps in worker processes" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "cx.duckdb").exists()
