"""The survey program: invitations and who answers them (response rates, the non-responders'
profile), and NPS weighted to the customer base by raking."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import polars as pl

from cx_pipeline import catalog
from cx_pipeline.marts.weighting import (
    effective_sample_size,
    kish_design_effect,
    rake,
)

# The customer base on each base day: the accounts active that day, with their region and the
# revenue tier of 12 x their MRR that day (the rule nps_answers applies on the answer day).
BASE_SQL = """
-- The accounts active on each base day, with the tier every answer carries (marts.account_revenue,
-- the one revenue rule), so answers and base are split by the same rule.
WITH days AS (
    SELECT CAST(unnest($days) AS DATE) AS base_day
),
active AS (
    SELECT DISTINCT d.base_day, s.account_id
    FROM days AS d
    JOIN marts.subscription_days AS s ON active_on(s.start_day, s.end_day, d.base_day)
)
SELECT
    x.base_day,
    coalesce(a.region, 'unknown') AS region,
    coalesce(r.revenue_tier, 'unknown') AS revenue_tier
FROM active AS x
LEFT JOIN staging.accounts AS a ON a.account_id = x.account_id
LEFT JOIN marts.account_revenue AS r ON r.account_id = x.account_id
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
    base = con.execute(BASE_SQL, {"days": sorted({day for _, day in periods})}).pl()
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


# What each computed mart reads (checked on every build) and the
# function that computes it; its metadata is in sql/<name>.toml.
COMPUTED = {
    "nps_weighted": (
        (
            catalog.key("marts", "account_revenue"),
            catalog.key("marts", "nps_answers"),
            catalog.key("marts", "subscription_days"),
            catalog.key("staging", "accounts"),
        ),
        nps_weighted,
    ),
}
