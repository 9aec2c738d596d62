"""Raw assets: one per contract entity, partitioned by delivery day.

A run loads the deliveries of its partition (or range of partitions, in one step) and replaces
those days in raw and quarantine. Nothing is retried but a missing delivery in a run the
schedule or the sensor started, for a single day: only then may the files still be on their
way. A bad file, a bad setting or a run over days already delivered fails at once, with the
cause.
"""

import datetime as dt
import warnings

import dagster as dg

from cx_pipeline import catalog
from cx_pipeline.adapters.mapping import MappingError
from cx_pipeline.contract import ENTITIES, Entity
from cx_pipeline.ingest.extracts import find_deliveries, ignored_files, stray_folders
from cx_pipeline.ingest.loader import (
    ExtractError,
    ensure_tables,
    load_delivery,
    record_ignored_files,
)
from cx_pipeline.partitions import DELIVERY_DAYS
from cx_pipeline.quality.checks import check_specs, raw_check_results
from cx_pipeline.resources import CxSettings, ExtractStore, Warehouse
from cx_pipeline.sql import table_exists

# A delivery the schedule expects may be late: 2, 4, then 8 minutes.
MISSING_DELIVERY_RETRIES, MISSING_DELIVERY_WAIT_SECONDS = 3, 120
# Tags Dagster puts on the runs it starts by itself.
UNATTENDED_TAGS = ("dagster/schedule_name", "dagster/sensor_name")


def _in_use(warehouse: Warehouse, entity: Entity) -> bool:
    """An optional entity some earlier delivery had: a missing file may be late, not absent."""
    with warehouse.get_connection() as con:
        return table_exists(con, "raw", entity.name) and bool(
            con.execute(f"SELECT EXISTS (SELECT 1 FROM raw.{entity.name})").fetchone()[0]
        )


def _may_still_arrive(context: dg.AssetExecutionContext, days: list[dt.date]) -> bool:
    return len(days) == 1 and any(tag in context.run.tags for tag in UNATTENDED_TAGS)


