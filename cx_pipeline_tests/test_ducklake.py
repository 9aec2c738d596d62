"""The same graph on a DuckLake warehouse (DuckDB-file catalog): every mart equals the embedded
run's, the serving snapshot is published from it, and an erasure leaves no file behind that
still holds the person."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cx_pipeline import ducklake
from cx_pipeline.marts.assets import ALL_MART_SPECS
from cx_pipeline.partitions import delivered_days, range_tags
from cx_pipeline.privacy.erasure import record_erasure
from cx_pipeline.resources import HeldWarehouse, Warehouse
from cx_pipeline.sql import literal
from cx_pipeline_tests.conftest import SAMPLE_ROOT, all_assets, make_resources
from cx_pipeline_tests.value_search import parquet_holding, tables_holding
from cx_pipeline_tests.warehouse_diff import mart_differences


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The committed sample materialized into a DuckLake with a DuckDB-file catalog."""
    base = tmp_path_factory.mktemp("lake")
    # Held within each run, as make_resources' warehouse file is: a lake is attached once a run.
    warehouse = HeldWarehouse(database=f"ducklake:{base / 'cx.ducklake'}", memory_limit="1GB")
    resources = {**make_resources(SAMPLE_ROOT, base / "cx.duckdb"), "warehouse": warehouse}
    days = delivered_days(SAMPLE_ROOT)
    result = dg.materialize(all_assets(), resources=resources, tags=range_tags(days[0], days[-1]))
    assert result.success
    return warehouse


def test_the_setting_names_a_file_or_a_lake() -> None:
    assert ducklake.parse("data/warehouse/cx.duckdb") is None
    on_file = ducklake.parse("ducklake:data/warehouse/cx.ducklake")
    assert on_file is not None and on_file.single_writer
    assert on_file.files() == f"{Path('data/warehouse/cx.ducklake').resolve()}.files/"
    on_postgres = ducklake.parse("ducklake:postgres:dbname=cx host=127.0.0.1", "s3://b/cx/")
    assert on_postgres is not None and not on_postgres.single_writer
    assert on_postgres.files() == "s3://b/cx/"
    with pytest.raises(ValueError, match="CX_DUCKLAKE_DATA_PATH"):
        ducklake.parse("ducklake:postgres:dbname=cx").files()  # type: ignore[union-attr]


def test_extensions_come_from_the_wheels_and_nothing_is_downloaded(lake: Warehouse) -> None:
    with lake.get_connection(read_only=True) as con:
        assert con.execute("SELECT current_database()").fetchone() == ("cx",)
        assert con.execute(
            "SELECT current_setting('autoinstall_known_extensions'), "
            "current_setting('autoload_known_extensions')"
        ).fetchone() == (False, False)
        loaded = con.execute(
            "SELECT extension_name FROM duckdb_extensions() WHERE loaded"
        ).fetchall()
    assert ("ducklake",) in loaded
    assert ducklake.extension_file("ducklake").is_file()


def test_every_mart_equals_the_embedded_run(lake: Warehouse, sample_warehouse: Path) -> None:
    with lake.get_connection(read_only=True) as con:
        con.execute(f"ATTACH {literal(str(sample_warehouse))} AS embedded (READ_ONLY)")
        built = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'cx' "
            "AND schema_name = 'marts' AND table_name NOT LIKE '\\_%' ESCAPE '\\'"
        ).fetchone()[0]
        assert built == len(ALL_MART_SPECS)
        assert mart_differences(con, "cx", "embedded") == {}
        # And the layers under them, row for row.
        for table in ("staging.accounts", "staging.nps_responses", "staging.events"):
            rows = con.execute(
                f"SELECT (SELECT count(*) FROM cx.{table}), (SELECT count(*) FROM embedded.{table})"
            ).fetchone()
            assert rows[0] == rows[1] > 0, table


def test_the_serving_snapshot_is_published_from_the_lake(
    lake: Warehouse, sample_warehouse: Path
) -> None:
    lake_file = Path(lake.lake.catalog_file).with_name("cx_serving.duckdb")  # type: ignore[union-attr]
    with duckdb.connect() as con:
        con.execute(f"ATTACH {literal(str(lake_file))} AS from_lake (READ_ONLY)")
        embedded = sample_warehouse.with_name("cx_serving.duckdb")
        con.execute(f"ATTACH {literal(str(embedded))} AS embedded (READ_ONLY)")
        assert mart_differences(con, "from_lake", "embedded") == {}


def test_an_erasure_leaves_no_lake_file_holding_the_person(lake: Warehouse) -> None:
    """As `cx-pipeline erase` does it: record, rebuild, compact; the rebuild only of the
    tables that hold the person (the erase command's rebuild of everything is
    privacy/test_erasure.py's). Runs last in this module: it changes the lake."""
    files = Path(lake.lake.files())  # type: ignore[union-attr]
    with lake.get_connection() as con:
        (email,) = con.execute(
            "SELECT lower(email) FROM raw.contacts WHERE email LIKE '%@%' ORDER BY email LIMIT 1"
        ).fetchone()
        assert parquet_holding(files / "raw", [email])
        holding = [
            dg.AssetKey(name.split("."))
            for name in tables_holding(con, [email], ("staging", "marts"), database="cx")
        ]
        assert dg.AssetKey(["staging", "contacts"]) in holding
        record_erasure(con, None, email, "test")
    rebuilt = dg.materialize(
        all_assets(),
        resources={**make_resources(SAMPLE_ROOT, files.parent / "cx.duckdb"), "warehouse": lake},
        selection=dg.AssetSelection.assets(*holding),
    )
    assert rebuilt.success
    # Until compaction, DuckLake keeps the old files (time travel): the value is still on disk.
    assert parquet_holding(files, [email])
    lake.compact()
    assert parquet_holding(files, [email]) == {}
    # Nor in the catalog (file statistics keep min/max values).
    catalog = lake.lake.catalog_file.read_bytes().lower()  # type: ignore[union-attr]
    assert email.encode() not in catalog
    with lake.get_connection(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.contacts").fetchone()[0] > 0
        assert con.execute(
            "SELECT count(*) FROM raw.contacts WHERE lower(email) = $email", {"email": email}
        ).fetchone() == (0,)
