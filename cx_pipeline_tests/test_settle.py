"""A file still being copied is never loaded: `cx-pipeline run` waits until the days' files have
stopped changing (and refuses, naming them, if they never do), and the loader fails a file that
changed while it was read."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path

import pytest

from cx_pipeline.cli import _settle
from cx_pipeline.contract import entity
from cx_pipeline.ingest.extracts import find_deliveries
from cx_pipeline.ingest.loader import ExtractError, load_delivery
from cx_pipeline.resources import Warehouse
from cx_pipeline_tests.test_cli import cx
from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts


class Appender(threading.Thread):
    """A copy in progress: appends one whole NPS row to `path` every `every` seconds."""

    def __init__(self, path: Path, every: float) -> None:
        super().__init__(daemon=True)
        self.path, self.every, self.stop = path, every, threading.Event()

    def run(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                row = f"X{n},C1,A1,rel-q1,relationship,2026-03-03T10:00:00Z,7,more\n"
                os.write(fd, row.encode())
                time.sleep(self.every)
        finally:
            os.close(fd)

    def __enter__(self) -> Appender:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.join()


def test_a_run_refuses_files_that_keep_changing(tmp_path: Path) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    growing = root / "surveys" / DELIVERY / "nps_responses.csv"
    with Appender(growing, 0.2):
        started = time.monotonic()
        run = cx(tmp_path, "run", CX_RUN_SETTLE_SECONDS="1", CX_RUN_SETTLE_WAIT_SECONDS="3")
    assert time.monotonic() - started < 20
    assert run.returncode == 2, run.stderr
    assert "waiting until these files have not changed for 1 s" in run.stdout
    assert f"{growing}: still changing after 3 s (CX_RUN_SETTLE_WAIT_SECONDS)" in run.stderr
    assert "nothing was run" in run.stderr
    assert not (tmp_path / "cx.duckdb").exists()


def test_a_fresh_file_is_waited_for_then_accepted(tmp_path: Path, capsys) -> None:
    old, fresh = tmp_path / "old.csv", tmp_path / "fresh.csv"
    old.write_text("a\n")
    os.utime(old, (time.time() - 60, time.time() - 60))
    started = time.monotonic()
    assert _settle([old], quiet=2, limit=10) == []
    assert time.monotonic() - started < 0.5
    fresh.write_text("a\n")
    # Dated in the future (a skewed clock): watched until unchanged, not trusted by its age.
    future = time.time() + 3600
    os.utime(old, (future, future))
    assert _settle([old, fresh], quiet=1, limit=10) == []
    assert 1 <= time.monotonic() - started < 5
    assert (
        f"(CX_RUN_SETTLE_SECONDS; a copy in progress?): {old}, {fresh}" in capsys.readouterr().out
    )


def test_a_file_that_changes_while_it_is_read_fails_the_load(tmp_path: Path, query) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    growing = root / "surveys" / DELIVERY / "nps_responses.csv"
    rows = "".join(
        f"B{i},C1,A1,rel-q1,relationship,2026-03-03T10:00:00Z,{i % 11},fine\n"
        for i in range(200_000)
    )
    with growing.open("a") as f:
        f.write(rows)
    nps = entity("nps_responses")
    (delivery,) = find_deliveries(root, nps)
    with (
        Warehouse(database=str(tmp_path / "cx.duckdb")).get_connection() as con,
        Appender(growing, 0.001),
        pytest.raises(ExtractError) as raised,
    ):
        load_delivery(con, nps, delivery, root, loaded_at=dt.datetime.now(dt.UTC))
    assert str(raised.value) == (
        f"surveys/{DELIVERY}/nps_responses.csv: changed while it was read; deliver it again "
        "once the copy is complete"
    )
    assert query("SELECT count(*) FROM raw.nps_responses") == [(0,)]
