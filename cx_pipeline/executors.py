"""Where a run's steps execute (CX_EXECUTOR): in the run's own process (the default), in one
subprocess per step, on Celery workers, or on a Dask cluster. Dagster's own executors, configured
from the settings; docs/scale-out.md has the run config and the worker commands.

Safe by construction: a warehouse only one process may write (a DuckDB file, or a DuckLake
whose catalog is a DuckDB file) runs its steps one at a time whatever the executor: the
multiprocess executor is capped at one step, and Celery and Dask, whose workers would open the
file from other processes or machines, are refused with the setting that would work: the run
fails with that message, while the code location, the UI, the schedules and sensors keep working
(and the rebuild after an erasure runs in process: privacy/jobs.py). Across
runs, the `cx_warehouse` pool (catalog.py) with the instance's limit of 1 does the same.
"""

import dagster as dg

from cx_pipeline import ducklake, settings

EXECUTORS = ("in_process", "multiprocess", "celery", "dask")
DISTRIBUTED = ("celery", "dask")


def single_writer() -> bool:
    """Does the configured warehouse allow only one writing process?"""
    lake = ducklake.parse(settings.WAREHOUSE_PATH.value(), settings.DUCKLAKE_DATA_PATH.value())
    return lake is None or lake.single_writer


def steps_at_once(one_writer: bool) -> int:
    """How many steps the multiprocess executor runs at once: one on a one-writer warehouse."""
    return 1 if one_writer else int(settings.WORKERS.value())


def refusal(name: str, one_writer: bool) -> str | None:
    """Why executor `name` may not run on this warehouse, or None."""
    if name not in DISTRIBUTED or not one_writer:
        return None
    return (
        f"CX_EXECUTOR={name} runs steps in worker processes, but the warehouse "
        f"({settings.WAREHOUSE_PATH.value()}) allows one writing process: use "
        "CX_WAREHOUSE=ducklake:postgres:... with CX_DUCKLAKE_DATA_PATH, or CX_EXECUTOR=in_process"
    )


def executor_from_settings(
    name: str | None = None,
    one_writer: bool | None = None,
    refused_fallback: dg.ExecutorDefinition | None = None,
) -> dg.ExecutorDefinition:
    """The executor CX_EXECUTOR names, configured from the settings (the run config each one
    amounts to is in docs/scale-out.md)."""
    name = name or settings.EXECUTOR.value()
    one_writer = single_writer() if one_writer is None else one_writer
    workers = int(settings.WORKERS.value())
    if name not in EXECUTORS:
        raise ValueError(f"CX_EXECUTOR must be one of {', '.join(EXECUTORS)}, not {name!r}")
    reason = refusal(name, one_writer)
    if reason:
        return refused_fallback or refused_executor(name, reason)
    if name == "in_process":
        return dg.in_process_executor
    if name == "multiprocess":
        return dg.multiprocess_executor.configured(
            {"max_concurrent": steps_at_once(one_writer)}, name="multiprocess"
        )
    if name == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(
            {
                "broker": settings.CELERY_BROKER.value(),
                "backend": settings.CELERY_BACKEND.value(),
            },
            name="celery",
        )
    from dagster_dask import dask_executor

    scheduler = settings.DASK_SCHEDULER.value()
    cluster = (
        {"existing": {"address": scheduler}}
        if scheduler
        else {"local": {"n_workers": workers, "threads_per_worker": 1}}
    )
    return dask_executor.configured({"cluster": cluster}, name="dask")


class ExecutorRefused(Exception):
    """The configured executor would let several processes write a one-writer warehouse."""


def refused_executor(name: str, reason: str) -> dg.ExecutorDefinition:
    """An executor that fails each run it is asked to start, with `reason`: refusing when the
    code location loads would take the UI, the schedules and the erasure jobs down with it."""

    @dg.executor(name=name)
    def refused(_init_context: dg.InitExecutorContext) -> dg.Executor:
        raise ExecutorRefused(reason)

    return refused
