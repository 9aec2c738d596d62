"""Journey funnel mart: how many contacts reach each product step, in order, by cohort and
segment. The steps are a setting (CX_FUNNEL_STEPS), bound as $funnel_steps."""

from __future__ import annotations

from cx_pipeline.marts.builder import MartSpec

JOURNEY_FUNNEL = MartSpec(
    name="journey_funnel",
    grain=("dimension", "segment", "step_number"),
    needs=("events",),
    description=(
        "The ordered journey funnel from the funnel setting (default signup -> "
        "onboarding_completed -> first_report_created -> report_created): contacts reaching "
        "each step at or after reaching the previous one, conversion and drop-off, for all "
        "contacts and by cohort month, region and revenue tier. Rules at the top of "
        "journey_funnel.sql."
    ),
    columns=(
        ("dimension", "VARCHAR", "all, cohort_month, region or revenue_tier."),
        (
            "segment",
            "VARCHAR",
            "'all', a cohort month 'YYYY-MM' (month of step 1 in the reporting timezone), a "
            "region or a revenue tier; 'unknown' when the contact has no known account.",
        ),
        ("step_number", "BIGINT", "Position of the step in the funnel, from 1."),
        ("step", "VARCHAR", "Event name of the step."),
        ("contacts", "BIGINT", "Contacts of the segment that reached the step."),
        (
            "conversion_from_previous_pct",
            "DOUBLE",
            "contacts / contacts at the previous step x 100; null for step 1 or when nobody "
            "reached the previous step.",
        ),
        ("conversion_from_first_pct", "DOUBLE", "contacts / contacts at step 1 x 100."),
        (
            "drop_off",
            "BIGINT",
            "Contacts lost since the previous step (previous - this); null for step 1.",
        ),
    ),
)

SPECS = (JOURNEY_FUNNEL,)
