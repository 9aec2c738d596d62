"""Erasure as Dagster runs: `erase_person` records and applies a request, and on its success
`cx_rebuild` rebuilds staging, the marts, the serving file and the report without the person."""

import dagster as dg

from cx_pipeline.privacy.erasure import record_erasure
from cx_pipeline.resources import Warehouse


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


cx_rebuild_job = dg.define_asset_job(
    name="cx_rebuild",
    selection=dg.AssetSelection.groups("staging", "marts", "serving"),
    description="Rebuilds staging, the marts, the serving file and the report from raw as it is.",
    executor_def=dg.in_process_executor,
)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[erase_person],
    request_job=cx_rebuild_job,
    description="After an erasure, rebuild everything derived from raw without the person.",
)
def rebuild_after_erasure(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"after:{context.dagster_run.run_id}")
