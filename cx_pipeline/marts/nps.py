"""NPS marts: by month and quarter (with the significance of each change), by segment, by B2B
account, and the closed-loop list of recent detractors."""

from __future__ import annotations

from cx_pipeline.marts.builder import MartSpec

# The 95% interval of an NPS cell (adjusted Wald, rules.sql), as its margin and its bounds.
NPS_INTERVAL: tuple[tuple[str, str, str], ...] = (
    (
        "nps_moe_95",
        "DOUBLE",
        "95% margin of error in points: half the width of the adjusted Wald interval (add 3/4 "
        "to promoters and detractors, 3 to n). The interval is centred on the adjusted NPS, "
        "not on nps: read nps_low_95 and nps_high_95, not nps +/- this.",
    ),
    (
        "nps_low_95",
        "DOUBLE",
        "Lower bound of the 95% adjusted Wald interval of NPS: 100 x (promoters - "
        "detractors) / (n + 3) - nps_moe_95, at least -100; null if n = 0.",
    ),
    (
        "nps_high_95",
        "DOUBLE",
        "Upper bound of that interval: 100 x (promoters - detractors) / (n + 3) + "
        "nps_moe_95, at most 100; null if n = 0.",
    ),
)

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
    *NPS_INTERVAL,
    (
        "low_sample",
        "BOOLEAN",
        "True when responses are below the low-sample threshold (default 30).",
    ),
)


def change_columns(period: str) -> tuple[tuple[str, str, str], ...]:
    """The change-significance columns, worded for the period they compare with."""
    return (
        (
            "nps_change",
            "DOUBLE",
            f"NPS minus the previous {period}'s NPS, in points; null for the first {period} or "
            "when either has no responses.",
        ),
        (
            "nps_change_p_value",
            "DOUBLE",
            f"Two-sided p-value of the change, unadjusted: z-test in the adjusted Wald form of "
            f"the interval, z = (adjusted NPS - previous {period}'s adjusted NPS) / 100 / "
            "sqrt(var + previous var), each adjusted NPS = (P - D) / (n + 3) and var = (p + d - "
            "(p - d)^2) / (n + 3) with p = (P + 3/4) / (n + 3), d = (D + 3/4) / (n + 3); null "
            "when either n = 0.",
        ),
        (
            "nps_change_p_value_holm",
            "DOUBLE",
            f"nps_change_p_value adjusted for testing every {period} of the table at once "
            f"(Holm; the family is all {period}-over-{period} tests of the table, so it can rise "
            f"as {period}s are added).",
        ),
        (
            "nps_change_significant",
            "BOOLEAN",
            "True when nps_change_p_value_holm < 0.05: the change is unlikely to be sampling "
            "noise, even among all the changes the table tests.",
        ),
    )


NPS_ANSWERS = MartSpec(
    name="nps_answers",
    grain=("response_id",),
    needs=("nps_responses",),
    description=(
        "The answers rule, built once for every NPS mart: each NPS answer up to the as-of date "
        "with its account, the account's ARR and revenue tier as of the as-of date (one tier "
        "per account, the rule of marts.account_segments), the tenure band when it answered "
        "and the respondent's influence level from the job title. Rules at the top of "
        "nps_answers.sql."
    ),
    columns=(
        ("response_id", "VARCHAR", "Survey response identifier."),
        ("submitted_at", "TIMESTAMP WITH TIME ZONE", "When the answer was submitted (UTC)."),
        ("submitted_day", "DATE", "Day of the answer in the reporting timezone."),
        ("month", "DATE", "First day of its calendar month."),
        ("contact_id", "VARCHAR", "Respondent (CRM contact id)."),
        ("account_id", "VARCHAR", "The response's account, else the contact's."),
        ("score", "BIGINT", "Likelihood to recommend, 0-10."),
        ("category", "VARCHAR", "promoter, passive or detractor."),
        ("touchpoint", "VARCHAR", "Moment the survey was sent at; 'unknown' if missing."),
        ("region", "VARCHAR", "The account's sales region."),
        ("industry", "VARCHAR", "The account's industry."),
        (
            "arr",
            "DECIMAL(18,2)",
            "The account's ARR as of the as-of date: the CRM's while a customer (12 x active "
            "MRR if the CRM has none), 12 x MRR on its last day as a customer once lost; null "
            "without a known account.",
        ),
        (
            "revenue_tier",
            "VARCHAR",
            "revenue_tier() of arr (SMB, mid-market, enterprise; cut-offs are settings): the "
            "same for every answer of an account; 'unknown' without a known account.",
        ),
        ("tenure_band", "VARCHAR", "Tenure band on the answer day."),
        (
            "influence_level",
            "VARCHAR",
            "influence_level() of the respondent's job title (rules.sql); 'unknown' without a "
            "contact or a title.",
        ),
    ),
)

