"""Staging assets: one per entity, generated from the contract (`contract_sql.staging_select`)."""

import dagster as dg

from cx_pipeline import catalog
from cx_pipeline.contract import ENTITIES, Entity
from cx_pipeline.contract_sql import staging_select
from cx_pipeline.ingest.loader import ensure_tables
from cx_pipeline.resources import Warehouse


def build_staging_asset(entity: Entity) -> dg.AssetsDefinition:
    @dg.asset(
        key=catalog.key("staging", entity.name),
        deps=[catalog.key("raw", entity.name)],
        group_name="staging",
        kinds={"duckdb"},
        owners=catalog.OWNERS,
        pool=catalog.WAREHOUSE_POOL,
        description=(
            f"{entity.description} Typed, one row per {entity.key} (the latest delivery wins), "
            "quarantined rows left out. Timestamps are UTC."
        ),
        metadata=catalog.table_metadata("staging", entity.name, catalog.staging_columns(entity)),
    )
    def staging_asset(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.get_connection() as con:
            ensure_tables(con, entity)
            con.execute(
                f"CREATE OR REPLACE TABLE staging.{entity.name} AS {staging_select(entity)}"
            )
            rows = con.execute(f"SELECT count(*) FROM staging.{entity.name}").fetchone()[0]
            eligible = con.execute(
                f"""
                SELECT count(*) FROM raw.{entity.name} AS r
                WHERE NOT EXISTS (
                    SELECT 1 FROM quarantine.{entity.name} AS q
                    WHERE q._source_file = r._source_file AND q._row_number = r._row_number
                )
                """
            ).fetchone()[0]
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "rows_superseded": eligible - rows,
            }
        )

    return staging_asset


staging_assets = [build_staging_asset(e) for e in ENTITIES]
