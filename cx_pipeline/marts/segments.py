"""Segment marts: contacts (influence, usage, power users) and accounts (B2B segments, journey
stage)."""

from __future__ import annotations

from cx_pipeline.marts.builder import MartSpec

CONTACT_SEGMENTS = MartSpec(
    name="contact_segments",
    grain=("contact_id",),
    description=(
        "One row per contact: influence level from the job title (C-level, senior manager, "
        "decision maker, influencer, end user), product usage in the last 30 days, the "
        "power-user flag, the latest NPS answer and an engagement stage, as of the as-of date. "
        "Rules in rules.sql and at the top of contact_segments.sql."
    ),
    columns=(
        ("contact_id", "VARCHAR", "CRM contact identifier."),
        ("account_id", "VARCHAR", "The contact's account."),
        ("job_title", "VARCHAR", "Job title as typed in the CRM."),
        (
            "influence_level",
            "VARCHAR",
            "c_level, senior_manager, decision_maker, influencer, end_user or unknown.",
        ),
        ("created_on", "DATE", "Day the contact was created in the CRM."),
        ("events_last_30d", "BIGINT", "Product events in the 30 days to the as-of date."),
        ("active_days_last_30d", "BIGINT", "Days with at least one event in that window."),
        ("features_last_30d", "BIGINT", "Distinct features (event names) used in that window."),
        ("last_active_on", "DATE", "Day of the latest event in that window."),
        (
            "is_power_user",
            "BOOLEAN",
            "Active on at least 8 days and using at least 5 features in the window.",
        ),
        ("last_nps_score", "BIGINT", "Score of the contact's latest NPS answer."),
        ("last_nps_category", "VARCHAR", "promoter, passive or detractor."),
        ("last_nps_on", "DATE", "Day of the latest NPS answer."),
        ("account_is_active", "BOOLEAN", "The account has an active subscription."),
        (
            "engagement_stage",
            "VARCHAR",
            "lost, onboarding, at_risk, champion, dormant or engaged; rules in the SQL file.",
        ),
    ),
)

ACCOUNT_SEGMENTS = MartSpec(
    name="account_segments",
    grain=("account_id",),
    description=(
        "One row per account: region, industry, revenue tier, tenure band, products, usage, last "
        "NPS and a journey stage (prospect, lost, cancelling, at_risk, dormant, onboarding, "
        "champion, active; first match wins, so no stage hides a risk) as of the as-of date. "
        "Tenure is that of the latest customer spell, stopping at the loss for a lost account. "
        "The stage and tenure rules, and why the stages come in that order, are at the top of "
        "account_segments.sql."
    ),
    columns=(
        ("account_id", "VARCHAR", "CRM account identifier."),
        ("name", "VARCHAR", "Account name."),
        ("industry", "VARCHAR", "Industry."),
        ("region", "VARCHAR", "Sales region."),
        ("country", "VARCHAR", "Country code."),
        ("arr", "DECIMAL(18,2)", "Annual recurring revenue from the CRM."),
        (
            "revenue_tier",
            "VARCHAR",
            "SMB, mid-market or enterprise from ARR (cut-offs configurable); a lost account's "
            "from 12 x its MRR on its last day as a customer.",
        ),
        ("customer_since", "DATE", "Day the first subscription started."),
        (
            "spell_start",
            "DATE",
            "Start of the account's latest spell (customer_spells): the current one while a "
            "customer, the one it was lost from otherwise.",
        ),
        (
            "tenure_months",
            "BIGINT",
            "Whole months of the latest spell: from spell_start to the as-of date, or to the "
            "spell's end (the loss) for a lost account.",
        ),
        ("active_subscriptions", "BIGINT", "Subscriptions active on the as-of date."),
        ("is_active", "BOOLEAN", "Whether the account is a customer on the as-of date."),
        ("mrr", "DECIMAL(38,2)", "MRR of the active subscriptions."),
        ("products", "VARCHAR[]", "Active products; for a lost account, the products it had."),
        ("lost_on", "DATE", "For a lost account, the day its last subscription ended."),
        (
            "cancels_on",
            "DATE",
            "For a customer whose every active subscription has a recorded end after the as-of "
            "date (none booked to start later): the day the last one ends. Else null.",
        ),
        ("last_nps_score", "BIGINT", "Score of the account's latest NPS response."),
        ("last_nps_category", "VARCHAR", "promoter, passive or detractor."),
        ("last_nps_on", "DATE", "Day of the latest NPS response."),
        ("events_last_30d", "BIGINT", "Product events in the 30 days to the as-of date."),
        ("events_previous_30d", "BIGINT", "Product events in the 30 days before those."),
        (
            "events_baseline_90d",
            "BIGINT",
            "Product events in the 90 days before the last 30: the account's own baseline.",
        ),
        ("active_users_last_30d", "BIGINT", "Contacts with events in the last 30 days."),
        ("power_users", "BIGINT", "Contacts meeting the power-user rule in the last 30 days."),
        ("open_escalations", "BIGINT", "Open tickets with high or urgent priority."),
        (
            "tenure_band",
            "VARCHAR",
            "tenure_band() of tenure_months: 0-5 months, 6-11 months, 1-2 years, 2+ years.",
        ),
        (
            "journey_stage",
            "VARCHAR",
            "First match of: prospect, lost, cancelling (a recorded future end), at_risk (recent "
            "detractor, usage fell, open escalations), dormant, onboarding, champion (recent "
            "promoter with a power user), active. Risks first, so none is hidden; rules and "
            "reasons in account_segments.sql.",
        ),
    ),
)

