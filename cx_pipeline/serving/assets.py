"""The serving asset: the last step of every run, publishing the marts for BI tools."""

import datetime as dt
from pathlib import Path

import dagster as dg

from cx_pipeline import catalog
from cx_pipeline.marts.assets import ALL_MART_SPECS
from cx_pipeline.privacy.contact_details import fingerprint as masking_rule
from cx_pipeline.resources import Serving, Warehouse
from cx_pipeline.serving.publish import READABLE_BY, publish
from cx_pipeline.staging.incremental import rewrites

MART_KEYS = frozenset(catalog.key("marts", spec.name) for spec in ALL_MART_SPECS)


def _rewrites_covered(context: dg.AssetExecutionContext, con: object) -> int:
    """The erasures and purges the marts published now are known to have been rebuilt after:
    those before this run started, when it rebuilt every mart; none otherwise (a run of part
    of the graph), so that the next publish writes the file whole again."""
    selected = context.run.asset_selection or context.job_def.asset_layer.executable_asset_keys
    record = context.instance.get_run_record_by_id(context.run_id)
    if not selected >= MART_KEYS or record is None or record.start_time is None:
        return 0
    return rewrites(con, before=dt.datetime.fromtimestamp(record.start_time, dt.UTC))


@dg.asset(
    key=catalog.key("serving", "marts_snapshot"),
    deps=[catalog.key("marts", spec.name) for spec in ALL_MART_SPECS],
    group_name="serving",
    kinds={"duckdb"},
    owners=catalog.OWNERS,
    pool=catalog.warehouse_pool(),
    description=(
        "Every mart, with its table and column comments, copied to the serving file "
        f"(CX_SERVING_PATH) that BI tools open read-only; replaced atomically, readable by "
        f"{READABLE_BY}. Personal data is masked unless CX_SERVING_PERSONAL_DATA=clear. "
        "Written from a copy of the last snapshot in which only the marts (or the days of a "
        "mart) whose rows changed are rewritten; in full after an erasure or a purge."
    ),
    metadata=catalog.table_metadata(
        "marts",
        "_snapshot",
        [
            ("published_at", "TIMESTAMPTZ", "When the snapshot was published."),
            ("run_id", "VARCHAR", "The Dagster run that published it (the report names it too)."),
            ("personal_data", "VARCHAR", "'masked' or 'clear'."),
            ("tables", "VARCHAR[]", "The marts in the snapshot."),
            ("readable_by", "VARCHAR", "Which DuckDB versions can open the file."),
            ("mode", "VARCHAR", "'full' (written whole) or 'patched' (from the last snapshot)."),
            ("format", "INTEGER", "The publish format; another format is written whole."),
            ("rewrites_seen", "BIGINT", "Erasures and purges so far (a new one: written whole)."),
            ("full_size", "BIGINT", "Bytes when last written whole (null: this snapshot)."),
        ],
    ),
)
def marts_snapshot(
    context: dg.AssetExecutionContext, warehouse: Warehouse, serving: Serving
) -> dg.MaterializeResult:
    parquet_dir = Path(serving.parquet_dir) if serving.parquet_dir else None
    with warehouse.get_connection() as con:
        result = publish(
            con,
            ALL_MART_SPECS,
            Path(serving.path),
            serving.personal_data,
            parquet_dir,
            run_id=context.run_id,
            full_rebuild=serving.full_rebuild,
            rewrites_now=rewrites(con),
            rewrites_covered=_rewrites_covered(context, con),
            masking=masking_rule(warehouse.phone_regions),
        )
    for path in result.removed:
        context.log.info(f"removed {path}, left behind by a publish that was killed")
    context.log.info(
        f"published {len(result.rows)} marts to {result.path} in {result.seconds:.1f} s, "
        f"{result.summary()}"
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path.resolve())),
            "parquet_dir": str(result.parquet_dir.resolve()) if result.parquet_dir else "(off)",
            "personal_data": serving.personal_data,
            "readable_by": READABLE_BY,
            "run_id": context.run_id,
            "leftovers_removed": len(result.removed),
            "mode": result.mode,
            "why_written_in_full": result.reason or "(patched)",
            "marts_kept": len(result.kept),
            "marts_patched": len(result.patched),
            "parts_rewritten": sum(result.patched.values()),  # days or buckets of keys
            "marts_copied": len(result.copied),
            "rows": dg.MetadataValue.md(
                catalog.markdown_table(["table", "rows"], sorted(result.rows.items()))
            ),
        }
    )
