"""NPS marts: by month and by account segment."""

from __future__ import annotations

from cx_pipeline import catalog
from cx_pipeline.marts.builder import MartSpec

NPS_MEASURES: tuple[tuple[str, str, str], ...] = (
    ("responses", "BIGINT", "Survey responses in the cell (n)."),
    ("promoters", "BIGINT", "Responses scoring 9-10."),
    ("passives", "BIGINT", "Responses scoring 7-8."),
    ("detractors", "BIGINT", "Responses scoring 0-6."),
    (
        "nps",
        "DOUBLE",
        "Net Promoter Score: 100 x (promoters - detractors) / responses; null if n = 0.",
    ),
    ("nps_moe_95", "DOUBLE", "95% margin of error of NPS in points (adjusted Wald)."),
    (
        "low_sample",
        "BOOLEAN",
        "True when responses are below the low-sample threshold (default 30).",
    ),
)

NPS_BY_MONTH = MartSpec(
    name="nps_by_month",
    description=(
        "Net Promoter Score per calendar month in the reporting timezone, with sample size and "
        "95% margin of error. Months without responses have 0 responses and a null NPS."
    ),
    columns=(("month", "DATE", "First day of the calendar month."), *NPS_MEASURES),
    deps=(catalog.key("staging", "nps_responses"),),
)

NPS_BY_SEGMENT = MartSpec(
    name="nps_by_segment",
    description=(
        "Net Promoter Score by account segment (region, industry, revenue tier, tenure band) over "
        "all responses up to the as-of date; responses without a known account are 'unknown'."
    ),
    columns=(
        ("segment_type", "VARCHAR", "region, industry, revenue_tier or tenure_band."),
        ("segment", "VARCHAR", "The segment's value, e.g. 'EMEA' or 'enterprise'."),
        *NPS_MEASURES,
    ),
    deps=(
        catalog.key("staging", "nps_responses"),
        catalog.key("staging", "contacts"),
        catalog.key("staging", "accounts"),
        catalog.key("staging", "subscriptions"),
    ),
)

SPECS = (NPS_BY_MONTH, NPS_BY_SEGMENT)