PROMOTER_POWER_MATRIX = MartSpec(
    name="promoter_power_matrix",
    grain=("nps_category", "is_power_user"),
    needs=("contacts", "nps_responses", "events"),
    description=(
        "Contacts of active accounts by their latest NPS category and the power-user flag: "
        "champions, fans to activate (promoters who hardly use the product), power users at "
        "risk (heavy users who would not recommend it) and the rest."
    ),
    columns=(
        ("nps_category", "VARCHAR", "Latest answer: promoter, passive, detractor or no answer."),
        ("is_power_user", "BOOLEAN", "The power-user rule of rules.sql, last 30 days."),
        ("quadrant", "VARCHAR", "A name for the cell, e.g. 'fans to activate'."),
        ("contacts", "BIGINT", "Contacts in the cell."),
        ("share_of_contacts_pct", "DOUBLE", "Their share of all contacts of active accounts."),
        ("accounts", "BIGINT", "Distinct accounts of those contacts."),
        ("avg_events_last_30d", "DOUBLE", "Average product events per contact, last 30 days."),
    ),
)

HIGH_VALUE_PROMOTERS = MartSpec(
    name="high_value_promoters",
    grain=("contact_id",),
    needs=("contacts", "nps_responses"),
    description=(
        "Promoters (latest answer within 12 months) at active enterprise accounts: whom to ask "
        "for references and case studies, power users and senior contacts first."
    ),
    columns=(
        ("contact_id", "VARCHAR", "CRM contact identifier."),
        ("account_id", "VARCHAR", "CRM account identifier."),
        ("account_name", "VARCHAR", "Account name."),
        ("region", "VARCHAR", "Sales region."),
        ("revenue_tier", "VARCHAR", "Always enterprise, the top tier."),
        ("mrr", "DECIMAL(38,2)", "MRR of the account's active subscriptions."),
        ("job_title", "VARCHAR", "Job title as typed in the CRM."),
        ("influence_level", "VARCHAR", "Influence level from the title."),
        ("last_nps_score", "BIGINT", "Latest NPS score (9 or 10)."),
        ("last_nps_on", "DATE", "Day of that answer."),
        ("is_power_user", "BOOLEAN", "The contact is a power user."),
    ),
)

SPECS = (CONTACT_SEGMENTS, ACCOUNT_SEGMENTS, PROMOTER_POWER_MATRIX, HIGH_VALUE_PROMOTERS)
