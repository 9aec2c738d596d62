"""Upgrades: a warehouse keeps its schema version, and a new release moves an old warehouse to its
own layout in place, or refuses with the reason and leaves it as it was.

`upgrade/warehouse_v1.tar.gz` is a warehouse written by the last release before versions were
recorded (schema version 1, commit 5e62ac6): the tiny extracts loaded with that release's
`cx-pipeline run`, then `EXPORT DATABASE ... (FORMAT parquet)`, so the test holds its exact
tables (raw, quarantine, audit, staging and marts) without a DuckDB file's empty blocks.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cx_pipeline import catalog, migrations
from cx_pipeline.migrations import Migration, MigrationError, current_version, upgrade
from cx_pipeline.resources import Warehouse
from cx_pipeline.sql import literal
from cx_pipeline_tests.conftest import materialize_all, up_to
from cx_pipeline_tests.tiny_extracts import write_tiny_extracts
from cx_pipeline_tests.warehouse_diff import mart_differences

# Marts over every kind of input the previous release left: raw and quarantine rows, audit state
# (loads, staging builds), staging tables and the identity map.
MARTS = ("nps_by_account", "churn_by_month", "identity_match_rates")
PREVIOUS_RELEASE = Path(__file__).parent / "upgrade" / "warehouse_v1.tar.gz"


def previous_release_warehouse(tmp_path: Path) -> Path:
    with tarfile.open(PREVIOUS_RELEASE) as archive:
        archive.extractall(tmp_path, filter="data")
    path = tmp_path / "previous.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"IMPORT DATABASE {literal(str(tmp_path / 'warehouse_v1'))}")
    return path


def test_migrations_are_numbered_from_one_without_a_gap() -> None:
    versions = [m.version for m in migrations.shipped()]
    assert versions == list(range(1, len(versions) + 1))


def test_the_previous_release_s_warehouse_is_upgraded_and_builds_a_fresh_build_s_marts(
    tmp_path: Path,
) -> None:
    previous = previous_release_warehouse(tmp_path)
    with duckdb.connect(str(previous), read_only=True) as con:
        assert current_version(con) == 1
    extracts = write_tiny_extracts(tmp_path / "extracts")
    fresh = tmp_path / "fresh" / "cx.duckdb"
    fresh.parent.mkdir()
    for warehouse in (previous, fresh):
        materialize_all(extracts, warehouse, selection=up_to(*(f"marts.{m}" for m in MARTS)))
    latest = migrations.shipped()[-1].version
    with duckdb.connect() as con:
        con.execute(f"ATTACH {literal(str(previous))} AS upgraded (READ_ONLY)")
        con.execute(f"ATTACH {literal(str(fresh))} AS fresh (READ_ONLY)")
        assert mart_differences(con, "upgraded", "fresh", MARTS) == {}
        for catalog in ("upgraded", "fresh"):
            con.execute(f"USE {catalog}")
            assert current_version(con) == latest
        # The loads the previous release recorded are kept, the new run's beside them.
        loads = con.execute("SELECT count(*) FROM upgraded.audit.loads").fetchone()[0]
        assert loads > con.execute("SELECT count(*) FROM fresh.audit.loads").fetchone()[0]


def test_a_mart_run_alone_on_an_older_warehouse_names_the_inputs_it_lacks(tmp_path: Path) -> None:
    """The previous release had no staging.resolved_event_pairs: a run of the mart alone says
    what to materialize, rather than failing on DuckDB's catalog error mid-statement."""
    previous = previous_release_warehouse(tmp_path)
    extracts = write_tiny_extracts(tmp_path / "extracts")
    result = materialize_all(
        extracts,
        previous,
        raise_on_error=False,
        selection=dg.AssetSelection.assets(catalog.key("marts", "identity_match_rates")),
    )
    assert not result.success
    (failure,) = (e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message
    assert "marts.identity_match_rates reads" in message
    assert "staging/resolved_event_pairs" in message
    assert "materialize it too" in message


SHIPPED = migrations.shipped()
LATEST = SHIPPED[-1].version
# Test migrations, numbered after the shipped ones.
V2 = Migration(
    LATEST + 1,
    "rename_and_retype",
    "ALTER TABLE audit.notes RENAME TO remarks;"
    "ALTER TABLE audit.remarks ALTER score TYPE INTEGER;"
    "ALTER TABLE audit.remarks ADD COLUMN source VARCHAR DEFAULT 'crm';",
)
BROKEN_V3 = Migration(
    LATEST + 2, "needs_a_missing_table", "ALTER TABLE audit.nowhere ADD COLUMN x INT;"
)


def old_warehouse(tmp_path: Path) -> Warehouse:
    """A warehouse at this release's version with one small audit table the test migrations
    change."""
    warehouse = Warehouse(database=str(tmp_path / "cx.duckdb"))
    with duckdb.connect(warehouse.database) as con:
        con.execute("CREATE SCHEMA audit")
        con.execute("CREATE TABLE audit.notes AS SELECT 'a' AS note, '7' AS score")
        upgrade(con, SHIPPED)
    return warehouse


def test_new_columns_renamed_tables_and_changed_types_migrate_in_place(tmp_path: Path) -> None:
    warehouse = old_warehouse(tmp_path)
    with duckdb.connect(warehouse.database) as con:
        applied = upgrade(con, (*SHIPPED, V2))
        assert [m.version for m in applied] == [LATEST + 1]
        assert con.execute("SELECT * FROM audit.remarks").fetchall() == [("a", 7, "crm")]
        assert current_version(con) == LATEST + 1
        assert upgrade(con, (*SHIPPED, V2)) == []  # once only


def test_a_failed_migration_names_itself_and_changes_nothing(tmp_path: Path) -> None:
    warehouse = old_warehouse(tmp_path)
    with duckdb.connect(warehouse.database) as con:
        with pytest.raises(
            MigrationError,
            match=rf"{LATEST + 2:04d}_needs_a_missing_table failed.*version {LATEST}",
        ):
            upgrade(con, (*SHIPPED, V2, BROKEN_V3))
        assert current_version(con) == LATEST
        assert con.execute("SELECT * FROM audit.notes").fetchall() == [("a", "7")]


def test_a_warehouse_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    warehouse = old_warehouse(tmp_path)
    with duckdb.connect(warehouse.database) as con:
        upgrade(con, (*SHIPPED, V2))
        with pytest.raises(
            MigrationError, match=f"schema version {LATEST + 1}, written by a newer"
        ):
            upgrade(con, SHIPPED)


def test_a_reader_refuses_a_warehouse_from_a_newer_release(tmp_path: Path) -> None:
    warehouse = old_warehouse(tmp_path)
    with warehouse.get_connection(read_only=True) as con:  # this release's version: fine
        assert current_version(con) == LATEST
    with duckdb.connect(warehouse.database) as con:
        upgrade(con, (*SHIPPED, V2))
    newer = pytest.raises(MigrationError, match=f"schema version {LATEST + 1}, written by a newer")
    with newer, warehouse.get_connection(read_only=True):
        pass
