"""Screenshots of what a reader gets, kept in docs/ (`make screenshots`): the HTML report and the
Dagster UI's asset graph, a raw asset's partitions and a mart's page, after a run on data/sample.

Builds the sample into a temporary folder (its own warehouse and Dagster instance), starts
Dagster's webserver there on a free port of 127.0.0.1, shoots each page with headless Chromium,
stops the webserver and shrinks each PNG to a palette so docs/ stays small.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Each shot: file name, what it shows (a path of the UI, or the report), window size.
UI_SHOTS = (
    ("ui-asset-graph.png", "/asset-groups", "1400,1250"),
    ("ui-raw-asset.png", "/assets/raw/nps_responses", "1400,1100"),
    ("ui-raw-partitions.png", "/assets/raw/nps_responses?view=partitions", "1400,700"),
    ("ui-mart.png", "/assets/marts/nps_by_month", "1400,1100"),
)
REPORT_SHOT = ("report.png", "1200,2200")
# Time Chromium gives the UI's scripts to fetch and draw before the shot (virtual time).
UI_WAIT_MS = 25_000
LOCATION = "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }"
# The UI greets a fresh instance on 127.0.0.1 with a "Join the Dagster community" dialog that
# would hide each page; this is its Skip button.
NUX_SEEN = "mutation { setNuxSeen }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("screenshots: headless Chromium is missing (apt-get install chromium)")


def shoot(url: str, path: Path, size: str, wait_ms: int = 0) -> None:
    budget = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            *budget,
            f"--window-size={size}",
            f"--screenshot={path}",
            url,
        ],
        capture_output=True,
        timeout=300,
        check=True,
    )


def shrink(path: Path) -> None:
    """A 256-colour palette: a screenshot of text and flat charts loses nothing visible and a
    third to a half of its bytes."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def build_sample(base: Path, env: dict[str, str]) -> None:
    print("building data/sample (cx-pipeline run --persist) ...", flush=True)
    run = subprocess.run(
        [sys.executable, "-m", "cx_pipeline.cli", "run", "--persist"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        sys.exit(f"screenshots: the sample run failed\n{run.stderr[-4000:]}")


def graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def location_loaded(url: str) -> bool:
    entries = graphql(url, LOCATION)["workspaceOrError"]["locationEntries"]
    return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)


@contextmanager
def webserver(base: Path, env: dict[str, str]) -> Iterator[str]:
    """Dagster's webserver on a free port of 127.0.0.1, stopped on the way out."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (base / "webserver.log").open("w")
    process = subprocess.Popen(
        [
            str(BIN / "dagster-webserver"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "workspace.yaml",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if location_loaded(url):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                sys.exit("screenshots: the webserver did not start:\n" + tail(base))
            time.sleep(1)
        graphql(url, NUX_SEEN)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def tail(base: Path) -> str:
    return "\n".join((base / "webserver.log").read_text().splitlines()[-40:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cx-screenshots-") as tmp:
        base = Path(tmp)
        home = base / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "CX_EXTRACT_ROOT": str(REPO / "data" / "sample"),
            "CX_REFERENCE_ROOT": str(REPO / "data" / "reference"),
            "CX_WAREHOUSE": str(base / "cx.duckdb"),
            "CX_SERVING_PATH": str(base / "cx_serving.duckdb"),
            "CX_REPORT_PATH": str(base / "cx_report.html"),
            "CX_RUN_SETTLE_SECONDS": "0",
        }
        build_sample(base, env)
        shots = [(out / REPORT_SHOT[0], (base / "cx_report.html").as_uri(), REPORT_SHOT[1], 0)]
        with webserver(base, env) as url:
            for name, page, size in UI_SHOTS:
                shots.append((out / name, url + page, size, UI_WAIT_MS))
            for path, page, size, wait_ms in shots:
                print(f"shooting {page} -> {path}", flush=True)
                shoot(page, path, size, wait_ms)
                shrink(path)
    for path, *_ in shots:
        print(f"  {path}: {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
