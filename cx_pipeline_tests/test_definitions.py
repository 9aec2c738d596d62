"""The Definitions load, and expose the assets, job and schedule people rely on."""

from __future__ import annotations

import dagster as dg

from cx_pipeline.contract import ENTITIES
from cx_pipeline.definitions import defs


def test_definitions_load_with_jobs_and_schedules() -> None:
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("cx_daily") is not None
    schedule = defs.resolve_schedule_def("cx_daily_schedule")
    assert schedule.job_name == "cx_daily"


def test_asset_keys_follow_schema_and_table() -> None:
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    expected = {f"{layer}/{e.name}" for e in ENTITIES for layer in ("raw", "staging")}
    expected |= {
        "raw/industry_benchmarks",
        "raw/voc_taxonomy",
        "raw/voc_lexicon",
        "raw/voc_stop_words",
        "raw/exchange_rates",
        "raw/business_hours",
        "raw/holidays",
        "raw/sla_policies",
        "serving/marts_snapshot",
        "serving/cx_report",
        "marts/nps_by_month",
        "marts/nps_answers",
        "marts/nps_by_segment",
        "marts/churn_by_month",
        "marts/customer_months",
        "marts/customer_spells",
        "marts/subscription_days",
        "marts/churn_by_segment",
        "marts/revenue_retention_by_month",
        "marts/cohort_retention",
        "marts/survival_by_segment",
        "marts/praise_but_cancel",
        "marts/subscription_mrr",
        "marts/mrr_movements",
        "marts/account_segments",
        "marts/account_revenue",
        "marts/contact_segments",
        "marts/promoter_power_matrix",
        "marts/high_value_promoters",
        "marts/benchmarks",
        "marts/nps_by_quarter",
        "marts/nps_by_account",
        "marts/detractor_followup",
        "marts/segment_benchmarks",
        "marts/account_health_history",
        "marts/account_health",
        "marts/health_track_record",
        "marts/feedback_themes",
        "marts/voice_by_theme",
        "marts/emerging_topics",
        "marts/segment_tracker",
        "marts/journey_funnel",
        "marts/onboarding_milestones",
        "marts/milestone_retention",
        "marts/contact_personas",
        "marts/persona_summary",
        "marts/business_hours_windows",
        "marts/ticket_status_spans",
        "marts/ticket_metrics",
        "marts/ticket_backlog",
        "marts/support_by_month",
        "staging/identity_map",
        *(
            f"staging/resolved_{e}"
            for e in (
                "tickets",
                "events",
                "nps_responses",
                "survey_answers",
                "survey_invitations",
                "interviews",
                "followups",
            )
        ),
        "staging/resolved_event_pairs",
        "marts/identity_match_rates",
        "marts/account_features",
        "marts/usage_daily",
        "marts/nps_driver_answers",
        "marts/churn_examples",
        "marts/nps_drivers",
        "marts/churn_drivers",
        "marts/churn_model_track_record",
        "marts/churn_predictions",
        "marts/survey_answer_segments",
        "marts/csat_by_segment",
        "marts/ces_by_segment",
        "marts/pmf_by_segment",
        "marts/invitation_outcomes",
        "marts/survey_response_rates",
        "marts/survey_nonresponse_profile",
        "marts/nps_weighted",
        "marts/followup_outcomes",
        "marts/closed_loop_by_month",
    }
    assert keys == expected


def test_every_asset_is_grouped_owned_and_documented() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        # Marts are grouped by family (marts_nps, marts_churn...), the rest by layer.
        assert node.group_name.split("_")[0] == key.path[0], key
        assert node.owners == ["team:cx_data"], key
        assert node.description, key
        if key.path[-1] != "cx_report":  # a page, not a table
            assert "dagster/column_schema" in node.metadata, key


def test_marts_carry_a_freshness_policy_and_the_sensor_exists() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        if key.path[0] == "marts":
            assert graph.get(key).freshness_policy is not None, key
    assert defs.resolve_sensor_def("new_delivery_sensor").job_name == "cx_daily"


def test_erasure_job_and_the_rebuild_that_follows_it() -> None:
    assert defs.resolve_job_def("erase_person") is not None
    rebuild = defs.resolve_job_def("cx_rebuild")
    keys = {k.path[0] for k in rebuild.asset_layer.executable_asset_keys}
    assert keys == {"staging", "marts", "serving"}
    assert defs.resolve_sensor_def("rebuild_after_erasure") is not None
    assert defs.resolve_schedule_def("purge_expired_schedule").job_name == "purge_expired"


def test_raw_descriptions_name_their_files_in_code_spans() -> None:
    # Markdown swallows a bare <YYYY-MM-DD> as an HTML tag ("surveys//nps_responses.csv").
    (raw,) = [a for a in defs.assets or [] if dg.AssetKey(["raw", "nps_responses"]) in a.keys]
    description = raw.descriptions_by_key[dg.AssetKey(["raw", "nps_responses"])]
    assert "`surveys/<YYYY-MM-DD>/nps_responses.csv`" in description
