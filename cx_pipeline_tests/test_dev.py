"""`make dev` started in the background stops on SIGTERM, webserver and daemon with it (#22).

A non-interactive shell starts a background job with SIGINT ignored, and `dagster dev` maps SIGTERM
onto SIGINT's handler: before `cx-pipeline dev`, `make dev &` then `kill -TERM` left make, the
webserver and the daemon running. The test starts make exactly so (SIGINT ignored, its own
session) on a free port of 127.0.0.1, waits for the UI, and sends make SIGTERM.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cx_pipeline_tests.conftest import REPO_ROOT

STOP_SECONDS = 30  # dagster dev waits for its webserver and daemon to finish their shutdown


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_a_background_job() -> None:
    """What `sh -c 'make dev &'` does to its job: SIGINT and SIGQUIT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGQUIT, signal.SIG_IGN)


def session(sid: int) -> dict[int, str]:
    """Every live process of session `sid`, with its command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z" and int(fields[3]) == sid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return {pid: cmd.decode(errors="replace") for pid, cmd in found.items()}


def test_make_dev_in_the_background_stops_on_sigterm(tmp_path: Path) -> None:
    make, venv_bin = shutil.which("make"), Path(sys.executable).parent
    if make is None or not (venv_bin / "cx-pipeline").is_file():
        pytest.skip("needs make and the project installed in this venv (make install)")
    if not Path("/proc/self/stat").is_file():
        pytest.skip("reads the process table from /proc (Linux)")
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = free_port()
    log = (tmp_path / "dev.log").open("w")
    dev = subprocess.Popen(
        # -o: the venv is installed already; make must not reinstall into it.
        [
            make,
            "dev",
            f"DEV_PORT={port}",
            f"VENV={venv_bin.parent}",
            "-o",
            f"{venv_bin}/.installed",
        ],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "DAGSTER_HOME": str(home),
            "CX_WAREHOUSE": str(tmp_path / "cx.duckdb"),
            "CX_SERVING_PATH": str(tmp_path / "cx_serving.duckdb"),
            "CX_REPORT_PATH": str(tmp_path / "cx_report.html"),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=as_a_background_job,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or dev.poll() is not None:
                    pytest.fail("make dev did not serve:\n" + (tmp_path / "dev.log").read_text())
                time.sleep(1)
        running = " ".join(session(dev.pid).values())
        assert "dagster_webserver" in running and "dagster._daemon" in running, running

        stopping = time.monotonic()
        dev.send_signal(signal.SIGTERM)
        try:
            dev.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"make dev still running {STOP_SECONDS} s after SIGTERM:\n"
                + "\n".join(session(dev.pid).values())
            )
        # What dagster dev started (webserver, daemon, code server) finishes with it.
        while session(dev.pid) and time.monotonic() - stopping < STOP_SECONDS:
            time.sleep(0.5)
        assert not session(dev.pid), session(dev.pid)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5)
        assert "Dagster services shut down." in (tmp_path / "dev.log").read_text()
    finally:
        if session(dev.pid):
            os.killpg(dev.pid, signal.SIGKILL)
        log.close()
