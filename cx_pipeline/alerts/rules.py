"""What deserves an alert, each rule once: from a failed run's events, from the warehouse after
a successful run, and from the instance's record of when each mart was last rebuilt.

Warehouse rules read the marts that already state the business rule (NPS change with its Holm
p-value in marts.nps_by_month, churn in marts.churn_by_month, bands in marts.nps_answers, health
in marts.account_health_history) and add only the threshold; thresholds come from the alerts
file (config.Rules)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb

from cx_pipeline.alerts.config import Rules
from cx_pipeline.alerts.message import Alert
from cx_pipeline.partitions import RANGE_END, RANGE_START
from cx_pipeline.run_summary import check_reason

# ---- runs --------------------------------------------------------------------------------------

# What Dagster raises in a step whose blocking check failed with ERROR severity.
BLOCKING_CHECK_FAILED = "DagsterAssetCheckFailedError"


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def _run_where(run: dg.DagsterRun) -> str:
    tags = run.tags
    if RANGE_START in tags:
        days = f"delivery days {tags[RANGE_START]} to {tags.get(RANGE_END, tags[RANGE_START])}"
    elif "dagster/partition" in tags:
        days = f"delivery day {tags['dagster/partition']}"
    else:
        days = "no partition"
    return f"Dagster run {run.run_id} of job {run.job_name} ({days})"


def _rerun(run: dg.DagsterRun) -> str:
    tags = run.tags
    first = tags.get(RANGE_START) or tags.get("dagster/partition")
    last = tags.get(RANGE_END) or first
    if first:
        return (
            f"re-execute the run in the Dagster UI, or `cx-pipeline run --from {first} --to {last}`"
        )
    return "re-execute the run in the Dagster UI"


def _check_alert(run: dg.DagsterRun, evaluation: dg.AssetCheckEvaluation) -> Alert:
    asset = evaluation.asset_key.to_user_string()
    blocked = (
        "What depends on the asset was not rebuilt: the marts still show the last good data. "
        if run.status == dg.DagsterRunStatus.FAILURE
        else "The run went on (the check does not block): read the marts built on it with care. "
    )
    return Alert(
        kind="check_failed",
        subject=f"{asset}:{evaluation.check_name}",
        what=f"check {evaluation.check_name} of {asset} failed: {check_reason(evaluation)}",
        where=f"{_run_where(run)}; asset {asset}, Checks tab",
        todo=(
            "Open the check in the Dagster UI for what failed and sample rows. "
            + blocked
            + "Have the source fix and re-deliver the file, or fix the cause named, then "
            f"re-run: {_rerun(run)}."
        ),
        details={"run_id": run.run_id, "asset": asset, "check": evaluation.check_name},
    )


def failed_check_alerts(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[Alert]:
    """One alert per check of ERROR severity that failed in the run (blocking or not)."""
    records = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    return [
        _check_alert(run, evaluation)
        for record in records
        if record.dagster_event is not None
        and not (evaluation := record.dagster_event.event_specific_data).passed
        and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]


def run_failure_alerts(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[Alert]:
    """A failed run: one alert per failed ERROR-severity check (a blocking check fails its
    asset's step, so the run fails), and one for the steps that failed for another reason."""
    alerts = failed_check_alerts(instance, run)
    failures = []
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        if record.dagster_event is None:
            continue
        error = record.dagster_event.event_specific_data.error
        # A step failed by its own blocking check is told by the check's alert.
        if error is not None and error.cls_name == BLOCKING_CHECK_FAILED:
            continue
        # Dagster wraps what the step raised: the innermost cause says what went wrong.
        while error is not None and error.cause is not None:
            error = error.cause
        step = record.dagster_event.step_key or ""
        failures.append((step, _one_line(error.message) if error else ""))
    if failures or not alerts:
        first_step, first_message = failures[0] if failures else ("", "")
        alerts.append(
            Alert(
                kind="run_failed",
                subject=f"{run.job_name}:{first_step}:{first_message[:120]}",
                what=f"run of {run.job_name} failed"
                + (f" in step {first_step}: {first_message}" if first_step else ""),
                where=_run_where(run)
                + (
                    f"; also failed: {', '.join(s for s, _ in failures[1:])}"
                    if len(failures) > 1
                    else ""
                ),
                todo=(
                    "Read the failed step's error in the run's log (Dagster UI, Runs). A file "
                    "fault names the file and what is wrong with it; a locked warehouse names the "
                    f"process holding it. Fix the cause, then re-run: {_rerun(run)}."
                ),
                details={
                    "run_id": run.run_id,
                    "job": run.job_name,
                    "failed_steps": [{"step": s, "error": m} for s, m in failures],
                },
            )
        )
    return alerts


# ---- marts ---------------------------------------------------------------------------------


def stale_marts(
    instance: dg.DagsterInstance, graph: dg.AssetGraph | object, now: float
) -> list[Alert]:
    """Marts last rebuilt longer ago than their freshness policy's fail window (a mart never
    built is not stale: it was never there)."""
    policies = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        window = getattr(node.freshness_policy, "fail_window", None)
        if key.path[0] == "marts" and window is not None:
            policies[key] = window.to_timedelta().total_seconds()
    stale = []
    for record in instance.get_asset_records(list(policies)):
        entry = record.asset_entry
        last = entry.last_materialization
        if last is not None and now - last.timestamp > policies[entry.asset_key]:
            stale.append((entry.asset_key.to_user_string(), last.timestamp))
    if not stale:
        return []
    stale.sort(key=lambda s: s[1])
    oldest = dt.datetime.fromtimestamp(stale[0][1], dt.UTC)
    hours = (now - stale[0][1]) / 3600
    names = ", ".join(name for name, _ in stale[:10]) + (" ..." if len(stale) > 10 else "")
    return [
        Alert(
            kind="mart_stale",
            subject="marts",
            what=f"{len(stale)} mart(s) not rebuilt for {hours:.0f} hours "
            f"(oldest since {oldest:%Y-%m-%d %H:%M} UTC)",
            where=f"warehouse marts: {names}",
            todo=(
                "Check that cx_daily_schedule (or new_delivery_sensor) is running and what the "
                "last cx_daily runs did (Dagster UI, Runs); a delivery may be missing or a "
                "blocking check may be holding the marts back. Then run `cx-pipeline run`."
            ),
            details={"marts": [name for name, _ in stale], "hours": round(hours, 1)},
        )
    ]


def _exists(con: duckdb.DuckDBPyConnection, *tables: str) -> bool:
    found = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database()"
        ).fetchall()
    }
    return all(t in found for t in tables)


