"""Benchmark marts: own NPS and churn against industry references and the seed targets, and
each segment against the company."""

from __future__ import annotations

from cx_pipeline.marts.builder import MartSpec
from cx_pipeline.marts.nps import NPS_INTERVAL

BENCHMARKS = MartSpec(
    name="benchmarks",
    grain=("metric", "scope", "reference_source", "reference_statistic", "reference_audience"),
    grain_nulls=("reference_audience",),
    optional_marts=("nps_answers",),
    description=(
        "Own NPS (12 months) and monthly logo churn (12 complete months) against published "
        "industry figures and the seed targets, like for like: a reference is compared (gap, "
        "meets_reference) only when it has the company's audience (B2B or B2C, a setting) and, "
        "for NPS, its survey type (relationship or transactional, a setting) and rates the "
        "company itself rather than the industry its customers are in; every other reference "
        "keeps its row with comparable false and the reasons. Each row carries the reference's "
        "audience, survey type, region, year, sample, source, link and licence."
    ),
    columns=(
        ("metric", "VARCHAR", "'nps' or 'monthly_logo_churn_pct'."),
        ("scope", "VARCHAR", "'all' for the company, else the accounts' industry."),
        ("own_value", "DOUBLE", "The company's own figure."),
        ("own_sample", "BIGINT", "Responses (NPS) or customer-months (churn) behind it."),
        ("own_basis", "VARCHAR", "What the own figure covers."),
        ("own_audience", "VARCHAR", "The company's audience (setting CX_BENCHMARK_AUDIENCE)."),
        (
            "own_survey_type",
            "VARCHAR",
            "What the company's NPS survey is (setting CX_BENCHMARK_SURVEY_TYPE); null for churn.",
        ),
        ("comparison", "VARCHAR", "'reference' (published figure) or 'target'."),
        (
            "reference_scope",
            "VARCHAR",
            "Industry of the companies the reference rates; 'all' across industries.",
        ),
        ("reference_statistic", "VARCHAR", "average, median, top_quartile, target..."),
        ("reference_value", "DOUBLE", "The reference figure."),
        ("reference_audience", "VARCHAR", "B2B, B2C or mixed; null for targets."),
        (
            "reference_survey_type",
            "VARCHAR",
            "relationship, transactional or mixed (NPS); null for churn and targets.",
        ),
        ("reference_region", "VARCHAR", "Where the reference was measured; null if unpublished."),
        ("reference_sample_size", "BIGINT", "Sample behind the reference; null if unpublished."),
        ("reference_sample_unit", "VARCHAR", "What reference_sample_size counts."),
        (
            "comparable",
            "BOOLEAN",
            "The reference measures what the own figure measures (same audience, same NPS "
            "survey type, the company itself as subject), or is a target.",
        ),
        (
            "comparability",
            "VARCHAR",
            "Why: 'like for like: ...', 'target: ...' or 'not compared: ' and every difference.",
        ),
        ("gap", "DOUBLE", "own_value - reference_value; null when not comparable."),
        (
            "meets_reference",
            "BOOLEAN",
            "Own figure is at least as good as the reference; null when not comparable.",
        ),
        ("reference_source", "VARCHAR", "Publisher and study of the reference."),
        ("reference_url", "VARCHAR", "Where the reference was published."),
        ("reference_year", "INTEGER", "Year of the reference; null when the source is undated."),
        ("reference_licence", "VARCHAR", "On what terms the figure is used."),
        ("reference_notes", "VARCHAR", "Caveats of the reference."),
    ),
)

SEGMENT_BENCHMARKS = MartSpec(
    name="segment_benchmarks",
    grain=("segment_type", "segment"),
    optional_marts=("nps_answers",),
    description=(
        "Each segment (region, industry, revenue tier, tenure band, influence level) against the "
        "company: NPS over the trailing 12 calendar months with the gap to the company NPS and "
        "whether it is significant (z-test of the segment against the rest of the company), "
        "and for region, industry and revenue tier the monthly logo churn pooled over the "
        "latest 12 complete months against the company's; both against the seed targets "
        "(NPS >= 70, monthly churn <= 5%)."
    ),
    columns=(
        (
            "segment_type",
            "VARCHAR",
            "region, industry, revenue_tier, tenure_band or influence_level.",
        ),
        (
            "segment",
            "VARCHAR",
            "The segment's value; 'unknown' without account or contact. For NPS, revenue tier is "
            "the account's as of the as-of date and tenure band its band when the answer was "
            "given (marts.nps_answers); for churn, both at the month's start.",
        ),
        ("responses", "BIGINT", "Responses of the segment in the 12-month window."),
        ("nps", "DOUBLE", "The segment's NPS in the window; null without responses."),
        *NPS_INTERVAL,
        ("nps_rank", "BIGINT", "Rank of the NPS within the segment type, 1 = highest."),
        ("low_sample", "BOOLEAN", "Responses below the low-sample threshold (default 30)."),
        ("company_responses", "BIGINT", "All responses in the window."),
        ("company_nps", "DOUBLE", "The company's NPS over all responses in the window."),
        ("nps_gap", "DOUBLE", "nps - company_nps, in points."),
        (
            "nps_gap_p_value",
            "DOUBLE",
            "Two-sided p-value of the z-test between the segment and the rest of the company; "
            "null when either side has no responses.",
        ),
        (
            "gap_significant",
            "BOOLEAN",
            "True when nps_gap_p_value < 0.05: the segment really differs from the rest.",
        ),
        ("nps_target", "DOUBLE", "Seed NPS target (top echelon), from the reference file."),
        ("meets_nps_target", "BOOLEAN", "nps >= nps_target."),
        (
            "customer_months",
            "BIGINT",
            "Sum over the 12 complete months of the segment's accounts active at the month's "
            "start (marts.churn_by_segment); null for tenure_band and influence_level.",
        ),
        ("customers_lost", "BIGINT", "Of those, accounts not active at the month's end."),
        (
            "churn_rate_pct",
            "DOUBLE",
            "Monthly logo churn: 100 x customers_lost / customer_months; null if none.",
        ),
        (
            "company_churn_pct",
            "DOUBLE",
            "The same pooled monthly churn of all accounts (marts.churn_by_month).",
        ),
        ("churn_gap", "DOUBLE", "churn_rate_pct - company_churn_pct, in percentage points."),
        ("churn_target_pct", "DOUBLE", "Seed monthly churn target, from the reference file."),
        ("meets_churn_target", "BOOLEAN", "churn_rate_pct <= churn_target_pct."),
    ),
)

SPECS = (BENCHMARKS, SEGMENT_BENCHMARKS)
