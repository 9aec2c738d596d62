"""The three alert sensors: a run-failure sensor; a sensor that reads each successful run's
failed checks, and the warehouse after a run that rebuilt marts; and a sensor that watches how
long ago the marts were rebuilt. They run by default only when CX_ALERTS_CONFIG names an alerts
file, and send nothing without one."""

from __future__ import annotations

import datetime as dt
import json
import time

import dagster as dg
import duckdb

from cx_pipeline import settings
from cx_pipeline.alerts import channels, ledger, rules
from cx_pipeline.alerts.config import AlertsConfig, load
from cx_pipeline.alerts.message import Alert
from cx_pipeline.resources import FILE_LOCKED, Warehouse

# The jobs after which the marts are read: they rebuild them.
REBUILDING_JOBS = ("cx_daily", "cx_rebuild")


def rebuilt_marts(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    """A whole cx_daily or cx_rebuild run, or any run that materialized marts: part of a job
    (`cx-pipeline run --select`, or by hand from the UI) counts only if it built a mart."""
    if run.job_name in REBUILDING_JOBS and not run.asset_selection:
        return True
    records = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    return any(r.asset_key is not None and r.asset_key.path[0] == "marts" for r in records)


OFF = "alerts are off: CX_ALERTS_CONFIG names no alerts file"


def _default_status() -> dg.DefaultSensorStatus:
    """Running from the start when an alerts file is set: nobody has to remember to switch
    alerts on in the UI."""
    if settings.ALERTS_CONFIG.is_set():
        return dg.DefaultSensorStatus.RUNNING
    return dg.DefaultSensorStatus.STOPPED


def alerts_config() -> AlertsConfig | None:
    path = settings.ALERTS_CONFIG.value()
    return load(path) if path else None


def deliver(
    context: dg.SensorEvaluationContext | dg.RunStatusSensorContext,
    config: AlertsConfig,
    alerts: list[Alert],
) -> list[Alert]:
    """Send the alerts the file turns on that were not sent within CX_ALERTS_REPEAT_HOURS;
    record each as it is sent. Returns those sent."""
    now = time.time()
    repeat = float(settings.ALERTS_REPEAT_HOURS.value()) * 3600
    wanted = [a for a in alerts if config.wants(a.kind)]
    due = ledger.due(context.instance, wanted, now, repeat)
    for alert in due:
        for error in channels.send(config, alert, dt.datetime.fromtimestamp(now, dt.UTC)):
            context.log.warning(f"alert {alert.fingerprint}: channel failed: {error}")
        ledger.record(context.instance, [alert], now)
        context.log.info(f"alert sent: {alert.what}")
    if len(due) < len(wanted):
        context.log.info(f"{len(wanted) - len(due)} alert(s) sent within the repeat interval")
    return due


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    minimum_interval_seconds=30,
    default_status=_default_status(),
    description=(
        "Tells the people in CX_ALERTS_CONFIG when a run fails: one alert per failed blocking "
        "check, one for steps that failed for another reason."
    ),
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> dg.SkipReason | None:
    config = alerts_config()
    if config is None:
        return dg.SkipReason(OFF)
    alerts = rules.run_failure_alerts(context.instance, context.dagster_run)
    sent = deliver(context, config, alerts)
    return None if sent else dg.SkipReason("sent within the repeat interval already")


@dg.sensor(
    name="alert_after_daily_run",
    minimum_interval_seconds=60,
    default_status=_default_status(),
    description=(
        "After each successful run, tells the people in CX_ALERTS_CONFIG about its failed "
        "checks of ERROR severity that do not block; after one that rebuilt marts (cx_daily, "
        "cx_rebuild, or by hand), reads the warehouse and tells them when a delivery's "
        "quarantined share jumps, NPS drops significantly, churn is over target, a "
        "high-value promoter turns detractor or a top account's health falls; each once "
        "when it starts, not again while it lasts."
    ),
)
def alert_after_daily_run(
    context: dg.SensorEvaluationContext, warehouse: Warehouse
) -> dg.SensorResult | dg.SkipReason:
    # Cursor: the update time of the last run read, and the alerts true after it, so that a
    # condition that lasts (a month's churn) is told when it starts, not after every run.
    state = json.loads(context.cursor) if context.cursor else {}
    config = alerts_config()
    if config is None:
        return dg.SkipReason(OFF)
    after = state.get("after")
    records = context.instance.get_run_records(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.SUCCESS],
            updated_after=dt.datetime.fromtimestamp(after, dt.UTC) if after else None,
        ),
        order_by="update_timestamp",
        ascending=False,
        limit=100,
    )
    if after is None:
        records = records[:1]  # a new sensor starts from the latest run, not from history
    if not records:
        return dg.SkipReason("no successful run since the last reading")
    # Checks of ERROR severity that do not block (identity match floor) fail a run that
    # otherwise succeeds: each is told once, as the failure sensor tells blocking ones.
    checks = [
        a for r in records for a in rules.failed_check_alerts(context.instance, r.dagster_run)
    ]
    rebuilding = [r for r in records if rebuilt_marts(context.instance, r.dagster_run)]
    firing: list[Alert] | None = None
    if rebuilding:
        try:
            with warehouse.get_connection(read_only=True, wait=False) as con:
                firing = rules.warehouse_alerts(con, config.rules)
        except duckdb.IOException as e:
            if FILE_LOCKED not in str(e):
                raise
            return dg.SkipReason("the warehouse is being written; read at the next tick")
    active = set(state.get("active", []))
    new = [a for a in firing or [] if a.fingerprint not in active]
    sent = deliver(context, config, checks + new)
    cursor = {
        "after": max(r.update_timestamp.timestamp() for r in records),
        "active": sorted(active if firing is None else {a.fingerprint for a in firing}),
    }
    return dg.SensorResult(
        cursor=json.dumps(cursor),
        skip_reason=None if sent else f"read {len(records)} successful run(s): nothing new",
    )


@dg.sensor(
    name="alert_on_stale_marts",
    minimum_interval_seconds=3600,
    default_status=_default_status(),
    description=(
        "Tells the people in CX_ALERTS_CONFIG when marts were not rebuilt within the fail "
        "window of their freshness policy (catalog.MART_FRESHNESS), again every "
        "CX_ALERTS_REPEAT_HOURS while they stay stale."
    ),
)
def alert_on_stale_marts(context: dg.SensorEvaluationContext) -> dg.SkipReason | None:
    config = alerts_config()
    if config is None:
        return dg.SkipReason(OFF)
    graph = context.repository_def.asset_graph
    alerts = rules.stale_marts(context.instance, graph, time.time())
    if not alerts:
        return dg.SkipReason("every mart is within its freshness window")
    sent = deliver(context, config, alerts)
    return None if sent else dg.SkipReason("sent within the repeat interval already")


alert_sensors = [alert_on_run_failure, alert_after_daily_run, alert_on_stale_marts]
