"""Churn marts: logo churn by month and segment, revenue retention, cohort retention, survival,
and the lost accounts that praised the product before leaving.

All of them share one churn rule (DESIGN.md, Decisions): the customer is the account, active on
a day per active_on() in rules.sql, and lost in a month when active on the day before it and not
on its last day. That rule lives in customer_months.sql, and the monthly marts read
marts.customer_months. The same days of activity, cut into spells (a day with nothing active
ends one), live in customer_spells.sql: survival and tenure read marts.customer_spells.
"""

from __future__ import annotations

from cx_pipeline.marts.builder import MartSpec

SUBSCRIPTION_DAYS = MartSpec(
    name="subscription_days",
    grain=("subscription_id",),
    description=(
        "Every subscription as the days it runs in the reporting timezone, as known on the "
        "as-of date (an end after it has not happened yet): the building block the churn, "
        "segment and health tables read."
    ),
    columns=(
        ("subscription_id", "VARCHAR", "Subscription identifier."),
        ("account_id", "VARCHAR", "Subscribing account."),
        ("product", "VARCHAR", "Product subscribed to."),
        ("plan", "VARCHAR", "Plan or edition."),
        ("mrr", "DECIMAL(18,2)", "Monthly recurring revenue of this subscription."),
        ("started_at", "TIMESTAMP WITH TIME ZONE", "Start, as delivered (UTC)."),
        ("ended_at", "TIMESTAMP WITH TIME ZONE", "End, as delivered (UTC); may be scheduled."),
        ("cancel_reason", "VARCHAR", "Reason given at cancellation."),
        ("start_day", "DATE", "First day it runs, in the reporting timezone."),
        ("end_day", "DATE", "Day it ended; null while it runs or when the end is after as-of."),
    ),
)

CUSTOMER_MONTHS = MartSpec(
    name="customer_months",
    grain=("month", "account_id"),
    description=(
        "The building block of churn and retention: per complete month and account, whether it "
        "was a customer at the month's start (active the day before) and at its end, and its MRR "
        "on both days. The churn rule is at the top of customer_months.sql."
    ),
    columns=(
        ("month", "DATE", "First day of the calendar month."),
        ("account_id", "VARCHAR", "CRM account identifier."),
        ("customer_since", "DATE", "Day the account's first subscription started."),
        ("cohort_month", "DATE", "Month of customer_since: the account's start cohort."),
        ("active_at_start", "BOOLEAN", "Active on the last day before the month."),
        ("active_at_end", "BOOLEAN", "Active on the month's last day."),
        ("mrr_at_start", "DECIMAL(38,2)", "MRR of the subscriptions active the day before."),
        ("mrr_at_end", "DECIMAL(38,2)", "MRR of the subscriptions active on the last day."),
    ),
)

CUSTOMER_SPELLS = MartSpec(
    name="customer_spells",
    grain=("account_id", "spell_number"),
    description=(
        "The building block of survival, cohorts and tenure: one row per account and spell of "
        "continuous activity (active per active_on() in rules.sql, the churn rule). A same-day "
        "plan change continues a spell; a day with no active subscription ends it, and a return "
        "starts the next. Every loss in churn_by_month is one spell end. Rules at the top of "
        "customer_spells.sql."
    ),
    columns=(
        ("account_id", "VARCHAR", "CRM account identifier."),
        ("spell_number", "BIGINT", "1 for the account's first spell, 2 after its first return..."),
        ("spell_start", "DATE", "First day of the spell (a subscription's start day)."),
        (
            "spell_end",
            "DATE",
            "First day the account is no longer active; null while the spell runs, also when "
            "its end is scheduled after the as-of date.",
        ),
        ("lost", "BOOLEAN", "The spell ended on or before the as-of date."),
        (
            "last_active_day",
            "DATE",
            "Last day of the spell as a customer: the day before spell_end, or the as-of date "
            "while it runs.",
        ),
        (
            "tenure_months",
            "BIGINT",
            "Whole months from spell_start to spell_end, or to the as-of date while it runs.",
        ),
        (
            "mrr_at_end",
            "DECIMAL(38,2)",
            "MRR of the subscriptions active on last_active_day.",
        ),
    ),
)

CHURN_BY_MONTH = MartSpec(
    name="churn_by_month",
    grain=("month",),
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
)

CHURN_BY_SEGMENT = MartSpec(
    name="churn_by_segment",
    grain=("month", "segment_type", "segment"),
    description=(
        "Monthly logo churn per account segment (region, industry, revenue tier, tenure band), "
        "with the rule of churn_by_month: the segments of one type add up to it every month. "
        "Tier and tenure are taken at the month's start; tier from 12 x the account's MRR then, "
        "tenure from the start of its spell running then (customer_spells). Complete months only."
    ),
    columns=(
        ("month", "DATE", "First day of the calendar month."),
        ("segment_type", "VARCHAR", "region, industry, revenue_tier or tenure_band."),
        (
            "segment",
            "VARCHAR",
            "The segment's value, e.g. 'EMEA', 'enterprise' or '0-5 months'; 'unknown' if missing.",
        ),
        (
            "customers_at_start",
            "BIGINT",
            "Accounts of the segment active on the last day before the month.",
        ),
        ("customers_lost", "BIGINT", "Of those, accounts not active on the month's last day."),
        ("churn_rate_pct", "DOUBLE", "100 x customers_lost / customers_at_start; null if none."),
    ),
)

