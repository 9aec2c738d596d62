"""Revenue marts: each subscription's MRR in the reporting currency, and the monthly MRR
movements (new, expansion, contraction, churned, reactivation) that subscription-analytics
tools report, with quick ratio, ARPA and an LTV estimate.

They read the churn rule where it lives (marts.customer_months, active_on() in rules.sql), so
their customers at start, churned customers and churned, contraction and expansion MRR agree
with churn_by_month, churn_by_segment and revenue_retention_by_month when every subscription is
in the reporting currency. docs/revenue.md maps each column to the vendors' metrics.
"""

from __future__ import annotations

from cx_pipeline.marts.builder import MartSpec

SUBSCRIPTION_MRR = MartSpec(
    name="subscription_mrr",
    grain=("subscription_id",),
    description=(
        "Every subscription of subscription_days with its MRR converted to the reporting "
        "currency (CX_REPORTING_CURRENCY) at the exchange rate in effect on its start day: the "
        "latest rate of raw.exchange_rates dated on or before it. A subscription in a currency "
        "without such a rate fails the run, naming the currency, the day and the rows."
    ),
    columns=(
        ("subscription_id", "VARCHAR", "Subscription identifier."),
        ("account_id", "VARCHAR", "Subscribing account."),
        ("start_day", "DATE", "First day it runs, in the reporting timezone."),
        ("end_day", "DATE", "Day it ended; null while it runs or when the end is after as-of."),
        (
            "currency",
            "VARCHAR",
            "ISO 4217 currency of mrr as delivered; the reporting currency when none was given.",
        ),
        ("mrr", "DECIMAL(18,2)", "MRR as delivered, in currency."),
        ("rate_date", "DATE", "Date of the exchange rate used; null in the reporting currency."),
        ("rate", "DECIMAL(18,8)", "Reporting-currency units per unit of currency (1 if same)."),
        ("mrr_reporting", "DECIMAL(18,2)", "mrr x rate, rounded to the cent."),
    ),
)

MRR_MOVEMENTS = MartSpec(
    name="mrr_movements",
    grain=("month", "segment_type", "segment"),
    description=(
        "Monthly MRR movements per account segment (all, region, industry, revenue tier, "
        "tenure band) in the reporting currency, on the churn rule of customer_months: each "
        "account moves once a month from its MRR on the day before the month to its MRR on the "
        "last day, as new (first subscription started in the month), reactivation (started "
        "before, not a customer at the start), expansion, contraction or churned. opening + "
        "new + expansion + reactivation - contraction - churned = closing in every row. An "
        "account that starts and leaves within one month is in no movement. Complete months "
        "only; rules at the top of mrr_movements.sql, vendor equivalents in docs/revenue.md."
    ),
    columns=(
        ("month", "DATE", "First day of the calendar month."),
        ("segment_type", "VARCHAR", "all, region, industry, revenue_tier or tenure_band."),
        (
            "segment",
            "VARCHAR",
            "The segment's value ('all' for all accounts); tier from 12 x the start MRR (the "
            "end MRR for a new or returning account), tenure at the month's start.",
        ),
        ("customers_at_start", "BIGINT", "Accounts active on the last day before the month."),
        ("new_customers", "BIGINT", "Accounts whose first subscription started in the month."),
        ("expansion_customers", "BIGINT", "Accounts kept whose MRR rose."),
        ("contraction_customers", "BIGINT", "Accounts kept whose MRR fell."),
        ("churned_customers", "BIGINT", "Accounts active at the start, not on the last day."),
        (
            "reactivated_customers",
            "BIGINT",
            "Accounts that had been customers before, were not at the start and are at the end.",
        ),
        ("customers_at_end", "BIGINT", "Accounts active on the month's last day."),
        ("opening_mrr", "DECIMAL(38,2)", "MRR on the last day before the month."),
        ("new_mrr", "DECIMAL(38,2)", "End MRR of the new customers."),
        ("expansion_mrr", "DECIMAL(38,2)", "End minus start MRR of the accounts that expanded."),
        (
            "contraction_mrr",
            "DECIMAL(38,2)",
            "Start minus end MRR of the accounts that contracted.",
        ),
        ("churned_mrr", "DECIMAL(38,2)", "Start MRR of the churned accounts."),
        ("reactivation_mrr", "DECIMAL(38,2)", "End MRR of the reactivated accounts."),
        ("closing_mrr", "DECIMAL(38,2)", "MRR on the month's last day."),
        ("net_new_mrr", "DECIMAL(38,2)", "closing_mrr - opening_mrr."),
        (
            "quick_ratio",
            "DOUBLE",
            "(new + expansion + reactivation) / (contraction + churned); null with no loss.",
        ),
        ("arpa", "DOUBLE", "Average MRR per account: closing_mrr / customers_at_end."),
        (
            "mrr_churn_pct",
            "DOUBLE",
            "Gross MRR churn: 100 x (churned + contraction) / opening_mrr; null at 0 opening.",
        ),
        (
            "mrr_churn_12m_pct",
            "DOUBLE",
            "The same, pooled over the 12 months to this one (fewer at the start of the data).",
        ),
        (
            "ltv_estimate",
            "DOUBLE",
            "arpa / (mrr_churn_12m_pct / 100): a steady-state estimate, null without churn "
            "(caveats in docs/revenue.md).",
        ),
    ),
)

SPECS = (SUBSCRIPTION_MRR, MRR_MOVEMENTS)
