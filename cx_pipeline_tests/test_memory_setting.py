"""CX_MEMORY_LIMIT is the process's ceiling: DuckDB's own limit is what is left of it once the
rest of the process (CX_MEMORY_RESERVE) is set aside."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx_pipeline import settings
from cx_pipeline.resources import Warehouse, duckdb_memory_limit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4GB", 4_000_000_000),
        ("2500MB", 2_500_000_000),
        ("3GiB", 3 * 1024**3),
        ("1.5 gb", 1_500_000_000),
        ("4G", 4_000_000_000),
        (".5GB", 500_000_000),
        ("none", None),
        ("-1", None),
    ],
)
def test_amounts_are_read_in_duckdbs_units(text: str, expected: int | None) -> None:
    assert settings.memory_bytes(text) == expected


@pytest.mark.parametrize("text", ["lots", "80%", "4 GBs", "512", ""])
def test_other_amounts_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="amount of memory"):
        settings.MEMORY_LIMIT.parse(text)


def test_a_limit_too_small_to_run_is_refused_and_no_limit_is_kept() -> None:
    with pytest.raises(ValueError, match="at least 256MB"):
        settings.MEMORY_LIMIT.parse("100MB")
    assert settings.MEMORY_LIMIT.parse(settings.MEMORY_LIMIT.default) == "4GB"
    # DuckDB's "no limit" is no ceiling to share.
    assert duckdb_memory_limit("none", "1GB") == "none"


def test_duckdb_gets_the_limit_less_the_reserve_but_at_least_half() -> None:
    """Over DuckDB's overshoot (1.25): what it may use of its limit beyond the limit itself."""
    # (4 GB - 1 GB) / 1.25 = 2,400,000,000 bytes = 2288 MiB (rounded down).
    assert duckdb_memory_limit("4GB", "1GB") == "2288MiB"
    # 1 GB - 1 GB leaves nothing: half of 1 GB, 500,000,000 / 1.25 bytes = 381 MiB.
    assert duckdb_memory_limit("1GB", "1GB") == "381MiB"
    # (3 GiB - 512 MiB) / 1.25 = 2048 MiB.
    assert duckdb_memory_limit("3GiB", "512MiB") == "2048MiB"


def test_the_connections_get_duckdbs_share(tmp_path: Path) -> None:
    warehouse = Warehouse(
        database=str(tmp_path / "cx.duckdb"), memory_limit="3GiB", memory_reserve="1GiB"
    )
    with warehouse.get_connection() as con:
        (limit,) = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert limit == "1.5 GiB"  # (3 GiB - 1 GiB) / 1.25 = 1638 MiB, shown rounded down
