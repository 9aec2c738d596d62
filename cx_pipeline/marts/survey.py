"""The survey program: invitations and who answers them (response rates, the non-responders'
profile), and NPS weighted to the customer base by raking."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import polars as pl

from cx_pipeline import catalog
from cx_pipeline.marts.builder import MartSpec
from cx_pipeline.marts.weighting import (
    WEIGHT_CAP,
    effective_sample_size,
    kish_design_effect,
    rake,
)

INVITATION_OUTCOMES = MartSpec(
    name="invitation_outcomes",
    grain=("invitation_id",),
    needs=("survey_invitations",),
    description=(
        "Every survey invitation sent up to the as-of date with what became of it (delivered, "
        "opened, answered, unsubscribed) and who it went to, taken on the day it was sent: "
        "revenue tier, the contact's product usage in the 30 days before and the category of "
        "their latest earlier NPS answer. The building block of response rates. Rules at the "
        "top of invitation_outcomes.sql."
    ),
    columns=(
        ("invitation_id", "VARCHAR", "Survey invitation identifier."),
        ("sent_day", "DATE", "Day it was sent, in the reporting timezone."),
        ("month", "DATE", "First day of its calendar month."),
        ("contact_id", "VARCHAR", "Invited contact (resolved by id or e-mail); null if unknown."),
        ("account_id", "VARCHAR", "The invitation's account, else the contact's."),
        ("survey_id", "VARCHAR", "Survey or campaign; 'unknown' if missing."),
        ("touchpoint", "VARCHAR", "Moment the survey was sent at; 'unknown' if missing."),
        ("channel", "VARCHAR", "email, sms, in_app, web or link; 'unknown' if missing."),
        ("region", "VARCHAR", "The account's sales region."),
        ("revenue_tier", "VARCHAR", "Revenue tier on the sent day (the rule of nps_answers)."),
        ("delivered", "BOOLEAN", "Not bounced."),
        ("opened", "BOOLEAN", "Opened, or answered (an answer implies an open)."),
        ("answered", "BOOLEAN", "It brought an answer (carries a response_id)."),
        ("unsubscribed", "BOOLEAN", "The person opted out of surveys from it."),
        ("response_id", "VARCHAR", "The answer it brought; null if none."),
        (
            "events_30d_before",
            "BIGINT",
            "The contact's product events in the 30 days before the sent day; null without "
            "product analytics or a contact.",
        ),
        (
            "last_nps_category",
            "VARCHAR",
            "promoter, passive or detractor: the contact's latest answer before the invitation; "
            "'unknown' if none.",
        ),
    ),
)

SURVEY_RESPONSE_RATES = MartSpec(
    name="survey_response_rates",
    grain=("month", "segment_type", "segment"),
    grain_nulls=("month",),
    description=(
        "Survey response rates per month of sending (a row with a null month pools every "
        "month) and segment: survey, touchpoint, channel, the account's region and revenue tier "
        "on the sent day, and the category of the contact's latest earlier NPS answer (do "
        "detractors answer less?). Rates are over delivered invitations (sent minus bounced). "
        "Recent invitations may still be answered."
    ),
    columns=(
        ("month", "DATE", "First day of the month the invitations were sent; null = all months."),
        (
            "segment_type",
            "VARCHAR",
            "all, survey, touchpoint, channel, region, revenue_tier or last_nps_category.",
        ),
        ("segment", "VARCHAR", "The segment's value, e.g. 'email', 'EMEA' or 'detractor'."),
        ("sent", "BIGINT", "Invitations sent."),
        ("bounced", "BIGINT", "Of those, bounced (never delivered)."),
        ("delivered", "BIGINT", "sent - bounced: the base of every rate."),
        ("opened", "BIGINT", "Delivered invitations opened or answered."),
        ("answered", "BIGINT", "Delivered invitations that brought an answer."),
        ("unsubscribed", "BIGINT", "Delivered invitations whose recipient opted out."),
        ("response_rate_pct", "DOUBLE", "100 x answered / delivered; null if none delivered."),
        ("open_rate_pct", "DOUBLE", "100 x opened / delivered; null if none delivered."),
        (
            "unsubscribe_rate_pct",
            "DOUBLE",
            "100 x unsubscribed / delivered; null if none delivered.",
        ),
    ),
)

SURVEY_NONRESPONSE_PROFILE = MartSpec(
    name="survey_nonresponse_profile",
    grain=("respondent_group",),
    description=(
        "Responders against non-responders: the delivered invitations up to the as-of date, "
        "split by whether they were answered, each profiled on its sent day (revenue tier mix, "
        "the contact's product usage in the 30 days before, and the NPS of the contact's latest "
        "earlier answer where known). Lower earlier NPS among non-responders means detractors "
        "are under-represented in today's answers."
    ),
    columns=(
        ("respondent_group", "VARCHAR", "responders or non-responders."),
        ("invitations", "BIGINT", "Delivered invitations in the group."),
        ("smb_pct", "DOUBLE", "Share of them to SMB accounts, %."),
        ("mid_market_pct", "DOUBLE", "Share to mid-market accounts, %."),
        ("enterprise_pct", "DOUBLE", "Share to enterprise accounts, % (the rest: unknown)."),
        (
            "avg_events_30d_before",
            "DOUBLE",
            "Mean product events of the contact in the 30 days before the invitation; null "
            "without product analytics.",
        ),
        (
            "active_30d_before_pct",
            "DOUBLE",
            "Share with at least one event in those 30 days, % of those with usage data.",
        ),
        ("with_earlier_answer", "BIGINT", "Invitations whose contact had answered before."),
        ("earlier_promoters", "BIGINT", "Of those, whose latest earlier answer was 9-10."),
        ("earlier_passives", "BIGINT", "Of those, 7-8."),
        ("earlier_detractors", "BIGINT", "Of those, 0-6."),
        (
            "earlier_detractor_pct",
            "DOUBLE",
            "100 x earlier_detractors / with_earlier_answer; null if none answered before.",
        ),
        (
            "earlier_nps",
            "DOUBLE",
            "NPS of those latest earlier answers; null if none answered before.",
        ),
    ),
)

NPS_WEIGHTED = MartSpec(
    name="nps_weighted",
    grain=("month",),
    grain_nulls=("month",),
    description=(
        "NPS weighted to the customer base beside the unweighted figure, per calendar month of "
        "the trailing 12 months (a row with a null month pools them, weighted to the base on "
        "the as-of date). The answers (marts.nps_answers) are raked (iterative proportional "
        "fitting) so that their mix of account region and of revenue tier matches the active "
        "accounts' on the base day (each account counts once), each weight capped at "
        f"{WEIGHT_CAP:g} x the mean. Answers from a region or tier the base does not have get "
        "no weight; a base category without answers is left out of the targets "
        "(margins_dropped). With Kish's design effect, the effective sample size and the "
        "adjusted-Wald margin of error of the weighted NPS on that effective size."
    ),
    columns=(
        ("month", "DATE", "First day of the calendar month; null = the trailing 12 months."),
        (
            "base_day",
            "DATE",
            "Day whose active accounts are the targets: the month's last day (the as-of date "
            "for the current month and the pooled row).",
        ),
        ("active_accounts", "BIGINT", "Accounts active on the base day."),
        ("responses", "BIGINT", "NPS answers in the period (n)."),
        ("nps", "DOUBLE", "Unweighted NPS: 100 x (promoters - detractors) / n."),
        ("nps_moe_95", "DOUBLE", "95% margin of error of the unweighted NPS (adjusted Wald)."),
        (
            "responses_weighted",
            "BIGINT",
            "Answers with a weight: their region and revenue tier are in the base.",
        ),
        (
            "weighted_nps",
            "DOUBLE",
            "100 x (sum of promoter weights - sum of detractor weights) / sum of weights; null "
            "without weighted answers.",
        ),
        (
            "design_effect",
            "DOUBLE",
            "Kish's design effect of the weights: n x sum(w^2) / sum(w)^2 (1 = equal weights).",
        ),
        (
            "effective_responses",
            "DOUBLE",
            "sum(w)^2 / sum(w^2) = responses_weighted / design_effect.",
        ),
        (
            "weighted_nps_moe_95",
            "DOUBLE",
            "95% margin of error of the weighted NPS: nps_moe_95() (adjusted Wald) of the "
            "weighted promoter and detractor shares times the effective sample size.",
        ),
        ("weighted_nps_low", "DOUBLE", "weighted_nps - weighted_nps_moe_95, at least -100."),
        ("weighted_nps_high", "DOUBLE", "weighted_nps + weighted_nps_moe_95, at most 100."),
        ("max_weight", "DOUBLE", "Largest weight (the mean weight is 1)."),
        ("weights_capped", "BIGINT", f"Answers whose weight was capped at {WEIGHT_CAP:g}."),
        (
            "raking_converged",
            "BOOLEAN",
            "True when the weighted mixes match the base's within 1e-9 with the cap holding.",
        ),
        (
            "margins_dropped",
            "VARCHAR",
            "Base categories without any answer, left out of the targets (region=LATAM...).",
        ),
        (
            "low_sample",
            "BOOLEAN",
            "True when effective_responses is below the low-sample threshold (default 30).",
        ),
    ),
    deps=(
        catalog.key("marts", "nps_answers"),
        catalog.key("marts", "subscription_days"),
        catalog.key("staging", "accounts"),
    ),
)

# The customer base on each base day: the accounts active that day, with their region and the
# revenue tier of 12 x their MRR that day (the rule nps_answers applies on the answer day).
BASE_SQL = """
WITH days AS (
    SELECT CAST(unnest($days) AS DATE) AS base_day
),
active AS (
    SELECT d.base_day, s.account_id, 12 * sum(s.mrr) AS arr
    FROM days AS d
    JOIN marts.subscription_days AS s ON active_on(s.start_day, s.end_day, d.base_day)
    GROUP BY d.base_day, s.account_id
)
SELECT
    x.base_day,
    coalesce(a.region, 'unknown') AS region,
    CASE WHEN a.account_id IS NULL THEN 'unknown'
         ELSE revenue_tier(x.arr, $mid_market_from, $enterprise_from)
    END AS revenue_tier
