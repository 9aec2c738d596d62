"""Only the CRM is required: the graph completes on any subset of the other sources, and each mart
that needs a missing one is skipped with that reason, never failed, never filled with zeros."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from cx_pipeline.marts.assets import ALL_MART_SPECS
from cx_pipeline.run_summary import summarize
from cx_pipeline_tests.conftest import materialize_all
from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

OPTIONAL_SOURCES = {"support", "analytics", "surveys"}
ENTITY_OF_SOURCE = {"support": "tickets", "analytics": "events", "surveys": "nps_responses"}


def skipped_marts(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    return {
        line.split(":", 1)[0].removeprefix("marts/"): line.split(":", 1)[1]
        for line in summarize(result.all_events).skipped_marts
    }


@pytest.mark.parametrize(
    "sources",
    [("crm",), ("crm", "surveys"), ("crm", "support"), ("crm", "analytics")],
    ids=lambda s: "+".join(s),
)
def test_the_graph_completes_on_the_sources_a_company_has(
    tmp_path: Path, sources: tuple[str, ...], query
) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    for absent in OPTIONAL_SOURCES - set(sources):
        shutil.rmtree(root / absent)
    result = materialize_all(root, tmp_path / "cx.duckdb", raise_on_error=False)
    outcome = summarize(result.all_events)
    assert outcome.ok, outcome.lines()

    # The tiny extracts deliver no survey_answers, survey_invitations nor followups, even with
    # the surveys source (issues #19, #20).
    missing = {ENTITY_OF_SOURCE[s] for s in OPTIONAL_SOURCES - set(sources)} | {
        "survey_answers",
        "survey_invitations",
        "followups",
    }
    skipped = skipped_marts(result)
    for spec in ALL_MART_SPECS:
        absent = [n for n in spec.needs if n in missing]
        if absent:
            assert spec.name in skipped, spec.name
            assert all(n in skipped[spec.name] for n in absent), skipped[spec.name]
            assert query(f"SELECT count(*) FROM marts.{spec.name}") == [(0,)]
            (comment,) = query(
                "SELECT comment FROM duckdb_tables() WHERE schema_name = 'marts' "
                "AND table_name = ?",
                [spec.name],
            )
            assert comment[0].startswith("Skipped: needs")
        else:
            assert spec.name not in skipped, (spec.name, skipped.get(spec.name))

    # Churn never needs more than the CRM.
    assert query("SELECT count(*) > 0 FROM marts.churn_by_month") == [(True,)]
    if "analytics" not in sources:
        # No usage data is not dormancy: usage columns are null and no stage says dormant.
        assert query(
            "SELECT count(*) FROM marts.account_segments "
            "WHERE journey_stage = 'dormant' OR events_last_30d IS NOT NULL"
        ) == [(0,)]
        assert query(
            "SELECT count(*) FROM marts.account_health_history WHERE usage_component IS NOT NULL"
        ) == [(0,)]
    # The score rests on the components there are; with nothing but the CRM there are none,
    # except the CRM's own word: a recorded cancellation (A3) scores 0 whatever else is known.
    if sources == ("crm",):
        assert query(
            "SELECT account_id, health_score FROM marts.account_health "
            "WHERE health_score IS NOT NULL"
        ) == [("A3", 0.0)]
    else:
        assert query("SELECT count(*) FROM marts.account_health WHERE health_score IS NULL") == [
            (0,)
        ]


def test_a_crm_without_contacts_still_gives_company_nps(tmp_path: Path, query) -> None:
    # Some CRMs export companies and deals only; answers carry their account.
    root = write_tiny_extracts(tmp_path / "extracts")
    (root / "crm" / DELIVERY / "contacts.csv").unlink()
    result = materialize_all(root, tmp_path / "cx.duckdb", raise_on_error=False)
    outcome = summarize(result.all_events)
    assert outcome.ok, outcome.lines()
    assert set(skipped_marts(result)) == {
        "identity_match_rates",
        "promoter_power_matrix",
        "high_value_promoters",
        # no survey_answers nor survey_invitations in the tiny extracts
        "survey_answer_segments",
        "csat_by_segment",
        "ces_by_segment",
        "pmf_by_segment",
        "invitation_outcomes",
        "survey_response_rates",
        "survey_nonresponse_profile",
        # nor followups
        "followup_outcomes",
        "closed_loop_by_month",
    }
    assert query("SELECT sum(responses) FROM marts.nps_by_month") == [(13,)]
