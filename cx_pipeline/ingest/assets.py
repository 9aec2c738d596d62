"""Raw assets: one per contract entity, loading every delivery found under the extract root."""

import datetime as dt

import dagster as dg

from cx_pipeline import catalog
from cx_pipeline.contract import ENTITIES, Entity
from cx_pipeline.ingest.extracts import find_deliveries, stray_folders
from cx_pipeline.ingest.loader import ensure_tables, load_delivery
from cx_pipeline.quality.checks import check_specs, raw_check_results
from cx_pipeline.resources import CxSettings, ExtractStore, Warehouse


def build_raw_asset(entity: Entity) -> dg.AssetsDefinition:
    patterns = " or ".join(f"{entity.source}/<YYYY-MM-DD>/{p}" for p in entity.file_patterns())

    @dg.asset(
        key=catalog.key("raw", entity.name),
        group_name="raw",
        kinds={"duckdb"},
        owners=catalog.OWNERS,
        pool=catalog.WAREHOUSE_POOL,
        description=(
            f"{entity.description} Every delivered row as text, with its lineage; rows that "
            f"break a contract rule are also copied to quarantine.{entity.name}. "
            f"Files: {patterns}."
        ),
        metadata=catalog.table_metadata("raw", entity.name, catalog.raw_columns(entity)),
        check_specs=check_specs("raw", entity),
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
        deliveries = find_deliveries(root, entity)
        if not deliveries and not entity.optional:
            raise dg.Failure(
                f"no extract files for {entity.qualified_name}: expected {patterns} "
                f"under {root.resolve()}"
            )
        loaded_at = dt.datetime.now(dt.UTC)
        loads = []
        with warehouse.get_connection() as con:
            ensure_tables(con, entity)
            for i, delivery in enumerate(deliveries, start=1):
                load = load_delivery(con, entity, delivery, root, loaded_at)
                loads.append(load)
                context.log.info(
                    f"{entity.qualified_name} {delivery.day} ({i}/{len(deliveries)}): "
                    f"{load.rows_read} read, {load.rows_loaded} loaded, "
                    f"{load.rows_quarantined} quarantined"
                )
                for f in load.files:
                    if f.extra_columns:
                        context.log.warning(
                            f"{f.source_file}: column(s) not in the contract, ignored: "
                            f"{', '.join(f.extra_columns)}"
                        )
            total_rows = con.execute(f"SELECT count(*) FROM raw.{entity.name}").fetchone()[0]
            checks = raw_check_results(con, entity, loads, loaded_at, cx_settings)
        read = sum(load.rows_read for load in loads)
        quarantined = sum(load.rows_quarantined for load in loads)
        return dg.MaterializeResult(
            check_results=checks,
            metadata={
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


raw_assets = [build_raw_asset(e) for e in ENTITIES]
