"""Churn marts: logo churn by month."""

from __future__ import annotations

from cx_pipeline import catalog
from cx_pipeline.marts.builder import MartSpec

CHURN_BY_MONTH = MartSpec(
    name="churn_by_month",
    description=(
        "Monthly logo churn: accounts active at the start of the month that are not active at the "
        "start of the next, over accounts active at its start, x 100. Complete months only."
    ),
    columns=(
        ("month", "DATE", "First day of the calendar month."),
        ("customers_at_start", "BIGINT", "Accounts active on the last day before the month."),
        ("customers_lost", "BIGINT", "Of those, accounts not active on the month's last day."),
        ("churn_rate_pct", "DOUBLE", "100 x customers_lost / customers_at_start; null if none."),
    ),
    deps=(catalog.key("staging", "subscriptions"),),
)

SPECS = (CHURN_BY_MONTH,)