NPS_BY_MONTH = MartSpec(
    name="nps_by_month",
    grain=("month",),
    needs=("nps_responses",),
    description=(
        "Net Promoter Score per calendar month in the reporting timezone, with sample size, "
        "the 95% adjusted Wald interval (margin and bounds), and the change from the previous "
        "month with its significance (z-test in the same adjusted form; flagged on the "
        "p-value adjusted for all the table's months at once, Holm). Months without responses "
        "have 0 responses and a null NPS."
    ),
    columns=(
        ("month", "DATE", "First day of the calendar month."),
        *NPS_MEASURES,
        *change_columns("month"),
    ),
)

NPS_BY_QUARTER = MartSpec(
    name="nps_by_quarter",
    grain=("quarter",),
    description=(
        "Net Promoter Score per calendar quarter in the reporting timezone, with sample size, "
        "the 95% adjusted Wald interval (margin and bounds), and the change from the previous "
        "quarter with its significance (z-test in the same adjusted form; flagged on the "
        "p-value adjusted for all the table's quarters at once, Holm). The latest quarter runs "
        "to the as-of date; quarters without responses have 0 responses and a null NPS."
    ),
    columns=(
        ("quarter", "DATE", "First day of the calendar quarter."),
        *NPS_MEASURES,
        *change_columns("quarter"),
    ),
)

NPS_BY_SEGMENT = MartSpec(
    name="nps_by_segment",
    grain=("segment_type", "segment"),
    description=(
        "Net Promoter Score by segment (account region and industry; revenue tier as of the "
        "as-of date; tenure band when the answer was given; survey touchpoint; respondent "
        "influence level) over all answers up to the as-of date, from marts.nps_answers (the "
        "answers rule); answers without a known account, touchpoint or contact are 'unknown'."
    ),
    columns=(
        (
            "segment_type",
            "VARCHAR",
            "region, industry, revenue_tier, tenure_band, touchpoint or influence_level.",
        ),
        (
            "segment",
            "VARCHAR",
            "The segment's value, e.g. 'EMEA', 'enterprise', 'support' or 'c_level'.",
        ),
        *NPS_MEASURES,
    ),
)

