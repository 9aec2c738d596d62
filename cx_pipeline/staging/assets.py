"""Staging assets: one per entity, generated from the contract (`contract_sql.staging_select`).

Each rebuild is written beside the live table as a candidate, validated, and swapped in only
when every hard rule holds, so a failed check leaves yesterday's staging table (and the marts
built on it) as they were. Event entities (tickets, events, answers) rebuild incrementally: the
candidate holds only the keys of the delivery days that changed, and replaces them in one
transaction (`staging/incremental.py`).
"""

import dagster as dg
import duckdb

from cx_pipeline import catalog
from cx_pipeline.contract import ENTITIES, Entity
from cx_pipeline.contract_sql import staging_select
from cx_pipeline.ingest.loader import ensure_tables
from cx_pipeline.quality.checks import check_specs, referenced_entities, staging_check_results
from cx_pipeline.resources import CxSettings, Warehouse
from cx_pipeline.sql import scalar
from cx_pipeline.staging import identity, incremental


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
        pool=catalog.warehouse_pool(),
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
            build = incremental.plan(con, entity, cx_settings.full_rebuild)
            dates = None
            if build.full:
                con.execute(f"CREATE OR REPLACE TABLE {candidate} AS {staging_select(entity)}")
                keys = rows_after = scalar(con, f"SELECT count(*) FROM {candidate}")
                checks = staging_check_results(con, entity, candidate, cx_settings)
            else:
                keys = incremental.build_delta(con, entity, build, candidate)
                dates = incremental.changed_dates(con, entity, candidate)
                rows_after = incremental.rows_after_merge(con, entity, candidate)
                checks = staging_check_results(con, entity, candidate, cx_settings, rows_after)
            failed = [c.check_name for c in checks if not c.passed and c.severity.value == "ERROR"]
            metadata = {
                "build": "full" if build.full else "incremental",
                "build_reason": build.reason,
                "changed_delivery_days": [d.isoformat() for d in build.changed_days],
                "keys_replaced": keys,
            }
            if failed:
                con.execute(f"DROP TABLE {candidate}")
                context.log.error(
                    f"{live} kept as it was: hard check(s) failed: {', '.join(failed)}"
                )
            else:
                if build.full:
                    metadata["rows_superseded"] = _superseded(con, entity, candidate)
                con.execute("BEGIN TRANSACTION")
                if build.full:
                    con.execute(f"DROP TABLE IF EXISTS {live}")
                    con.execute(f"ALTER TABLE {candidate} RENAME TO {entity.name}")
                    if entity.name == "events":
                        identity.keep_event_pairs(con)
                else:
                    if entity.name == "events":
                        identity.keep_event_pairs(con, incremental.AFFECTED_KEYS, candidate)
                    incremental.merge_delta(con, entity, candidate)
                    con.execute(f"DROP TABLE {candidate}")
                    if entity.name == "events" and not identity.check_event_pairs(con):
                        context.log.warning(
                            "staging._event_pairs did not add up to staging.events: counted afresh"
                        )
                incremental.record(con, entity, build, keys, dates)
                con.execute("COMMIT")
                context.log.info(
                    f"{live}: {metadata['build']} build ({build.reason}), {keys:,} keys"
                )
        return dg.MaterializeResult(
            check_results=checks,
            metadata={"replaced": not failed, "dagster/row_count": rows_after, **metadata},
        )

    return staging_asset


def _superseded(con: duckdb.DuckDBPyConnection, entity: Entity, candidate: str) -> int:
    """Raw rows (not quarantined) that a later row of the same key replaced."""
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
    return eligible - scalar(con, f"SELECT count(*) FROM {candidate}")


staging_assets = [build_staging_asset(e) for e in ENTITIES]
