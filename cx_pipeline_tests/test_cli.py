"""`cx-pipeline` as a person types it: bad settings stop it before it writes anything, and its
exit code and summary tell the truth about failed steps and checks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from cx_pipeline_tests.conftest import REPO_ROOT, cli_settings
from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts


def cx(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command in its own process, writing only under `tmp_path`."""
    return subprocess.run(
        [sys.executable, "-m", "cx_pipeline.cli", *args],
        env={**os.environ, **cli_settings(tmp_path), **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("CX_MEMORY_LIMIT", "lots", "CX_MEMORY_LIMIT='lots': expected an amount of memory"),
        ("CX_TIMEZONE", "Europe/Berln", "did you mean Europe/Berlin"),
        ("CX_AS_OF", "2026-13-01", "CX_AS_OF='2026-13-01': expected a date as YYYY-MM-DD"),
        ("CX_EXTRACT_ROOT", "no/such/folder", "CX_EXTRACT_ROOT='no/such/folder': no such folder"),
    ],
)
def test_a_bad_setting_stops_the_run_before_anything_is_written(
    tmp_path: Path, setting: str, value: str, named: str
) -> None:
    write_tiny_extracts(tmp_path / "extracts")
    started = time.monotonic()
    run = cx(tmp_path, "run", **{setting: value})
    assert time.monotonic() - started < 30
    assert run.returncode == 2
    assert named in run.stderr
    assert "nothing was run" in run.stderr
    assert not (tmp_path / "cx.duckdb").exists()
    # `settings --check` says the same, for settings (the root is checked by the run).
    if setting != "CX_EXTRACT_ROOT":
        check = cx(tmp_path, "settings", "--check", **{setting: value})
        assert check.returncode == 2 and named in check.stderr


def test_a_missing_crm_folder_names_the_path(tmp_path: Path) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    (root / "crm").rename(root / "crm-old")
    run = cx(tmp_path, "run")
    assert run.returncode == 2
    assert f"no CRM deliveries: expected {(root / 'crm').resolve()}/<YYYY-MM-DD>/" in run.stderr
    assert not (tmp_path / "cx.duckdb").exists()


def test_deliveries_before_a_set_partitions_start_name_the_setting(tmp_path: Path) -> None:
    write_tiny_extracts(tmp_path / "extracts")
    run = cx(tmp_path, "run", CX_PARTITIONS_START="2026-06-01")
    assert run.returncode == 2
    assert (
        f"CX_PARTITIONS_START='2026-06-01': 1 delivery day(s) before it, the first {DELIVERY}"
        in run.stderr
    )
    assert "set it to" in run.stderr


def test_valid_settings_pass_the_check(tmp_path: Path) -> None:
    check = cx(tmp_path, "settings", "--check")
    assert check.returncode == 0, check.stderr
    assert "settings are valid" in check.stdout


def test_a_failed_error_check_fails_the_run_and_says_why(tmp_path: Path) -> None:
    # A ticket from a mailbox nobody knows: every step succeeds, but with a floor of 1 the
    # ERROR-severity identity check fails, and so must the command. DAGSTER_HOME is unset, as
    # outside make.
    root = write_tiny_extracts(tmp_path / "extracts")
    tickets = root / "support" / DELIVERY / "tickets.csv"
    tickets.write_text(
        tickets.read_text()
        + "T3,A1,C404,2026-03-21T09:00:00Z,,,email,normal,open,billing,Hello,Anyone?,\n"
    )
    run = cx(
        tmp_path,
        *("run", "--persist", "--select", '+key:"marts/identity_match_rates"'),
        CX_IDENTITY_MATCH_FLOOR="1",
        DAGSTER_HOME="",
    )
    assert run.returncode == 1, run.stderr
    assert "FAILED check marts/identity_match_rates linked_share_above_floor:" in run.stderr
    assert "FAILED step" not in run.stderr
    assert "cx_daily FAILED" in run.stderr and "0 step(s) and 1 ERROR check(s)" in run.stderr
    assert (tmp_path / ".dagster_home").is_dir()


def test_the_code_location_refuses_to_load_with_a_bad_setting(tmp_path: Path) -> None:
    # What the Dagster UI shows as the location's load error.
    load = subprocess.run(
        [sys.executable, "-c", "import cx_pipeline.definitions"],
        env={**os.environ, "CX_SCHEDULE_CRON": "every morning", "CX_AS_OF": "31/10/2026"},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert load.returncode != 0
    assert "SettingsError: invalid setting(s), nothing was run:" in load.stderr
    assert "CX_SCHEDULE_CRON='every morning': expected a cron expression" in load.stderr
    assert "CX_AS_OF='31/10/2026': expected a date as YYYY-MM-DD" in load.stderr


def test_a_delivery_folder_dated_in_the_future_is_refused(tmp_path: Path) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    (root / "crm" / DELIVERY).rename(root / "crm" / "2062-03-31")
    run = cx(tmp_path, "run")
    assert run.returncode == 2
    assert f"{root / 'crm' / '2062-03-31'}: a delivery folder dated after" in run.stderr
    assert not (tmp_path / "cx.duckdb").exists()


def test_settings_lists_every_setting_and_rejects_a_quoted_funnel_step(tmp_path: Path) -> None:
    listed = cx(tmp_path, "settings")
    assert "CX_LOCK_WAIT_SECONDS" in listed.stdout
    assert "CX_QUARANTINE_BLOCK_MIN_ROWS" in listed.stdout
    check = cx(tmp_path, "settings", "--check", CX_FUNNEL_STEPS="signup,a',b")
    assert check.returncode == 2
    assert 'CX_FUNNEL_STEPS="signup,a\',b": expected event names' in check.stderr


def test_select_builds_only_the_assets_named_and_refuses_one_that_names_none(
    tmp_path: Path,
) -> None:
    write_tiny_extracts(tmp_path / "extracts")
    wrong = cx(tmp_path, "run", "--select", 'key:"marts/nps_by_mnth"')
    assert wrong.returncode == 2 and "names no asset" in wrong.stderr
    broken = cx(tmp_path, "run", "--select", '+key:"marts/nps_by_month')
    assert broken.returncode == 2 and "Invalid selection string" in broken.stderr
    assert not (tmp_path / "cx.duckdb").exists()

    run = cx(tmp_path, "run", "--select", 'key:"raw/accounts" or key:"raw/nps_responses"')
    assert run.returncode == 0, run.stderr[-3000:]
    assert "building 2 of cx_daily's assets" in run.stdout
    with duckdb.connect(str(tmp_path / "cx.duckdb"), read_only=True) as con:
        built = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
            "WHERE schema_name IN ('raw', 'staging', 'marts') ORDER BY 1"
        ).fetchall()
    assert [t for (t,) in built] == ["raw.accounts", "raw.nps_responses"]
