"""Account health: a transparent score of who is at risk, its history, and its track record."""

from __future__ import annotations

from cx_pipeline.marts.builder import MartSpec

COMPONENTS: tuple[tuple[str, str, str], ...] = (
    (
        "usage_component",
        "DOUBLE",
        "0-100: half usage trend (30 days over the 30 before), half events per active user "
        "against the median account; 0 when dormant; weight 35%.",
    ),
    (
        "nps_component",
        "DOUBLE",
        "0-100: 0 after a detractor answer in 30 days, else 10 x the latest score within 180 "
        "days, 50 without one; weight 30%.",
    ),
    (
        "support_component",
        "DOUBLE",
        "0-100: 100 - 25 per open high/urgent ticket - 5 per ticket in 90 days; weight 20%.",
    ),
    (
        "csat_component",
        "DOUBLE",
        "0-100: average CSAT of tickets solved in 180 days rescaled, 50 without; weight 15%.",
    ),
)
SIGNALS: tuple[tuple[str, str, str], ...] = (
    ("events_last_30d", "HUGEINT", "Product events in the 30 days to the day."),
    ("events_previous_30d", "HUGEINT", "Product events in the 30 days before those."),
    (
        "events_baseline_90d",
        "HUGEINT",
        "Product events in the 90 days before the last 30: the account's own baseline.",
    ),
    (
        "usage_fell",
        "BOOLEAN",
        "usage_fell() of rules.sql: a new drop of the last 30 days against that baseline.",
    ),
    ("events_per_active_user_30d", "DOUBLE", "events_last_30d over contacts with events."),
    ("last_nps_score", "BIGINT", "Latest NPS score within 180 days."),
    ("detractor_last_30d", "BOOLEAN", "A detractor answer in the 30 days to the day."),
    ("open_escalations", "BIGINT", "High/urgent tickets open on the day."),
    ("tickets_last_90d", "BIGINT", "Tickets opened in the 90 days to the day."),
    ("avg_csat_180d", "DOUBLE", "Average CSAT of tickets solved in the 180 days to the day."),
    (
        "cancels_on",
        "DATE",
        "On the as-of evaluation only: the recorded end of a cancelling account "
        "(marts.account_segments); past days cannot know when it was booked.",
    ),
)
SCORE: tuple[tuple[str, str, str], ...] = (
    (
        "health_score",
        "DOUBLE",
        "Weighted sum of the four components, 0-100; 0 for a recorded cancellation (override).",
    ),
    ("health_band", "VARCHAR", "healthy (>= 70), watch (40-70) or at_risk (< 40)."),
)

ACCOUNT_HEALTH_HISTORY = MartSpec(
    name="account_health_history",
    grain=("evaluated_on", "account_id"),
    description=(
        "The health score of every active account on the last day of each of the 13 latest "
        "complete months and on the as-of date, each computed only from what was known that "
        "day. A recorded cancellation overrides the score with 0 on the as-of evaluation. Rules "
        "and weights at the top of account_health_history.sql."
    ),
    columns=(
        ("evaluated_on", "DATE", "Day the score describes."),
        ("account_id", "VARCHAR", "CRM account identifier."),
        *SIGNALS,
        *COMPONENTS,
        *SCORE,
    ),
)

ACCOUNT_HEALTH = MartSpec(
    name="account_health",
    grain=("account_id",),
    description=(
        "Accounts at risk now: every active account's health score on the as-of date with the "
        "components behind it, riskiest first (rank 1): recorded cancellations first, then "
        "by score. Its track record is in marts.health_track_record."
    ),
    columns=(
        (
            "risk_rank",
            "BIGINT",
            "1 = riskiest: recorded cancellations first (soonest end first), then lowest score "
            "(ties: higher MRR first).",
        ),
        ("account_id", "VARCHAR", "CRM account identifier."),
        ("name", "VARCHAR", "Account name."),
        ("region", "VARCHAR", "Sales region."),
        ("revenue_tier", "VARCHAR", "SMB, mid-market or enterprise."),
        ("mrr", "DECIMAL(38,2)", "MRR of the active subscriptions."),
        ("journey_stage", "VARCHAR", "Journey stage from marts.account_segments."),
        *SCORE,
        *COMPONENTS,
        *SIGNALS,
    ),
)

HEALTH_TRACK_RECORD = MartSpec(
    name="health_track_record",
    grain=("outcome_month",),
    grain_nulls=("outcome_month",),
    description=(
        "How well the health score on a month's last day ranked the accounts lost in the next "
        "month, out of time: AUC and the lift of the riskiest 10%, per outcome month and pooled "
        "(outcome_month null)."
    ),
    columns=(
        ("outcome_month", "DATE", "Month whose losses are predicted; null for the pooled row."),
        ("accounts_scored", "BIGINT", "Active accounts scored on the day before the month."),
        ("accounts_lost", "BIGINT", "Of those, accounts lost during the month."),
        ("churn_rate_pct", "DOUBLE", "100 x accounts_lost / accounts_scored."),
        ("auc", "DOUBLE", "Chance a lost account scored lower than a kept one; 0.5 = random."),
        ("riskiest_decile_churn_pct", "DOUBLE", "Churn rate of the 10% lowest-scored accounts."),
        ("riskiest_decile_lift", "DOUBLE", "That rate over the churn rate of all scored."),
    ),
)

SPECS = (ACCOUNT_HEALTH_HISTORY, ACCOUNT_HEALTH, HEALTH_TRACK_RECORD)
