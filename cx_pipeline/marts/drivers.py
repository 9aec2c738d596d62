"""Why scores move: key-driver analysis of NPS and of churn.

Features come from SQL (account_features.sql: what was known about an account at the end of a
day, nothing after it); the regressions run here (regression.py). Each driver's effect is net of
all the others, with a 95% confidence interval and a p-value. One analysis tests some twenty
drivers at once, so a driver is significant only on its p-value adjusted for all of them (Holm);
drivers that are not significant are shown as such and not ranked. The significant ones are
placed on an importance-performance grid (Martilla & James): importance is the effect of a
one-standard-deviation change, performance the share of today's active accounts on the
favourable side of the driver; a driver more important and less well performed than the
average significant driver is a priority.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import polars as pl

from cx_pipeline import catalog
from cx_pipeline.marts.builder import load_spec
from cx_pipeline.marts.regression import SIGNIFICANCE_LEVEL, Driver, design, fit_drivers


def _log1p(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Float64).log1p()


SUPPORT_DRIVERS: tuple[Driver, ...] = (
    Driver(
        "slow_first_response",
        "support",
        "flag",
        pl.col("slow_first_response"),
        "Median first response of the tickets of the last 180 days over 24 hours.",
    ),
    Driver(
        "no_answered_tickets",
        "support",
        "flag",
        pl.col("answered_tickets_180d") == 0,
        "No ticket created and answered in the last 180 days.",
    ),
    Driver(
        "log_resolution_hours",
        "support",
        "numeric",
        _log1p("median_resolution_hours_180d"),
        "ln(1 + median hours to resolution), tickets of the last 180 days (mean if none).",
        impute_mean=True,
    ),
    Driver(
        "tickets_90d",
        "support",
        "numeric",
        pl.col("tickets_90d"),
        "Tickets created in the last 90 days.",
    ),
    Driver(
        "escalations_90d",
        "support",
        "numeric",
        pl.col("escalations_90d"),
        "High or urgent tickets created in the last 90 days.",
    ),
    Driver(
        "avg_csat_180d",
        "support",
        "numeric",
        pl.col("avg_csat_180d"),
        "Average CSAT (1-5) of tickets solved in the last 180 days (mean if none).",
        impute_mean=True,
    ),
)
USAGE_DRIVERS: tuple[Driver, ...] = (
    Driver(
        "log_events_per_user",
        "usage",
        "numeric",
        _log1p("events_per_active_user_30d"),
        "ln(1 + product events per active user in the last 30 days): usage intensity.",
    ),
    Driver(
        "usage_fell",
        "usage",
        "flag",
        pl.col("usage_fell"),
        "A new usage drop against the account's own 90-day baseline (usage_fell, rules.sql).",
    ),
    Driver(
        "features_used_30d",
        "usage",
        "numeric",
        pl.col("features_used_30d"),
        "Distinct features (event names) used in the last 30 days: feature breadth.",
    ),
)
ACCOUNT_DRIVERS: tuple[Driver, ...] = (
    Driver(
        "tenure_years",
        "account",
        "numeric",
        pl.col("tenure_months").cast(pl.Float64) / 12,
        "Years as a customer.",
    ),
    Driver(
        "plan",
        "account",
        "category",
        pl.col("plan"),
        "Plan of the Core subscription, against Starter.",
        reference="Starter",
    ),
    Driver(
        "products_active",
        "account",
        "numeric",
        pl.col("products_active"),
        "Products subscribed.",
    ),
    Driver(
        "region",
        "account",
        "category",
        pl.col("region"),
        "Sales region, against North America.",
        reference="North America",
    ),
    Driver(
        "log_employees",
        "account",
        "numeric",
        pl.col("employees").cast(pl.Float64).log(),
        "ln(employees): company size.",
        impute_mean=True,
    ),
)
NPS_DRIVERS: tuple[Driver, ...] = (
    *SUPPORT_DRIVERS,
    *USAGE_DRIVERS,
    *ACCOUNT_DRIVERS,
    Driver(
        "influence_level",
        "respondent",
        "category",
        pl.col("influence_level"),
        "The respondent's influence level, against end users.",
        reference="end_user",
    ),
)
# A booked cancellation (account_segments.cancels_on) is not a churn driver: past cut-off days
# cannot know when an end date was recorded, so the training months would never show one and
# the model could not learn it out of time. The ranking puts those accounts first instead.
CHURN_DRIVERS: tuple[Driver, ...] = (
    *SUPPORT_DRIVERS,
    *USAGE_DRIVERS,
    Driver(
        "detractor_last_30d",
        "voice",
        "flag",
        pl.col("detractor_last_30d"),
        "A detractor answer (0-6) in the last 30 days.",
    ),
    *ACCOUNT_DRIVERS,
)


# Below this many rows (or outcome events, for churn) a regression says nothing: the mart stays
# empty rather than printing noise (the tiny hand-computed fixtures land here).
MIN_ROWS = 50
MIN_EVENTS = 10
# Above this many rows a fit reads a fixed sample of whole accounts (by a hash of the id), so
# memory stays bounded on large warehouses; estimates are then from that sample.
MAX_FIT_ROWS = 400_000

QUADRANTS = {
    (True, True): "priority",
    (True, False): "keep up",
    (False, True): "low priority",
    (False, False): "possible overkill",
}


def driver_table(
    sample: pl.DataFrame,
    current: pl.DataFrame,
    drivers: Sequence[Driver],
    outcome: str,
    logistic: bool,
) -> pl.DataFrame:
    """The driver mart rows: estimates, significance, importance, performance, quadrant."""
    columns = [c for c, _, _ in load_spec("nps_drivers").columns]
    events = int(sample[outcome].cast(pl.Int64).sum()) if logistic and sample.height else None
    if sample.height < MIN_ROWS or (events is not None and events < MIN_EVENTS):
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.Null))
    estimates, fitted = fit_drivers(sample, drivers, outcome, "account_id", logistic)
    by_name = {d.name: d for d in drivers}
    sample_values = fitted.matrix
    today = design(current, drivers, fitted).matrix  # today's accounts, encoded the same way
    # The family of the multiplicity adjustment: every driver of this analysis, one p-value each
    # (a category's joint test counts once). The flag and the rank use the adjusted p-value.
    driver_p = {e.driver: e.driver_p_value for e in estimates}
    holm = dict(zip(driver_p, holm_adjusted(list(driver_p.values())), strict=True))
    rows: list[dict[str, Any]] = []
    for e in estimates:
        d = by_name[e.driver]
        significant = holm[e.driver] < SIGNIFICANCE_LEVEL and e.p_value < SIGNIFICANCE_LEVEL
        # Favourable: NPS up, churn down.
        helps = (e.coefficient > 0) != logistic
        values = today[e.term].to_numpy()
        if d.kind == "numeric":
            median = float(np.median(sample_values[e.term]))
            favourable = values >= median if helps else values <= median
        else:
            favourable = values == (1.0 if helps else 0.0)
        effect = np.exp if logistic else (lambda v: v)
        rows.append(
            {
                "driver": e.driver,
                "term": e.term,
                "driver_group": d.group,
                "kind": "level" if d.kind == "category" else d.kind,
                "description": (
                    f"{d.description} Level: {e.level}." if d.kind == "category" else d.description
                ),
                "effect": float(effect(e.coefficient)),
                "ci_low": float(effect(e.ci_low)),
                "ci_high": float(effect(e.ci_high)),
                "p_value": e.p_value,
                "driver_p_value": e.driver_p_value,
                "driver_p_value_holm": holm[e.driver],
                "significant": significant,
                "importance": abs(e.coefficient) * e.sd if significant else None,
                # A respondent's trait has no value for an account: no performance.
                "performance_pct": (
                    100.0 * float(favourable.mean())
                    if values.size and d.group != "respondent"
                    else None
                ),
                "observations": sample.height,
                "accounts": sample["account_id"].n_unique(),
            }
        )
    significant = [r for r in rows if r["significant"]]
    ranked = sorted(significant, key=lambda r: -r["importance"])
    placed = [r for r in significant if r["performance_pct"] is not None]
    if placed:
        mean_importance = np.mean([r["importance"] for r in placed])
        mean_performance = np.mean([r["performance_pct"] for r in placed])
    for row in rows:
        row["importance_rank"] = ranked.index(row) + 1 if row["significant"] else None
        if not row["significant"]:
            row["quadrant"] = "not significant"
        elif row["performance_pct"] is None:
            row["quadrant"] = "respondent trait"
        else:
            row["quadrant"] = QUADRANTS[
                (
                    bool(row["importance"] >= mean_importance),
                    bool(row["performance_pct"] < mean_performance),
                )
            ]
    return (
        pl.DataFrame(rows, infer_schema_length=None)
        .sort(["importance_rank", "driver_p_value_holm", "driver_p_value"], nulls_last=True)
        .select(columns)
    )


def holm_adjusted(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (holm_step in rules.sql, in Python): the k-th smallest of m
    p-values becomes min(1, (m - k + 1) x p), then the running maximum in that order, so every
    table that adjusts (drivers here, NPS changes in SQL) follows the same written-out rule."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - k) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return con.execute(sql).pl()


def fit_sample(con: duckdb.DuckDBPyConnection, table: str, where: str = "true") -> pl.DataFrame:
    """Rows of marts.<table> to fit on: all of them, or whole accounts picked by a hash of their
    id when there are more than MAX_FIT_ROWS (the same accounts on every run)."""
    rows = con.execute(f"SELECT count(*) FROM marts.{table} WHERE {where}").fetchone()[0]
    if rows <= MAX_FIT_ROWS:
        return _frame(con, f"SELECT * FROM marts.{table} WHERE {where}")
    per_mille = max(1, MAX_FIT_ROWS * 1000 // rows)
    return con.execute(
        f"SELECT * FROM marts.{table} WHERE {where} AND hash(account_id) % 1000 < $keep",
        {"keep": per_mille},
    ).pl()


def nps_drivers(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> pl.DataFrame:
    sample = fit_sample(con, "nps_driver_answers")
    current = _frame(con, "SELECT * FROM marts.churn_examples WHERE outcome_month IS NULL")
    current = current.with_columns(influence_level=pl.lit(None, dtype=pl.String))
    return driver_table(sample, current, NPS_DRIVERS, "nps_points", logistic=False)


def churn_drivers(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> pl.DataFrame:
    sample = fit_sample(con, "churn_examples", "lost IS NOT NULL")
    current = _frame(con, "SELECT * FROM marts.churn_examples WHERE outcome_month IS NULL")
    return driver_table(sample, current, CHURN_DRIVERS, "lost", logistic=True)


# What each computed mart reads (checked on every build) and the
# function that computes it; its metadata is in sql/<name>.toml.
COMPUTED = {
    "nps_drivers": (
        (catalog.key("marts", "nps_driver_answers"), catalog.key("marts", "churn_examples")),
        nps_drivers,
    ),
    "churn_drivers": ((catalog.key("marts", "churn_examples"),), churn_drivers),
}