FROM active AS x
LEFT JOIN staging.accounts AS a ON a.account_id = x.account_id
"""

ANSWERS_SQL = """
SELECT month, region, revenue_tier, category
FROM marts.nps_answers
WHERE submitted_day >= trailing_12_months_start($as_of) AND submitted_day <= $as_of
"""

MARGINS = ("region", "revenue_tier")


def _months(as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(month, base day) of the trailing 12 months: each month's last day, the as-of date for
    its own month."""
    rows = []
    for back in range(11, -1, -1):
        year, month = divmod(as_of.year * 12 + as_of.month - 1 - back, 12)
        first = dt.date(year, month + 1, 1)
        next_first = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
        rows.append((first, min(next_first - dt.timedelta(days=1), as_of)))
    return rows


def _row(
    con: duckdb.DuckDBPyConnection,
    answers: pl.DataFrame,
    base: pl.DataFrame,
    low_sample: int,
) -> dict[str, Any]:
    """One period's unweighted and raked NPS."""
    targets = [dict(base.group_by(m).len().iter_rows()) for m in MARGINS]
    raking = rake([answers[m].to_list() for m in MARGINS], targets, MARGINS)
    w = raking.weights
    promoter = (answers["category"] == "promoter").to_numpy()
    detractor = (answers["category"] == "detractor").to_numpy()
    n_eff = effective_sample_size(w)
    shares = (
        (float(w[promoter].sum() / w.sum()), float(w[detractor].sum() / w.sum()))
        if n_eff
        else (None, None)
    )
    nps, moe, weighted_moe = con.execute(
        "SELECT nps($p, $d, $n), nps_moe_95($p, $d, $n), "
        "nps_moe_95($pw * $neff, $dw * $neff, $neff)",
        {
            "p": int(promoter.sum()),
            "d": int(detractor.sum()),
            "n": answers.height,
            "pw": shares[0],
            "dw": shares[1],
            "neff": n_eff,
        },
    ).fetchone()
    weighted = 100.0 * (shares[0] - shares[1]) if n_eff else None
    return {
        "active_accounts": base.height,
        "responses": answers.height,
        "nps": nps,
        "nps_moe_95": moe,
        "responses_weighted": int((w > 0).sum()),
        "weighted_nps": weighted,
        "design_effect": kish_design_effect(w),
        "effective_responses": n_eff,
        "weighted_nps_moe_95": weighted_moe,
        "weighted_nps_low": max(-100.0, weighted - weighted_moe) if n_eff else None,
        "weighted_nps_high": min(100.0, weighted + weighted_moe) if n_eff else None,
        "max_weight": float(w.max()) if n_eff else None,
        "weights_capped": raking.capped,
        "raking_converged": raking.converged if n_eff else None,
        "margins_dropped": ", ".join(raking.dropped) or None,
        "low_sample": n_eff is None or n_eff < low_sample,
    }


def nps_weighted(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> pl.DataFrame:
    as_of = parameters["as_of"]
    periods = [*_months(as_of), (None, as_of)]
    answers = con.execute(ANSWERS_SQL, {"as_of": as_of}).pl()
    base = con.execute(
        BASE_SQL,
        {
            "days": sorted({day for _, day in periods}),
            "mid_market_from": parameters["mid_market_from"],
            "enterprise_from": parameters["enterprise_from"],
        },
    ).pl()
    rows = []
    for month, day in periods:
        in_period = answers if month is None else answers.filter(pl.col("month") == month)
        rows.append(
            {
                "month": month,
                "base_day": day,
                **_row(
                    con,
                    in_period,
                    base.filter(pl.col("base_day") == day),
                    parameters["low_sample"],
                ),
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


SQL_SPECS = (INVITATION_OUTCOMES, SURVEY_RESPONSE_RATES, SURVEY_NONRESPONSE_PROFILE)
COMPUTED = ((NPS_WEIGHTED, nps_weighted),)
