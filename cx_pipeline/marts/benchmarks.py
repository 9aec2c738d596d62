"""Benchmark mart: own NPS and churn against industry references and the seed targets."""

from __future__ import annotations

from cx_pipeline import catalog
from cx_pipeline.marts.builder import MartSpec

BENCHMARKS = MartSpec(
    name="benchmarks",
    description=(
        "Own NPS (12 months) and monthly logo churn (12 complete months) against published "
        "industry figures and the seed targets (NPS >= 70 top echelon, churn <= 5% healthy), "
        "each comparison with the reference's source and year."
    ),
    columns=(
        ("metric", "VARCHAR", "'nps' or 'monthly_logo_churn_pct'."),
        ("scope", "VARCHAR", "'all' for the company, else the accounts' industry."),
        ("own_value", "DOUBLE", "The company's own figure."),
        ("own_sample", "BIGINT", "Responses (NPS) or customer-months (churn) behind it."),
        ("own_basis", "VARCHAR", "What the own figure covers."),
        ("comparison", "VARCHAR", "'reference' (published figure) or 'target'."),
        ("reference_scope", "VARCHAR", "Industry of the reference figure."),
        ("reference_statistic", "VARCHAR", "average, median, top_quartile, target..."),
        ("reference_value", "DOUBLE", "The reference figure."),
        ("gap", "DOUBLE", "own_value - reference_value."),
        ("meets_reference", "BOOLEAN", "Own figure is at least as good as the reference."),
        ("reference_source", "VARCHAR", "Publisher and study of the reference."),
        ("reference_year", "INTEGER", "Year of the reference; null when the source is undated."),
        ("reference_notes", "VARCHAR", "Caveats of the reference."),
    ),
    deps=(
        catalog.key("staging", "nps_responses"),
        catalog.key("staging", "contacts"),
        catalog.key("staging", "accounts"),
        catalog.key("marts", "churn_by_month"),
        catalog.key("raw", "industry_benchmarks"),
    ),
)

SPECS = (BENCHMARKS,)
