"""Erasure end to end, as a user runs it: the command removes a person from every table and
file the pipeline writes (serving file, Parquet export and report included), company counts stay,
and loading the old extracts again does not bring them back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cx_pipeline.privacy.erasure import identifier_hash
from cx_pipeline_tests.conftest import REPO_ROOT, SAMPLE_ROOT
from cx_pipeline_tests.value_search import found_everywhere


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cx_pipeline.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def erased(tmp_path_factory: pytest.TempPathFactory, sample_warehouse: Path) -> dict:
    """The session's sample warehouse, copied with its serving file, report and recorded run
    (a run over the same extracts, as `make run` leaves them: the run itself is proven
    elsewhere, and paying it again here cost 45 s), then the person erased by the command."""
    base = tmp_path_factory.mktemp("erasure")
    env = {
        **os.environ,
        "CX_EXTRACT_ROOT": str(SAMPLE_ROOT),
        "CX_WAREHOUSE": str(base / "cx.duckdb"),
        "CX_SERVING_PATH": str(base / "cx_serving.duckdb"),
        "CX_REPORT_PATH": str(base / "cx_report.html"),
        "CX_SERVING_PARQUET_DIR": str(base / "parquet"),
        # Clear text in the serving file, so a leftover would show there too.
        "CX_SERVING_PERSONAL_DATA": "clear",
        # Runs recorded as `make run` records them, so the orchestrator's own files are searched.
        "DAGSTER_HOME": str(base / "dagster_home"),
    }
    for name in ("cx.duckdb", "cx_serving.duckdb", "cx_report.html"):
        shutil.copy(sample_warehouse.with_name(name), base / name)
    shutil.copytree(sample_warehouse.with_name("dagster_home"), base / "dagster_home")
    with dg.DagsterInstance.from_config(str(base / "dagster_home")) as instance:
        recorded = instance.get_runs()
    assert [r.status for r in recorded] == [dg.DagsterRunStatus.SUCCESS], "no recorded run"
    with duckdb.connect(str(base / "cx.duckdb"), read_only=True) as con:
        # The contact with the most answers and tickets, some known only by an e-mail spelled
        # another way, events from a device before login and an interview: the hardest to remove.
        contact_id, email, name = con.execute(
            """
            SELECT c.contact_id, c.email, c.full_name FROM staging.contacts AS c
            WHERE EXISTS (
                SELECT 1 FROM staging.resolved_tickets AS t
                WHERE t.contact_id = c.contact_id AND t.identity_rule = 'email'
                  AND t.requester_email LIKE '%+%'
            ) AND EXISTS (
                SELECT 1 FROM staging.resolved_events AS e
                WHERE e.contact_id = c.contact_id AND e.identity_rule = 'anonymous_id'
            ) AND EXISTS (
                SELECT 1 FROM staging.interviews AS i
                WHERE i.contact_id = c.contact_id AND i.notes IS NOT NULL
            )
            ORDER BY
                (SELECT count(*) FROM staging.resolved_nps_responses AS r
                 WHERE r.contact_id = c.contact_id AND r.comment IS NOT NULL)
                + (SELECT count(*) FROM staging.resolved_tickets AS t
                   WHERE t.contact_id = c.contact_id)
                DESC,
                c.contact_id
            LIMIT 1
            """
        ).fetchone()
        # The other identifiers the person goes by: e-mail spellings and device ids.
        aliases = [
            alias
            for (alias,) in con.execute(
                """
                SELECT requester_email FROM staging.resolved_tickets
                WHERE contact_id = $c AND requester_email IS NOT NULL
                UNION
                SELECT respondent_email FROM staging.resolved_nps_responses
                WHERE contact_id = $c AND respondent_email IS NOT NULL
                UNION
                SELECT anonymous_id FROM staging.events WHERE contact_id = $c
                """,
                {"c": contact_id},
            ).fetchall()
        ]
        responses_before = con.execute("SELECT sum(responses) FROM marts.nps_by_month").fetchone()
        # Names are not unique (the sample has namesakes): count them instead of searching.
        (namesakes,) = con.execute(
            "SELECT count(*) FROM staging.contacts WHERE full_name = $n", {"n": name}
        ).fetchone()
        own_rows = con.execute(
            "SELECT (SELECT count(*) FROM staging.nps_responses WHERE contact_id = $c), "
            "(SELECT count(*) FROM staging.tickets WHERE contact_id = $c)",
            {"c": contact_id},
        ).fetchone()
        # An interview note of theirs: free text that previews and check samples could quote.
        note = con.execute(
            "SELECT notes FROM staging.interviews WHERE contact_id = $c AND notes IS NOT NULL "
            "ORDER BY length(notes) DESC LIMIT 1",
            {"c": contact_id},
        ).fetchone()
    assert min(own_rows) > 0
    output = cli(env, "erase", "--email", email.upper(), "--reason", "test request", "--persist")
    return {
        "base": base,
        "env": env,
        "values": [contact_id, email, *(a.strip() for a in aliases)],
        "name": name,
        "namesakes": namesakes,
        "responses_before": responses_before,
        "output": output,
        "note": note[0] if note else None,
    }


def test_the_person_is_gone_from_every_table_and_file(erased: dict) -> None:
    assert "hashed into audit.erasures" in erased["output"]
    # The rebuild wrote the Parquet export, so its files were searched too.
    assert any((erased["base"] / "parquet").glob("*.parquet"))
    assert found_everywhere(erased["base"], erased["values"]) == {}
    with duckdb.connect(str(erased["base"] / "cx.duckdb"), read_only=True) as con:
        (namesakes,) = con.execute(
            "SELECT count(*) FROM staging.contacts WHERE full_name = $n", {"n": erased["name"]}
        ).fetchone()
    assert namesakes == erased["namesakes"] - 1
    for name in ("cx.duckdb", "cx_serving.duckdb", "cx_report.html"):
        data = (erased["base"] / name).read_bytes().lower()
        assert erased["values"][1].lower().encode() not in data, name


def test_the_orchestrator_keeps_nothing_about_the_person(erased: dict) -> None:
    """Run configs, event logs (materialization previews, check samples) and every other file
    under DAGSTER_HOME, SQLite files and their write-ahead logs included, byte for byte."""
    contact_id, email = erased["values"][:2]
    assert erased["note"], "the chosen contact should have an interview note"
    wanted = {"e-mail": email, "contact id": contact_id, "interview note": erased["note"]}
    home = erased["base"] / "dagster_home"
    files = [f for f in home.rglob("*") if f.is_file()]
    assert any(f.suffix == ".db" for f in files), "the runs should be recorded in DAGSTER_HOME"
    hits = {
        str(f.relative_to(home)): what
        for f in files
        for what, value in wanted.items()
        if value.lower().encode() in f.read_bytes().lower()
    }
    assert hits == {}


def test_company_counts_stay_and_the_request_is_kept_without_values(erased: dict) -> None:
    with duckdb.connect(str(erased["base"] / "cx.duckdb"), read_only=True) as con:
        assert (
            con.execute("SELECT sum(responses) FROM marts.nps_by_month").fetchone()
            == erased["responses_before"]
        )
        reason, hashes = con.execute(
            "SELECT reason, identifier_hashes FROM audit.erasures"
        ).fetchone()
    assert reason == "test request"
    contact_id, email = erased["values"][:2]
    assert {identifier_hash(contact_id), identifier_hash(email)} <= set(hashes)


def test_loading_the_old_extracts_again_keeps_the_person_erased(erased: dict) -> None:
    cli(erased["env"], "run")
    assert found_everywhere(erased["base"], erased["values"]) == {}
    with duckdb.connect(str(erased["base"] / "cx.duckdb"), read_only=True) as con:
        # The person's row in the latest CRM snapshot came back from the file and was erased.
        erased_rows = con.execute(
            "SELECT rows_erased FROM audit.loads WHERE entity = 'crm.contacts' "
            "ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()[0]
        reconciled = con.execute(
            "SELECT bool_and(rows_read = rows_loaded + rows_quarantined + rows_erased) "
            "FROM audit.loads WHERE rows_erased IS NOT NULL"
        ).fetchone()[0]
    assert erased_rows == 1 and reconciled
