"""Erasure and retention as Dagster runs: `erase_person` records and applies a request,
`purge_expired` drops what is past the retention period, and on the success of either
`cx_rebuild` rebuilds staging, the marts, the serving file and the report without it. The
rebuild also deletes the finished erase_person runs from the instance: their configs name the
person."""

import datetime as dt

import dagster as dg

from cx_pipeline.executors import executor_from_settings
from cx_pipeline.privacy.erasure import record_erasure
from cx_pipeline.privacy.retention import cutoff, purge_extract_folders, purge_rows
from cx_pipeline.resources import CxSettings, ExtractStore, Warehouse


class ErasureRequest(dg.Config):
    contact_id: str = ""
    email: str = ""
    reason: str = "data subject request"


@dg.op(description="Erase one person from raw and quarantine, and remember the request (hashed).")
def erase_person_op(
    context: dg.OpExecutionContext, config: ErasureRequest, warehouse: Warehouse
) -> dict:
    with warehouse.get_connection() as con:
        done = record_erasure(con, config.contact_id or None, config.email or None, config.reason)
    # Identifiers are personal: the log says how much was erased, never whom.
    context.log.info(f"erasure {done['erasure_id']}: {done['identifiers']} identifier(s)")
    return done


@dg.job(description="Erase a person (by contact id or e-mail); cx_rebuild follows on success.")
def erase_person() -> None:
    erase_person_op()


FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


def forget_erasure_requests(instance: dg.DagsterInstance) -> int:
    """Delete the records of finished erase_person runs from the Dagster instance: a run's
    config names the person in clear (the CLI and the UI's launchpad both put the request
    there), and the erasure itself is kept, hashed, in audit.erasures. Returns how many."""
    finished = instance.get_runs(filters=dg.RunsFilter(job_name="erase_person", statuses=FINISHED))
    for run in finished:
        instance.delete_run(run.run_id)
    return len(finished)


@dg.success_hook(name="forget_erasure_requests_on_success")
def _forget_on_success(context: dg.HookContext) -> None:
    forget_erasure_requests(context.instance)


@dg.failure_hook(name="forget_erasure_requests_on_failure")
def _forget_on_failure(context: dg.HookContext) -> None:
    forget_erasure_requests(context.instance)


cx_rebuild_job = dg.define_asset_job(
    name="cx_rebuild",
    selection=dg.AssetSelection.key_prefixes(["staging"], ["marts"], ["serving"]),
    description="Rebuilds staging, the marts, the serving file and the report from raw as it is.",
    # An erased person must leave the marts even when CX_EXECUTOR is refused on this warehouse.
    executor_def=executor_from_settings(refused_fallback=dg.in_process_executor),
    # Every erasure is followed by a rebuild (the CLI runs it, the sensor requests it): its first
    # step forgets the finished erasure runs, whose configs name the person.
    hooks={_forget_on_success, _forget_on_failure},
)


class PurgeRequest(dg.Config):
    today: str = ""  # YYYY-MM-DD; empty means today's date (UTC)


@dg.op(description="Purge raw rows (and, if set, extract folders) past the retention period.")
def purge_expired_op(
    context: dg.OpExecutionContext,
    config: PurgeRequest,
    warehouse: Warehouse,
    extracts: ExtractStore,
    cx_settings: CxSettings,
) -> dict:
    today = dt.date.fromisoformat(config.today) if config.today else dt.datetime.now(dt.UTC).date()
    keep_from = cutoff(today, cx_settings.retention_days)
    if keep_from is None:
        context.log.info("CX_RETENTION_DAYS is 0: nothing expires")
        return {"keep_from": None, "rows": {}, "folders": 0}
    with warehouse.get_connection() as con:
        rows = purge_rows(con, keep_from)
    folders = (
        purge_extract_folders(extracts.path, keep_from)
        if cx_settings.retention_delete_extracts
        else []
    )
    context.log.info(
        f"kept deliveries from {keep_from}: {sum(rows.values())} raw and quarantine rows and "
        f"{len(folders)} extract folders purged"
    )
    return {"keep_from": str(keep_from), "rows": rows, "folders": len(folders)}


@dg.job(description="Purge what is past the retention period; cx_rebuild follows on success.")
def purge_expired() -> None:
    purge_expired_op()


purge_schedule = dg.ScheduleDefinition(
    name="purge_expired_schedule",
    job=purge_expired,
    cron_schedule="0 5 * * *",
    description="Purges expired raw rows every day at 05:00 UTC (CX_RETENTION_DAYS).",
)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[erase_person, purge_expired],
    request_job=cx_rebuild_job,
    description="After an erasure or a purge, rebuild everything derived from raw.",
)
def rebuild_after_erasure(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"after:{context.dagster_run.run_id}")
