"""The real thing: Dagster's webserver and daemon on 127.0.0.1 with the project's workspace,
the full job launched through the GraphQL API, and the UI's asset graph looked at in Chromium."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cx_pipeline_tests.browser import chromium, rendered_dom, screenshot
from cx_pipeline_tests.conftest import REPO_ROOT
from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

pytestmark = pytest.mark.integration

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
STATUS = "query Status($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
DAEMONS = "{ instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }"
WORKSPACE = """
{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus locationOrLoadError {
  __typename
  ... on RepositoryLocation { repositories { jobs { name } } }
  ... on PythonError { message }
} } } } }
"""
RELOAD = """
mutation Reload($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) { __typename }
}
"""
# A code server that imports slowly on a loaded machine must not time out into an empty workspace.
DAGSTER_YAML = """
telemetry:
  enabled: false
code_servers:
  local_startup_timeout: 900
  reload_timeout: 900
concurrency:
  pools:
    default_limit: 1
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(url: str, query: str, variables: dict, timeout: float = 60) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body
    return body["data"]


@dataclass(frozen=True)
class DagsterUI:
    url: str
    logs: Path

    def log_tails(self) -> str:
        return "\n".join(f"--- {name}\n{tail(self.logs / name)}" for name in LOGS)


LOGS = ("webserver.log", "daemon.log")


def daemons_healthy(url: str) -> bool:
    statuses = graphql(url, DAEMONS, {})["instance"]["daemonHealth"]["allDaemonStatuses"]
    return all(s["healthy"] for s in statuses if s["required"])


def job_loaded(url: str, job: str) -> bool:
    """Whether the webserver's code location serves `job`; a location that failed to load is
    reloaded once more, since on a busy machine the failure is usually its startup timeout."""
    entries = graphql(url, WORKSPACE, {})["workspaceOrError"]["locationEntries"]
    for entry in entries:
        loaded = entry["locationOrLoadError"]
        if entry["loadStatus"] != "LOADED" or loaded is None:
            continue
        if loaded["__typename"] == "PythonError":
            print(f"code location {entry['name']} failed to load, reloading: {loaded['message']}")
            graphql(url, RELOAD, {"name": entry["name"]}, timeout=900)
            continue
        if any(j["name"] == job for r in loaded["repositories"] for j in r["jobs"]):
            return True
    return False


def tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text().splitlines()[-lines:])


def dom_showing(url: str, *texts: str, attempts: int = 4) -> str:
    """The rendered page, loaded again while a busy machine has not drawn `texts` yet."""
    for _ in range(attempts):
        dom = rendered_dom(url, wait_ms=20_000, timeout=180)
        if all(text in dom for text in texts):
            break
    return dom


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterUI]:
    chromium()  # skip (or fail in CI) before starting anything
    base = tmp_path_factory.mktemp("ui")
    home = base / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CX_EXTRACT_ROOT": str(write_tiny_extracts(base / "extracts")),
        "CX_WAREHOUSE": str(base / "cx.duckdb"),
        "CX_SERVING_PATH": str(base / "cx_serving.duckdb"),
        "CX_REPORT_PATH": str(base / "cx_report.html"),
    }
    bin_dir = Path(sys.executable).parent
    workspace = str(REPO_ROOT / "workspace.yaml")
    port = free_port()
    logs = tuple((base / name).open("w") for name in LOGS)
    processes = [
        subprocess.Popen(
            [
                str(bin_dir / "dagster-webserver"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-w",
                workspace,
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=logs[0],
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [str(bin_dir / "dagster-daemon"), "run", "-w", workspace],
            cwd=REPO_ROOT,
            env=env,
            stdout=logs[1],
            stderr=subprocess.STDOUT,
        ),
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or processes[0].poll() is not None:
                    pytest.fail("webserver did not start:\n" + (base / "webserver.log").read_text())
                time.sleep(1)
        while not job_loaded(url, "cx_daily"):
            if time.monotonic() > deadline + 600 or processes[0].poll() is not None:
                pytest.fail("code location did not load:\n" + tail(base / "webserver.log"))
            time.sleep(2)
        # The run queue is the daemon's: launching before its first heartbeat leaves the run
        # QUEUED for as long as the daemon takes to load the code location on a busy machine.
        while not daemons_healthy(url):
            if time.monotonic() > deadline + 300 or processes[1].poll() is not None:
                pytest.fail("daemon did not become healthy:\n" + tail(base / "daemon.log"))
            time.sleep(2)
        yield DagsterUI(url, base)
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()


def test_the_full_job_runs_from_the_graphql_api(dagster_ui: DagsterUI) -> None:
    params = {
        "selector": {
            "repositoryLocationName": "cx_pipeline",
            "repositoryName": "__repository__",
            "jobName": "cx_daily",
        },
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": DELIVERY}]},
    }
    launched = graphql(dagster_ui.url, LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", f"{launched}\n{dagster_ui.log_tails()}"
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 600
    status = "QUEUED"
    while status not in ("SUCCESS", "FAILURE", "CANCELED") and time.monotonic() < deadline:
        time.sleep(2)
        status = graphql(dagster_ui.url, STATUS, {"id": run_id})["runOrError"]["status"]
    assert status == "SUCCESS", f"run {run_id} is {status}\n{dagster_ui.log_tails()}"


def test_the_asset_graph_shows_the_project(dagster_ui: DagsterUI, tmp_path: Path) -> None:
    catalog = dom_showing(f"{dagster_ui.url}/assets", "account_health", "Materialized")
    assert "account_health" in catalog and "Materialized" in catalog
    lineage = dom_showing(f"{dagster_ui.url}/asset-groups", ">marts_nps<")
    for group in ("raw", "staging", "marts_shared", "marts_nps", "marts_churn", "serving"):
        assert f">{group}<" in lineage, group
    png = screenshot(
        f"{dagster_ui.url}/asset-groups",
        tmp_path / "asset_graph.png",
        size="1600,1000",
        wait_ms=20_000,
    )
    assert png.stat().st_size > 20_000
