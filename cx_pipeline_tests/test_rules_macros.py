"""The business rules kept in the warehouse file as macros: written once per release, used as
they are by later connections, replaced (and only the pipeline's own dropped) when rules.sql
changes, and temporary where the file cannot hold them."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cx_pipeline import resources
from cx_pipeline.privacy.erasure import compact
from cx_pipeline.resources import RULE_NAMES, RULES_DIGEST, Warehouse, stored_rules


def stored_macros(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            name
            for (name,) in con.execute(
                "SELECT function_name FROM duckdb_functions() WHERE function_type = 'macro' "
                "AND NOT internal AND schema_name = 'main' AND database_name = current_database()"
            ).fetchall()
        }


def test_the_first_writer_stores_the_rules_and_readers_use_them(tmp_path: Path) -> None:
    path = tmp_path / "cx.duckdb"
    warehouse = Warehouse(database=str(path))
    with warehouse.get_connection() as con:
        assert stored_rules(con) == (RULES_DIGEST, list(RULE_NAMES))
    assert stored_macros(path) == {*RULE_NAMES, resources.STORED_RULES_MACRO}
    with warehouse.get_connection(read_only=True) as con:
        assert con.execute("SELECT nps_category(9), nps_category(6)").fetchone() == (
            "promoter",
            "detractor",
        )
        # The one macro that calls Python works too: the function is registered per connection.
        assert con.execute("SELECT mask_contact_details('mail ann@x.example')").fetchone() == (
            "mail [email]",
        )
    # A SQL client without the pipeline still has the plain rules.
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT nps_category(8)").fetchone() == ("passive",)


def test_a_new_release_replaces_its_own_macros_and_keeps_a_users(tmp_path: Path) -> None:
    path = tmp_path / "cx.duckdb"
    warehouse = Warehouse(database=str(path))
    with warehouse.get_connection():
        pass
    # As an older release would have left it: another digest, a rule this release dropped, an
    # old body of a rule it kept; and a macro a user made in a SQL client.
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE MACRO main.retired_rule(x) AS x + 1")
        con.execute("CREATE OR REPLACE MACRO main.nps_category(score) AS 'old'")
        con.execute("CREATE MACRO main.my_own(x) AS x * 2")
        con.execute(
            f"CREATE OR REPLACE MACRO main.{resources.STORED_RULES_MACRO}() AS "
            "{'digest': 'older', 'macros': ['nps_category', 'retired_rule']}"
        )
    # A reader of the older file gets this release's rules, as temporary macros.
    with warehouse.get_connection(read_only=True) as con:
        assert con.execute("SELECT nps_category(10)").fetchone() == ("promoter",)
    with warehouse.get_connection() as con:
        assert stored_rules(con) == (RULES_DIGEST, list(RULE_NAMES))
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT nps_category(10), my_own(2)").fetchone() == ("promoter", 4)
    assert "retired_rule" not in stored_macros(path)


def test_a_lake_gets_temporary_rules(tmp_path: Path) -> None:
    lake = Warehouse(database=f"ducklake:{tmp_path / 'cx.ducklake'}")
    with lake.get_connection() as con:
        assert stored_rules(con) is None
        assert con.execute("SELECT nps_category(9)").fetchone() == ("promoter",)


def test_compacting_the_file_keeps_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "cx.duckdb"
    with Warehouse(database=str(path)).get_connection() as con:
        con.execute("CREATE TABLE marts.t AS SELECT 1 AS x")
    compact(path)
    assert stored_macros(path) == {*RULE_NAMES, resources.STORED_RULES_MACRO}
