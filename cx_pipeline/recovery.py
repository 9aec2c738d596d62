"""Runs that outlive their process, and runs that wait.

A `cx-pipeline run --persist` killed with kill -9 leaves its run STARTED in $DAGSTER_HOME and its
step's slot in the `cx_warehouse` pool claimed: Dagster frees a slot only when the run ends, and a
dead process never ends it. The next run's first step then waits for that slot forever. So each
CLI run tags its run with the process that executes it, and the next run marks the runs whose
process is gone as failed and frees their slots (`recover`). Runs without those tags (started
before them, or by the UI) are judged by the pid Dagster records when it starts executing steps.

While the run executes, `Watch` says what a step waits for (a pool slot held by which run), and
makes Ctrl-C and SIGTERM stop the run: Dagster defers both to the next step boundary, and a step
waiting for a slot never reaches one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from cx_pipeline import catalog

PID_TAG = "cx/pid"
HOST_TAG = "cx/host"
PROCESS_START_TAG = "cx/process_start"
ACTIVE = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
# Seconds a step may wait for a pool slot before the run says so, and between reminders.
WAIT_NOTICE_SECONDS = 3.0
WAIT_REMINDER_SECONDS = 30.0
# Seconds a signalled run gets to stop at its own step boundary before it is stopped here.
STOP_GRACE_SECONDS = 20.0


def _process_start(pid: int) -> str | None:
    """When the process started (clock ticks since boot, Linux), so a reused pid is not mistaken
    for the run's process; None where /proc does not say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, started: str | None = None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return started is None or _process_start(pid) in (None, started)


def launch_tags() -> dict[str, str]:
    """Tags that name this process, added to every run the CLI launches."""
    tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    started = _process_start(os.getpid())
    if started:
        tags[PROCESS_START_TAG] = started
    return tags


def _recorded_pid(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int | None:
    """The pid Dagster logged as executing the run's steps (an untagged run)."""
    for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        pid = getattr(data, "metadata", {}).get("pid") if data else None
        if pid is not None and str(pid.value).isdigit():
            return int(pid.value)
    return None


def _gone(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int | None:
    """The pid of the run's process if it is gone from this machine, else None."""
    tags = run.tags
    if PID_TAG in tags:
        if tags.get(HOST_TAG) != socket.gethostname():
            return None
        pid = int(tags[PID_TAG])
        return None if _alive(pid, tags.get(PROCESS_START_TAG)) else pid
    pid = _recorded_pid(instance, run)
    return pid if pid is not None and not _alive(pid) else None


def recover(instance: dg.DagsterInstance) -> list[str]:
    """Fail the runs of `instance` whose process is gone and free every pool slot held by a run
    that is no longer running. Returns one line per run recovered."""
    lines = []
    storage = instance.event_log_storage
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=ACTIVE)):
        run = record.dagster_run
        if run.tags.get(PID_TAG) == str(os.getpid()):
            continue
        pid = _gone(instance, run)
        if pid is None:
            continue
        instance.report_run_failed(
            run,
            message=f"Its process (pid {pid}) is gone: killed or crashed. Marked failed by "
            "cx-pipeline run, which freed its pool slots.",
        )
        if storage.supports_global_concurrency_limits:
            storage.free_concurrency_slots_for_run(run.run_id)
        lines.append(
            f"recovered run {run.run_id} ({run.job_name}): its process (pid {pid}) is gone; "
            "marked failed, pool slots freed"
        )
    if storage.supports_global_concurrency_limits:
        holders = storage.get_concurrency_run_ids()
        runs = (
            {
                r.dagster_run.run_id: r.dagster_run.status
                for r in instance.get_run_records(filters=dg.RunsFilter(run_ids=list(holders)))
            }
            if holders
            else {}
        )
        for run_id in sorted(holders):
            status = runs.get(run_id)
            if status not in [*ACTIVE, dg.DagsterRunStatus.QUEUED]:
                storage.free_concurrency_slots_for_run(run_id)
                ended = f"ended {status.value}" if status else "is not in the run storage"
                lines.append(f"freed the pool slots of run {run_id}, which {ended}")
    return lines


