"""CX_EXECUTOR: Dagster's executors, never more writers than the warehouse allows."""

from __future__ import annotations

import pytest

from cx_pipeline import executors


@pytest.mark.parametrize("name", ["celery", "dask"])
def test_worker_executors_are_refused_on_a_one_writer_warehouse(name: str) -> None:
    with pytest.raises(ValueError, match="ducklake:postgres"):
        executors.executor_from_settings(name, one_writer=True)


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
