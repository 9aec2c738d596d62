"""Thin and odd data completes: one account with one answer delivered in 1997, and an as-of date
long after the last answer. Every run succeeds; what cannot be computed is empty or null."""

from __future__ import annotations

from pathlib import Path

from cx_pipeline.run_summary import summarize
from cx_pipeline_tests.conftest import materialize_all
from cx_pipeline_tests.test_cli import cx
from cx_pipeline_tests.tiny_extracts import write_tiny_extracts

ONE_OF_EACH = {
    ("crm", "accounts.csv"): (
        "account_id,name,industry,region,country,employees,arr,created_at\n"
        "A1,Alpha Ltd,Software,EMEA,GB,12,6000,1996-11-04T00:00:00Z\n"
    ),
    ("crm", "contacts.csv"): (
        "contact_id,account_id,email,full_name,job_title,created_at\n"
        "C1,A1,ann@alpha.example,Ann Alpha,Managing Director,1996-11-04T00:00:00Z\n"
    ),
    ("crm", "subscriptions.csv"): (
        "subscription_id,account_id,product,plan,mrr,started_at,ended_at,cancel_reason\n"
        "S1,A1,Core,standard,500,1996-11-04T00:00:00Z,,\n"
    ),
    ("surveys", "nps_responses.csv"): (
        "response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,score,comment\n"
        "R1,C1,A1,rel-96,relationship,1997-01-02T10:00:00Z,9,Reliable and quick\n"
    ),
}


def test_one_account_one_day_one_answer_from_1997(tmp_path: Path) -> None:
    # Through the command, so the partitions come from the data (CX_PARTITIONS_START=auto).
    for (source, name), text in ONE_OF_EACH.items():
        folder = tmp_path / "extracts" / source / "1997-01-03"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    run = cx(tmp_path, "run")
    assert run.returncode == 0, run.stderr
    assert "loading deliveries 1997-01-03 to 1997-01-03" in run.stdout
    assert "skipped mart marts/journey_funnel: skipped: needs analytics.events" in run.stderr
    assert (tmp_path / "cx_report.html").read_text().count("no survey answer") == 0


def test_an_as_of_date_long_after_the_data(tmp_path: Path, query) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    result = materialize_all(root, tmp_path / "cx.duckdb", raise_on_error=False, as_of="2028-06-30")
    outcome = summarize(result.all_events)
    assert outcome.ok, outcome.lines()
    # No answer in the 12 months to the as-of date: the report says so instead of crashing.
    report = (tmp_path / "cx_report.html").read_text()
    assert "no survey answer in the last 12 months" in report
    assert query("SELECT max(month) FROM marts.churn_by_month") == [
        (query("SELECT DATE '2028-06-01'")[0][0],)
    ]