def quarantine_jumps(con: duckdb.DuckDBPyConnection, rules: Rules) -> list[Alert]:
    """An entity whose latest delivery has a quarantined share this much above the average of
    its previous deliveries (the latest load of each delivery day, audit.loads)."""
    if not _exists(con, "audit.loads"):
        return []
    rows = con.execute(
        """
        WITH per_load AS (
            SELECT entity, delivery_date, load_id,
                   sum(rows_read) AS rows_read, sum(rows_quarantined) AS rows_quarantined,
                   max(finished_at) AS finished_at
            FROM audit.loads GROUP BY ALL
        ),
        loads AS (
            SELECT * FROM per_load
            QUALIFY row_number() OVER (
                PARTITION BY entity, delivery_date ORDER BY finished_at DESC) = 1
        ),
        deliveries AS (
            SELECT *, rows_quarantined / nullif(rows_read, 0) AS share,
                   row_number() OVER (PARTITION BY entity ORDER BY delivery_date DESC) AS age
            FROM loads
        )
        SELECT latest.entity, latest.delivery_date, latest.rows_read, latest.rows_quarantined,
               latest.share, avg(earlier.share) AS baseline, count(earlier.share) AS compared
        FROM deliveries AS latest
        JOIN deliveries AS earlier
          ON earlier.entity = latest.entity AND earlier.age BETWEEN 2 AND 1 + $baseline
        WHERE latest.age = 1
        GROUP BY ALL
        HAVING latest.rows_quarantined >= $min_rows
           AND latest.share - avg(earlier.share) >= $jump
        ORDER BY latest.entity
        """,
        {
            "baseline": rules.quarantine_baseline_deliveries,
            "min_rows": rules.quarantine_jump_min_rows,
            "jump": rules.quarantine_jump,
        },
    ).fetchall()
    alerts = []
    for entity, day, read, quarantined, share, baseline, compared in rows:
        source, name = entity.split(".", 1) if "." in entity else (entity, entity)
        alerts.append(
            Alert(
                kind="quarantine_jump",
                subject=f"{entity}:{day}",
                what=f"{100 * share:.1f}% of {source}'s {name} delivery of {day} quarantined "
                f"({quarantined} of {read} rows), up from {100 * baseline:.1f}% on average over "
                f"the {compared} previous deliveries",
                where=f"quarantine.{name} (rows of {source}/{day}/), audit.loads",
                todo=(
                    f"See which rules the rows broke (SELECT * FROM quarantine.{name} WHERE "
                    f"_source_file LIKE '%/{day}/%', or the quarantine_share check of raw/{name} "
                    "in the Dagster UI); usually a changed export at the source. Ask the source "
                    "to fix and re-deliver the day."
                ),
                details={
                    "entity": entity,
                    "delivery_date": str(day),
                    "rows_read": read,
                    "rows_quarantined": quarantined,
                    "share": share,
                    "baseline_share": baseline,
                },
            )
        )
    return alerts