def _own_run(instance: dg.DagsterInstance) -> dg.DagsterRun | None:
    runs = instance.get_runs(
        filters=dg.RunsFilter(
            tags={PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}, statuses=ACTIVE
        ),
        limit=1,
    )
    return runs[0] if runs else None


def _waits(instance: dg.DagsterInstance, run_id: str) -> str | None:
    """What the run's steps wait for, if they wait for a pool slot."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return None
    info = storage.get_concurrency_info(catalog.warehouse_pool())
    waiting = [
        s.step_key for s in info.pending_steps if s.run_id == run_id and not s.assigned_timestamp
    ]
    held = [s for s in info.claimed_slots if s.run_id != run_id]
    if not waiting or not held:
        return None
    holders = ", ".join(f"run {s.run_id} (step {s.step_key})" for s in held)
    return (
        f"step {waiting[0]} waits for a slot in the {catalog.warehouse_pool()} pool "
        f"(limit {info.limit}), held by {holders}"
    )


class Watch:
    """A thread beside a run: reports pool waits and stops the run on Ctrl-C or SIGTERM.

    Dagster replaces the signal handlers while it executes, so the signal is seen through
    `signal.set_wakeup_fd`, which Python writes to whatever handler is installed."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)
        self._reader.settimeout(1.0)
        self._thread = threading.Thread(target=self._loop, name="cx-watch", daemon=True)

    def __enter__(self) -> Watch:
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        # Before Dagster takes over (and after it), SIGTERM stops the run like Ctrl-C.
        self._previous_term = signal.signal(signal.SIGTERM, signal.default_int_handler)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        signal.set_wakeup_fd(self._previous_fd)
        signal.signal(signal.SIGTERM, self._previous_term)
        self._reader.close()
        self._writer.close()

    def _loop(self) -> None:
        with dg.DagsterInstance.get() as instance:
            waiting_since: float | None = None
            told: float | None = None
            signalled: tuple[int, float] | None = None
            while not self._done.is_set():
                with contextlib.suppress(TimeoutError, BlockingIOError):
                    received = self._reader.recv(16)
                    if received and signalled is None:
                        signalled = (received[-1], time.monotonic())
                if self._done.is_set():
                    return
                try:
                    run = _own_run(instance)
                    wait = _waits(instance, run.run_id) if run else None
                except Exception:  # a busy run storage: look again in a second
                    continue
                now = time.monotonic()
                if signalled:
                    signum, at = signalled
                    if wait or now - at > STOP_GRACE_SECONDS:
                        self._stop(instance, run, signum, wait)
                    continue
                if wait is None:
                    waiting_since = None
                    continue
                waiting_since = waiting_since or now
                if now - waiting_since >= WAIT_NOTICE_SECONDS and (
                    told is None or now - told >= WAIT_REMINDER_SECONDS
                ):
                    told = now
                    print(f"cx-pipeline: waiting: {wait}", file=sys.stderr, flush=True)

    def _stop(
        self, instance: dg.DagsterInstance, run: dg.DagsterRun | None, signum: int, wait: str | None
    ) -> None:
        """Fail the run and exit: the run cannot stop itself while it waits. Its slots are freed
        by a helper once this process is gone, as the waiting step registers itself again on
        every poll for as long as the process lives."""
        name = signal.Signals(signum).name
        if run is not None:
            instance.report_run_failed(
                run, message=f"Stopped by {name}" + (f" while {wait}" if wait else "")
            )
            subprocess.Popen(
                [sys.executable, "-m", "cx_pipeline.recovery", str(os.getpid()), run.run_id],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        print(
            f"cx-pipeline: stopped by {name}"
            + (
                f"; run {run.run_id} marked failed, its pool slots freed as it exits" if run else ""
            ),
            file=sys.stderr,
            flush=True,
        )
        os._exit(128 + signum)


def free_after_exit(pid: int, run_id: str, seconds: float = 60.0) -> None:
    """Free the pool slots of `run_id` once process `pid` has exited."""
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    with dg.DagsterInstance.get() as instance:
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)


@contextlib.contextmanager
def watched() -> Iterator[Any]:
    """`Watch` on the main thread (signals can only be routed there); a no-op elsewhere."""
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    with Watch() as watch:
        yield watch


if __name__ == "__main__":
    free_after_exit(int(sys.argv[1]), sys.argv[2])
