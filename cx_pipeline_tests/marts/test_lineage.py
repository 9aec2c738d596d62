"""Every mart depends on exactly what it reads: a SQL mart on the tables its SQL names (parsed by
DuckDB's own parser), a computed mart on what it declares, checked against what it reads."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cx_pipeline import catalog
from cx_pipeline.definitions import defs
from cx_pipeline.marts.assets import ALL_MART_SPECS, COMPUTED_MARTS, MART_SPECS
from cx_pipeline.marts.builder import (
    AS_OF_SOURCE,
    MartSpec,
    ReadRecorder,
    build_mart_asset,
    sql_parameters,
)
from cx_pipeline.resources import CxSettings, install_rules
from cx_pipeline.sql import tables_read
from cx_pipeline_tests.conftest import make_resources


def test_tables_read_finds_every_statement_kind() -> None:
    sql = """
    -- a header comment
    CREATE OR REPLACE TEMP TABLE items AS
    WITH recent AS (SELECT * FROM staging.tickets WHERE created_at > $since)
    SELECT r.*, a.name FROM recent AS r JOIN staging.accounts AS a USING (account_id);
    CREATE TABLE IF NOT EXISTS marts._cache (text_hash VARCHAR, score DOUBLE);
    DELETE FROM marts._cache WHERE text_hash NOT IN (SELECT text_hash FROM raw.lexicon);
    INSERT INTO marts._cache (text_hash, score)
        SELECT text_hash, 1.0 FROM items WHERE text_hash IN (SELECT h FROM staging.hashes);
    COMMENT ON TABLE marts._cache IS 'working table';
    CREATE OR REPLACE TABLE marts.themes AS
    SELECT * FROM items JOIN marts._cache USING (text_hash)
    WHERE EXISTS (SELECT 1 FROM marts.nps_answers AS n WHERE n.account_id = items.account_id);
    """
    # CTEs and temporary tables are not inputs, nor is the cache the statements write themselves.
    assert tables_read(sql) == {
        ("staging", "tickets"),
        ("staging", "accounts"),
        ("raw", "lexicon"),
        ("staging", "hashes"),
        ("marts", "nps_answers"),
    }


def test_tables_read_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="cannot tell what this statement reads"):
        tables_read("UPDATE marts.x SET a = (SELECT 1 FROM staging.y)")


def test_every_sql_mart_depends_on_exactly_the_tables_its_sql_reads() -> None:
    """The old hand-kept lists missed churn_examples' read of subscription_days; now the graph
    is the SQL, and a table no asset makes fails here."""
    graph = defs.resolve_asset_graph()
    known = set(graph.get_all_asset_keys())
    for spec in MART_SPECS:
        assert spec.deps == (), f"{spec.name}: a SQL mart's inputs come from its SQL"
        read = {catalog.key(*table) for table in tables_read(spec.sql)}
        parents = set(graph.get(catalog.key("marts", spec.name)).parent_keys)
        assert parents == read | {AS_OF_SOURCE}, spec.name
        assert read <= known, f"{spec.name} reads tables no asset makes: {read - known}"
    churn_examples = graph.get(catalog.key("marts", "churn_examples")).parent_keys
    assert catalog.key("marts", "subscription_days") in churn_examples


def test_every_mart_has_a_grain() -> None:
    for spec in ALL_MART_SPECS:
        documented = {c for c, _, _ in spec.columns}
        assert spec.grain, f"{spec.name} has no grain"
        assert set(spec.grain) <= documented, spec.name


@pytest.mark.parametrize("spec", [s for s, _ in COMPUTED_MARTS], ids=lambda s: s.name)
def test_computed_marts_read_exactly_what_they_declare(
    spec: MartSpec, sample_warehouse: Path
) -> None:
    compute = dict((s.name, c) for s, c in COMPUTED_MARTS)[spec.name]
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        install_rules(con)
        recorder = ReadRecorder(con)
        compute(recorder, sql_parameters(con, CxSettings()))  # type: ignore[arg-type]
    assert recorder.asset_keys() == set(spec.deps)


def test_a_computed_mart_that_reads_an_undeclared_table_fails(tmp_path: Path) -> None:
    warehouse = tmp_path / "cx.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA staging")
        con.execute("CREATE TABLE marts.customer_months AS SELECT 1 AS n")
        con.execute("CREATE TABLE marts.subscription_days AS SELECT 2 AS n")
    spec = MartSpec(
        name="reads_too_much",
        description="Reads a table it does not declare.",
        columns=(("n", "INTEGER", "A number."),),
        deps=(catalog.key("marts", "customer_months"),),
        grain=("n",),
    )

    def compute(con: duckdb.DuckDBPyConnection, parameters: dict) -> object:
        return con.execute("SELECT n FROM marts.subscription_days").pl()

    result = dg.materialize(
        [build_mart_asset(spec, compute)],
        resources=make_resources(tmp_path / "extracts", warehouse, as_of="2026-01-31"),
        raise_on_error=False,
    )
    assert not result.success
    failure = result.get_step_failure_events()[0].event_specific_data.error
    assert "marts/subscription_days, which its spec does not declare" in str(failure)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert not con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'reads_too_much'"
        ).fetchone()[0]


def test_a_grain_check_counts_duplicated_and_null_keys(tmp_path: Path) -> None:
    warehouse = tmp_path / "cx.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA staging")
    spec = MartSpec(
        name="fanned_out",
        description="Two rows for one key, one without a key.",
        columns=(("k", "VARCHAR", "Key."), ("v", "INTEGER", "Value.")),
        deps=(catalog.key("staging", "accounts"),),
        grain=("k",),
    )

    def compute(con: duckdb.DuckDBPyConnection, parameters: dict) -> object:
        import polars as pl

        return pl.DataFrame({"k": ["a", "a", "b", None], "v": [1, 2, 3, 4]})

    result = dg.materialize(
        [build_mart_asset(spec, compute)],
        resources=make_resources(tmp_path / "extracts", warehouse, as_of="2026-01-31"),
        raise_on_error=False,
    )
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert check.metadata["duplicated_rows"].value == 2
    assert check.metadata["rows_with_null_grain"].value == 1


def test_a_computed_mart_cannot_read_around_the_recorder() -> None:
    with duckdb.connect() as con:
        recorder = ReadRecorder(con)
        with pytest.raises(AttributeError, match="reads through execute"):
            recorder.sql("SELECT 1")
        assert recorder.execute("SELECT 1").fetchall() == [(1,)]
