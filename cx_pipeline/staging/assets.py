"""Staging assets: one per entity, generated from the contract (`contract_sql.staging_select`).

Each rebuild is written beside the live table as a candidate, validated, and swapped in only
when every hard rule holds, so a failed check leaves yesterday's staging table (and the marts
built on it) as they were.
"""

import dagster as dg

from cx_pipeline import catalog
from cx_pipeline.contract import ENTITIES, Entity
from cx_pipeline.contract_sql import staging_select
from cx_pipeline.ingest.loader import ensure_tables
from cx_pipeline.quality.checks import check_specs, referenced_entities, staging_check_results
from cx_pipeline.resources import CxSettings, Warehouse
from cx_pipeline.sql import scalar


def build_staging_asset(entity: Entity) -> dg.AssetsDefinition:
    live = f"staging.{entity.name}"
    candidate = f"staging._candidate_{entity.name}"

    @dg.asset(
        key=catalog.key("staging", entity.name),
        # Referenced tables come first so the references check sees today's version of them.
        deps=[
            catalog.key("raw", entity.name),
            *(catalog.key("staging", name) for name in referenced_entities(entity)),
        ],
        group_name="staging",
        kinds={"duckdb"},
        owners=catalog.OWNERS,
        pool=catalog.WAREHOUSE_POOL,
        description=(
            f"{entity.description} Typed, one row per {entity.key} (the latest delivery wins), "
            "quarantined rows left out. Timestamps are UTC. Replaced only when its hard checks "
            "pass."
        ),
        metadata=catalog.table_metadata("staging", entity.name, catalog.staging_columns(entity)),
        check_specs=check_specs("staging", entity),
    )
    def staging_asset(
        context: dg.AssetExecutionContext, warehouse: Warehouse, cx_settings: CxSettings
    ) -> dg.MaterializeResult:
        with warehouse.get_connection() as con:
            ensure_tables(con, entity)
            con.execute(f"CREATE OR REPLACE TABLE {candidate} AS {staging_select(entity)}")
            checks = staging_check_results(con, entity, candidate, cx_settings)
            failed = [c.check_name for c in checks if not c.passed and c.severity.value == "ERROR"]
            rows = scalar(con, f"SELECT count(*) FROM {candidate}")
            eligible = scalar(
                con,
                f"""
                SELECT count(*) FROM raw.{entity.name} AS r
                WHERE NOT EXISTS (
                    SELECT 1 FROM quarantine.{entity.name} AS q
                    WHERE q._source_file = r._source_file AND q._row_number = r._row_number
                )
                """,
            )
            if failed:
                con.execute(f"DROP TABLE {candidate}")
                context.log.error(
                    f"{live} kept as it was: hard check(s) failed: {', '.join(failed)}"
                )
            else:
                con.execute("BEGIN TRANSACTION")
                con.execute(f"DROP TABLE IF EXISTS {live}")
                con.execute(f"ALTER TABLE {candidate} RENAME TO {entity.name}")
                con.execute("COMMIT")
        return dg.MaterializeResult(
            check_results=checks,
            metadata={
                "replaced": not failed,
                "dagster/row_count": rows,
                "rows_superseded": eligible - rows,
            },
        )

    return staging_asset


staging_assets = [build_staging_asset(e) for e in ENTITIES]
