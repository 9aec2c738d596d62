"""Headless Chromium (Debian's package, installed by .ci/run) for tests that look at pages."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium() -> str:
    """The browser's path; skipped locally when absent, a failure in CI."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI") == "true":
        pytest.fail("headless Chromium is missing: .ci/run installs Debian's chromium package")
    pytest.skip("headless Chromium is not installed (apt-get install chromium)")


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


def rendered_dom(url: str, wait_ms: int = 0, timeout: float = 120) -> str:
    """The page's DOM after Chromium has loaded and run it."""
    budget = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    return _run([*budget, "--dump-dom", url], timeout).stdout


def screenshot(url: str, path: Path, size: str = "1280,1600", wait_ms: int = 0) -> Path:
    budget = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    _run([*budget, f"--window-size={size}", f"--screenshot={path}", url], 120)
    return path