NPS_BY_ACCOUNT = MartSpec(
    name="nps_by_account",
    grain=("account_id",),
    needs=("nps_responses",),
    description=(
        "B2B account-level NPS over the trailing 12 calendar months to the as-of date, one row "
        "per account that answered, rolled up three ways: every response (response-level), "
        "each contact's latest answer once (relationship), and responses weighted by the "
        "respondent's influence (C-level 3, senior manager 2.5, decision maker 2, influencer "
        "1.5, others 1). The account category follows the decision-weighted NPS: promoter "
        "above 0, detractor below 0, passive at 0."
    ),
    columns=(
        ("account_id", "VARCHAR", "CRM account identifier (the response's, else the contact's)."),
        ("name", "VARCHAR", "Account name; null if the account is not in the CRM."),
        ("region", "VARCHAR", "Sales region."),
        ("industry", "VARCHAR", "Industry."),
        (
            "revenue_tier",
            "VARCHAR",
            "SMB, mid-market or enterprise: the account's tier in marts.nps_answers (as of the "
            "as-of date), so the same accounts as the tiers of nps_by_segment.",
        ),
        ("arr", "DECIMAL(18,2)", "The account's ARR as of the as-of date (marts.nps_answers)."),
        ("responses", "BIGINT", "Responses of the account in the window."),
        ("promoters", "BIGINT", "Of those, scoring 9-10."),
        ("passives", "BIGINT", "Of those, scoring 7-8."),
        ("detractors", "BIGINT", "Of those, scoring 0-6."),
        (
            "nps_all_responses",
            "DOUBLE",
            "Response-level NPS: 100 x (promoters - detractors) / responses.",
        ),
        (
            "respondents",
            "BIGINT",
            "Distinct contacts who answered, plus each answer without a contact.",
        ),
        (
            "nps_latest_per_contact",
            "DOUBLE",
            "NPS over each respondent's latest answer in the window, counted once.",
        ),
        ("mean_score", "DOUBLE", "Average 0-10 score of the responses."),
        (
            "nps_decision_weighted",
            "DOUBLE",
            "100 x (sum of promoter weights - sum of detractor weights) / sum of weights, each "
            "response weighted by influence_weight() of its respondent's influence level.",
        ),
        (
            "account_category",
            "VARCHAR",
            "promoter (decision-weighted NPS > 0), detractor (< 0) or passive (= 0).",
        ),
        ("last_response_on", "DATE", "Day of the account's latest response in the window."),
        (
            "low_sample",
            "BOOLEAN",
            "True when responses are below the low-sample threshold (default 30).",
        ),
    ),
)

DETRACTOR_FOLLOWUP = MartSpec(
    name="detractor_followup",
    grain=("response_id",),
    needs=("nps_responses",),
    description=(
        "Closed-loop work list: every detractor answer (0-6) of the 90 days to the as-of date, "
        "with the account, its ARR, the respondent's influence level, the comment and the "
        "account's open tickets. Work it by followup_rank: biggest ARR first, then newest."
    ),
    columns=(
        (
            "followup_rank",
            "BIGINT",
            "Order to follow up in: 1 first; ARR descending (none last), then newest answer.",
        ),
        ("response_id", "VARCHAR", "Survey response identifier."),
        ("submitted_on", "DATE", "Day the answer was submitted (reporting timezone)."),
        ("account_id", "VARCHAR", "The response's account, else the respondent's account."),
        ("account_name", "VARCHAR", "Account name."),
        ("region", "VARCHAR", "Sales region."),
        ("revenue_tier", "VARCHAR", "The account's revenue tier (marts.nps_answers)."),
        ("arr", "DECIMAL(18,2)", "The account's ARR as of the as-of date (marts.nps_answers)."),
        ("contact_id", "VARCHAR", "Respondent (CRM contact id)."),
        (
            "influence_level",
            "VARCHAR",
            "Respondent's influence level from the job title; 'unknown' without a contact.",
        ),
        ("touchpoint", "VARCHAR", "Moment the survey was sent at; 'unknown' if missing."),
        ("score", "BIGINT", "Likelihood to recommend, 0-6."),
        ("comment", "VARCHAR", "The respondent's free-text answer to 'why?'."),
        (
            "open_tickets",
            "BIGINT",
            "Support tickets of the account with status new, open or pending.",
        ),
    ),
    free_text=("comment",),
)

SPECS = (
    NPS_ANSWERS,
    NPS_BY_MONTH,
    NPS_BY_QUARTER,
    NPS_BY_SEGMENT,
    NPS_BY_ACCOUNT,
    DETRACTOR_FOLLOWUP,
)