def build_raw_asset(entity: Entity) -> dg.AssetsDefinition:
    patterns = " or ".join(f"{entity.source}/<YYYY-MM-DD>/{p}" for p in entity.file_patterns())
    # The first entity of a source also accounts for the files no entity of it reads.
    audits_folder = entity == next(e for e in ENTITIES if e.source == entity.source)

    @dg.asset(
        key=catalog.key("raw", entity.name),
        group_name="raw",
        kinds={"duckdb"},
        owners=catalog.OWNERS,
        pool=catalog.warehouse_pool(),
        description=(
            f"{entity.description} Every delivered row as text, with its lineage; rows that "
            f"break a contract rule are also copied to quarantine.{entity.name}. "
            # In code spans: the UI renders descriptions as Markdown, where a bare
            # <YYYY-MM-DD> is swallowed as an HTML tag.
            "Files: "
            + " or ".join(f"`{entity.source}/<YYYY-MM-DD>/{p}`" for p in entity.file_patterns())
            + "."
        ),
        metadata=catalog.table_metadata("raw", entity.name, catalog.raw_columns(entity)),
        check_specs=check_specs("raw", entity),
        partitions_def=DELIVERY_DAYS,
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def raw_asset(
        context: dg.AssetExecutionContext,
        warehouse: Warehouse,
        extracts: ExtractStore,
        cx_settings: CxSettings,
    ) -> dg.MaterializeResult:
        root = extracts.path
        for folder in stray_folders(root, entity.source):
            context.log.warning(f"ignoring {folder}: not a delivery folder (YYYY-MM-DD)")
        days = sorted(dt.date.fromisoformat(k) for k in context.partition_keys)
        try:
            reader = extracts.reader(entity)
        except MappingError as e:
            raise dg.Failure(str(e), allow_retries=False) from e
        deliveries = [d for d in find_deliveries(root, entity, reader) if d.day in set(days)]
        ignored = ignored_files(root, entity.source, reader, days)
        if not deliveries and (not entity.optional or _in_use(warehouse, entity)):
            when = str(days[0]) if len(days) == 1 else f"{days[0]} to {days[-1]}"
            missing = (
                f"no extract files for {entity.qualified_name} delivered {when}: expected "
                f"{patterns} under {root.resolve()}"
            )
            if ignored:
                missing += "; not read there: " + "; ".join(
                    f"{f.path.relative_to(root).as_posix()} ({f.reason})" for f in ignored
                )
            if _may_still_arrive(context, days):
                context.log.warning(f"{missing}; waiting for it (retry {context.retry_number + 1})")
                raise dg.RetryRequested(
                    max_retries=MISSING_DELIVERY_RETRIES,
                    seconds_to_wait=MISSING_DELIVERY_WAIT_SECONDS * 2**context.retry_number,
                )
            if entity.optional:
                context.log.info(f"{missing} (optional: nothing loaded for these days)")
        if not deliveries and not entity.optional:
            raise dg.Failure(missing, allow_retries=False)
        loaded_at = dt.datetime.now(dt.UTC)
        loads = []
        with warehouse.get_connection() as con:
            if audits_folder:
                for f in ignored:
                    context.log.warning(
                        f"{f.path.relative_to(root).as_posix()}: not loaded, {f.reason} "
                        "(listed in audit.ignored_files)"
                    )
                record_ignored_files(con, entity.source, days, ignored, root, loaded_at)
            ensure_tables(con, entity)
            for i, delivery in enumerate(deliveries, start=1):
                try:
                    load = load_delivery(con, entity, delivery, root, loaded_at, reader)
                except ExtractError as e:
                    raise dg.Failure(str(e), allow_retries=False) from e
                loads.append(load)
                context.log.info(
                    f"{entity.qualified_name} {delivery.day} ({i}/{len(deliveries)}): "
                    f"{load.rows_read} read, {load.rows_loaded} loaded, "
                    f"{load.rows_quarantined} quarantined"
                )
                for f in load.files:
                    if f.extra_columns:
                        context.log.warning(
                            f"{f.source_file}: column(s) not in the contract, kept as JSON in "
                            f"raw.{entity.name}._extra: {', '.join(f.extra_columns)}"
                        )
            total_rows = con.execute(f"SELECT count(*) FROM raw.{entity.name}").fetchone()[0]
            checks = raw_check_results(con, entity, loads, loaded_at, cx_settings)
        read = sum(load.rows_read for load in loads)
        quarantined = sum(load.rows_quarantined for load in loads)
        audit: dict[str, dg.MetadataValue] = {}
        if audits_folder:
            audit["ignored_files"] = dg.MetadataValue.json(
                {
                    "count": len(ignored),
                    "files": [
                        {
                            "delivery_date": str(f.day),
                            "file": f.path.relative_to(root).as_posix(),
                            "reason": f.reason,
                        }
                        for f in ignored
                    ],
                }
            )
        return dg.MaterializeResult(
            check_results=checks,
            metadata={
                **audit,
                "deliveries": len(deliveries),
                "rows_read": read,
                "rows_loaded": read - quarantined,
                "rows_quarantined": quarantined,
                "dagster/row_count": total_rows,
                "files": dg.MetadataValue.md(
                    "\n".join(
                        f"- `{f.source_file}`: {f.rows_read} read, {f.rows_quarantined} quarantined"
                        for load in loads
                        for f in load.files
                    )
                    or "(no files delivered)"
                ),
            },
        )

    return raw_asset


with warnings.catch_warnings():
    # backfill_policy is beta in Dagster 1.13; a single-run backfill is what one DuckDB writer
    # needs, so the warning would only be noise in every log.
    warnings.simplefilter("ignore", dg.BetaWarning)
    raw_assets = [build_raw_asset(e) for e in ENTITIES]