def nps_drop(con: duckdb.DuckDBPyConnection, rules: Rules) -> list[Alert]:
    """The latest month with answers fell from the month before, significantly after the Holm
    adjustment marts.nps_by_month publishes."""
    if not _exists(con, "marts.nps_by_month"):
        return []
    row = con.execute(
        """
        SELECT month, nps, nps_change, nps_change_p_value_holm, responses
        FROM marts.nps_by_month
        WHERE responses > 0
        ORDER BY month DESC LIMIT 1
        """
    ).fetchone()
    if row is None:
        return []
    month, nps, change, p_holm, responses = row
    if change is None or change >= 0 or p_holm is None or p_holm >= _significance(con):
        return []
    return [
        Alert(
            kind="nps_drop",
            subject=f"{month}",
            what=f"NPS fell {-change:.1f} points in {month:%B %Y} to {nps:.1f} "
            f"(n = {responses}); significant after the Holm adjustment (p = {p_holm:.2g})",
            where=f"marts.nps_by_month, month {month}",
            todo=(
                "See which segments moved (marts.nps_by_segment), what detractors say "
                "(marts.voice_by_theme) and follow them up from marts.detractor_followup."
            ),
            details={"month": str(month), "nps": nps, "nps_change": change, "p_holm": p_holm},
        )
    ]


def _significance(con: duckdb.DuckDBPyConnection) -> float:
    """The level the marts flag significance at (significance_level() in rules.sql)."""
    return con.execute("SELECT significance_level()").fetchone()[0]


def churn_spike(con: duckdb.DuckDBPyConnection, rules: Rules) -> list[Alert]:
    """The latest complete month's logo churn is over the target."""
    if not _exists(con, "marts.churn_by_month"):
        return []
    target = rules.churn_target_pct
    source = "churn_target_pct in the alerts file"
    if target is None:
        if not _exists(con, "raw.industry_benchmarks"):
            return []
        found = con.execute(
            "SELECT max(CAST(value AS DOUBLE)) FROM raw.industry_benchmarks "
            "WHERE kind = 'target' AND metric = 'monthly_logo_churn_pct' AND industry = 'all'"
        ).fetchone()
        target = found[0] if found else None
        source = "the seed target in industry_benchmarks.csv"
    if target is None:
        return []
    row = con.execute(
        """
        SELECT month, customers_at_start, customers_lost, churn_rate_pct
        FROM marts.churn_by_month WHERE churn_rate_pct IS NOT NULL
        ORDER BY month DESC LIMIT 1
        """
    ).fetchone()
    if row is None or row[3] <= target:
        return []
    month, at_start, lost, rate = row
    return [
        Alert(
            kind="churn_spike",
            subject=f"{month}",
            what=f"logo churn was {rate:.1f}% in {month:%B %Y} ({lost} of {at_start} "
            f"accounts lost), over the {target:g}% target ({source})",
            where=f"marts.churn_by_month, month {month}",
            todo=(
                "See which segments lost accounts (marts.churn_by_segment), the MRR it cost "
                "(marts.mrr_movements) and the cancel reasons; check the accounts at risk now "
                "(marts.account_health)."
            ),
            details={"month": str(month), "churn_rate_pct": rate, "target_pct": target},
        )
    ]


