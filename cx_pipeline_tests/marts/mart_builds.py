"""What audit.mart_builds recorded of a maintained mart's latest build."""

from __future__ import annotations

from pathlib import Path

import duckdb

DETAILS = ("rows_written", "days")


def last_build(database: Path, mart: str, detail: str = "rows_written") -> tuple:
    """(mode, reason, detail) of the mart's latest build; detail: rows_written or days."""
    assert detail in DETAILS, detail
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            f"SELECT mode, reason, {detail} FROM audit.mart_builds WHERE mart = $mart "
            "ORDER BY built_at DESC LIMIT 1",
            {"mart": mart},
        ).fetchone()