REVENUE_RETENTION_BY_MONTH = MartSpec(
    name="revenue_retention_by_month",
    grain=("month",),
    description=(
        "Monthly revenue churn, gross (GRR) and net (NRR) revenue retention from MRR, over the "
        "accounts active at the month's start (MRR on the day before the month vs on its last "
        "day). New customers' MRR is in none of the figures. Complete months only."
    ),
    columns=(
        ("month", "DATE", "First day of the calendar month."),
        ("customers_at_start", "BIGINT", "Accounts active on the last day before the month."),
        (
            "mrr_at_start",
            "DECIMAL(38,2)",
            "Their MRR on that day: mrr of their subscriptions active then.",
        ),
        ("churned_mrr", "DECIMAL(38,2)", "Start MRR of the accounts lost in the month."),
        (
            "contraction_mrr",
            "DECIMAL(38,2)",
            "Decreases from start MRR to MRR on the month's last day, of accounts kept.",
        ),
        (
            "expansion_mrr",
            "DECIMAL(38,2)",
            "Increases from start MRR to MRR on the month's last day, of accounts kept.",
        ),
        (
            "gross_revenue_churn_pct",
            "DOUBLE",
            "100 x (churned + contraction) / mrr_at_start; null when there is no start MRR.",
        ),
        (
            "grr_pct",
            "DOUBLE",
            "Gross revenue retention: 100 x (start - churned - contraction) / start.",
        ),
        (
            "nrr_pct",
            "DOUBLE",
            "Net revenue retention: 100 x (start - churned - contraction + expansion) / start.",
        ),
    ),
)

COHORT_RETENTION = MartSpec(
    name="cohort_retention",
    grain=("cohort_month", "months_since_start"),
    description=(
        "Logo retention by start cohort: of the accounts whose first subscription started in a "
        "month, all at month 0 (the start, 100% by definition), and at month k >= 1 those that "
        "are customers at the start of month cohort + k (active on the last day before it). An "
        "account that leaves and returns stays in its first cohort and counts again once it is "
        "active at a month's start. Up to the last complete month."
    ),
    columns=(
        ("cohort_month", "DATE", "Month of the accounts' first subscription start."),
        (
            "months_since_start",
            "BIGINT",
            "k: 0 = the cohort at its start; k >= 1 = at the start of month cohort_month + k.",
        ),
        ("cohort_customers", "BIGINT", "Accounts in the cohort."),
        (
            "customers_active",
            "BIGINT",
            "Of those, accounts active on the last day of month cohort_month + k - 1 (all of "
            "them at k = 0).",
        ),
        ("retention_pct", "DOUBLE", "100 x customers_active / cohort_customers."),
    ),
)

SURVIVAL_BY_SEGMENT = MartSpec(
    name="survival_by_segment",
    grain=("spell_basis", "segment_type", "segment", "month"),
    description=(
        "Kaplan-Meier survival by whole months of tenure over the customer spells "
        "(customer_spells: a day with no active subscription ends a spell, a return starts the "
        "next), for all accounts and by region and revenue tier, on two bases: each account's "
        "first spell, and every spell. A spell that ended by the as-of date is a loss at its "
        "end; a running one is censored at the as-of date."
    ),
    columns=(
        (
            "spell_basis",
            "VARCHAR",
            "first_spell (each account's first spell) or every_spell (every spell, a return "
            "counting as a new start).",
        ),
        ("segment_type", "VARCHAR", "all, region or revenue_tier."),
        (
            "segment",
            "VARCHAR",
            "The segment's value ('all' for all accounts); tier from 12 x the MRR on the "
            "spell's last active day.",
        ),
        ("month", "BIGINT", "t: whole months of tenure in the spell (0 = its first month)."),
        ("at_risk", "BIGINT", "Spells whose tenure reached t whole months."),
        ("lost", "BIGINT", "Spells that ended, by the as-of date, with t whole months of tenure."),
        ("censored", "BIGINT", "Spells running on the as-of date with t whole months of tenure."),
        (
            "survival_pct",
            "DOUBLE",
            "Kaplan-Meier estimate, in %, of spells still running after t + 1 whole months: "
            "100 x product over months 0..t of (1 - lost / at_risk).",
        ),
    ),
)

PRAISE_BUT_CANCEL = MartSpec(
    name="praise_but_cancel",
    grain=("account_id",),
    needs=("nps_responses",),
    description=(
        "Lost accounts whose latest NPS answer before they left was a promoter or passive: "
        "churn a detractor alert would have missed, with the cancel reason and the MRR lost."
    ),
    columns=(
        ("account_id", "VARCHAR", "CRM account identifier."),
        ("name", "VARCHAR", "Account name."),
        ("region", "VARCHAR", "Sales region."),
        ("revenue_tier", "VARCHAR", "SMB, mid-market or enterprise from 12 x mrr_lost."),
        ("lost_on", "DATE", "Day the account's last subscription ended."),
        ("last_nps_score", "BIGINT", "Score of the latest answer before the account was lost."),
        ("last_nps_category", "VARCHAR", "promoter or passive."),
        ("last_nps_on", "DATE", "Day of that answer."),
        ("cancel_reason", "VARCHAR", "Cancel reason of the subscription that ended last."),
        ("mrr_lost", "DECIMAL(38,2)", "MRR of the account on the day before lost_on."),
    ),
)

SPECS = (
    SUBSCRIPTION_DAYS,
    CUSTOMER_MONTHS,
    CUSTOMER_SPELLS,
    CHURN_BY_MONTH,
    CHURN_BY_SEGMENT,
    REVENUE_RETENTION_BY_MONTH,
    COHORT_RETENTION,
    SURVIVAL_BY_SEGMENT,
    PRAISE_BUT_CANCEL,
)