def promoters_turned_detractors(con: duckdb.DuckDBPyConnection, rules: Rules) -> list[Alert]:
    """A contact at a high-value account (its tier in marts.nps_answers) whose latest answer, in
    the lookback window before the newest answer of all, is a detractor's and whose answer
    before it was a promoter's."""
    if not _exists(con, "marts.nps_answers", "marts.account_segments"):
        return []
    rows = con.execute(
        """
        WITH answers AS (
            SELECT
                response_id, contact_id, account_id, submitted_day, score, category,
                revenue_tier,
                lag(category) OVER by_contact AS previous_category,
                lag(score) OVER by_contact AS previous_score,
                lag(submitted_day) OVER by_contact AS previous_day,
                row_number() OVER (
                    PARTITION BY contact_id ORDER BY submitted_at DESC, response_id DESC
                ) AS newest
            FROM marts.nps_answers
            WHERE contact_id IS NOT NULL
            WINDOW by_contact AS (PARTITION BY contact_id ORDER BY submitted_at, response_id)
        )
        SELECT a.response_id, a.contact_id, a.account_id, s.name, a.revenue_tier,
               a.submitted_day, a.score, a.previous_day, a.previous_score
        FROM answers AS a
        LEFT JOIN marts.account_segments AS s USING (account_id)
        WHERE a.newest = 1
          AND a.category = 'detractor'
          AND a.previous_category = 'promoter'
          AND list_contains($tiers, a.revenue_tier)
          AND a.submitted_day > (SELECT max(submitted_day) FROM marts.nps_answers) - $days
        ORDER BY a.submitted_day DESC, a.response_id
        """,
        {"tiers": rules.high_value_tiers, "days": rules.detractor_lookback_days},
    ).fetchall()
    return [
        Alert(
            kind="promoter_turned_detractor",
            # The answer alone names it: the ledger keeps its keys for good, and an erasure
            # cannot reach them, so no contact id goes in.
            subject=f"{response}",
            what=f"a promoter at {name or account} ({tier}) turned detractor: scored "
            f"{score} on {day}, after {previous_score} on {previous_day}",
            where=f"marts.nps_answers, response {response} of contact {contact} "
            f"(account {account})",
            todo=(
                "Call the contact within days (the answer's comment and the account's open "
                "tickets are in marts.detractor_followup); tell the account owner."
            ),
            details={
                "response_id": response,
                "contact_id": contact,
                "account_id": account,
                "score": score,
                "previous_score": previous_score,
            },
        )
        for (
            response,
            contact,
            account,
            name,
            tier,
            day,
            score,
            previous_day,
            previous_score,
        ) in rows
    ]


def health_falls(con: duckdb.DuckDBPyConnection, rules: Rules) -> list[Alert]:
    """One of the top accounts by MRR whose health score on the as-of date is this many points
    below its previous evaluation (the last complete month's end)."""
    if not _exists(con, "marts.account_health", "marts.account_health_history"):
        return []
    rows = con.execute(
        """
        WITH top AS (
            SELECT account_id, name, revenue_tier, mrr, health_score, health_band
            FROM marts.account_health
            ORDER BY mrr DESC NULLS LAST, account_id
            LIMIT $top
        ),
        as_of AS (SELECT max(evaluated_on) AS day FROM marts.account_health_history),
        previous AS (
            SELECT h.account_id, h.evaluated_on, h.health_score, h.health_band
            FROM marts.account_health_history AS h, as_of
            WHERE h.evaluated_on < as_of.day
            QUALIFY row_number() OVER (PARTITION BY h.account_id ORDER BY h.evaluated_on DESC) = 1
        )
        SELECT t.account_id, t.name, t.revenue_tier, t.mrr, t.health_score, t.health_band,
               p.evaluated_on, p.health_score, p.health_band, (SELECT day FROM as_of)
        FROM top AS t
        JOIN previous AS p USING (account_id)
        WHERE p.health_score - t.health_score >= $drop
        ORDER BY t.mrr DESC, t.account_id
        """,
        {"top": rules.top_accounts, "drop": rules.health_drop_points},
    ).fetchall()
    return [
        Alert(
            kind="health_fell",
            subject=f"{account}",
            what=f"health of {name or account} ({tier}, MRR {_amount(mrr)}) fell from "
            f"{before:.0f} ({band_before}) on {day_before} to {score:.0f} ({band}) on {as_of}",
            where=f"marts.account_health, account {account} (one of the top "
            f"{rules.top_accounts} by MRR)",
            todo=(
                "Read which components fell in marts.account_health (usage, NPS, support, "
                "CSAT) and give the account owner the reason; plan a call before renewal."
            ),
            details={
                "account_id": account,
                "health_score": score,
                "previous_health_score": before,
                "previous_evaluated_on": str(day_before),
            },
        )
        for (
            account,
            name,
            tier,
            mrr,
            score,
            band,
            day_before,
            before,
            band_before,
            as_of,
        ) in rows
    ]


WAREHOUSE_RULES = (
    quarantine_jumps,
    nps_drop,
    churn_spike,
    promoters_turned_detractors,
    health_falls,
)


def warehouse_alerts(con: duckdb.DuckDBPyConnection, rules: Rules) -> list[Alert]:
    """Every warehouse rule the alerts file turns on, in one read-only connection."""
    kinds = {
        quarantine_jumps: "quarantine_jump",
        nps_drop: "nps_drop",
        churn_spike: "churn_spike",
        promoters_turned_detractors: "promoter_turned_detractor",
        health_falls: "health_fell",
    }
    return [a for rule in WAREHOUSE_RULES if kinds[rule] in rules.kinds for a in rule(con, rules)]


def _amount(value: float | None) -> str:
    """An amount for a message; the MRR column is optional, so it may be unknown."""
    return "unknown" if value is None else f"{value:,.0f}"
