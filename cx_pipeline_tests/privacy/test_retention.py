"""Retention end to end: rows delivered before the retention period are purged from raw, and
from everything built on it, and (when asked) the expired extract folders go too.

The purge starts from a copy of the session's sample warehouse, its serving file and report (a
run over the same extracts): the run itself is proven elsewhere, and paying it again here cost
a minute."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from cx_pipeline_tests.conftest import SAMPLE_ROOT
from cx_pipeline_tests.privacy.test_erasure import cli
from cx_pipeline_tests.value_search import found_everywhere


def test_expired_deliveries_are_purged_everywhere(tmp_path: Path, sample_warehouse: Path) -> None:
    root = tmp_path / "extracts"
    shutil.copytree(SAMPLE_ROOT, root)
    for name in ("cx.duckdb", "cx_serving.duckdb", "cx_report.html"):
        shutil.copy(sample_warehouse.with_name(name), tmp_path / name)
    env = {
        **os.environ,
        "CX_EXTRACT_ROOT": str(root),
        "CX_WAREHOUSE": str(tmp_path / "cx.duckdb"),
        "CX_SERVING_PATH": str(tmp_path / "cx_serving.duckdb"),
        "CX_REPORT_PATH": str(tmp_path / "cx_report.html"),
        "CX_SERVING_PARQUET_DIR": str(tmp_path / "parquet"),
        "CX_SERVING_PERSONAL_DATA": "clear",
    }
    with duckdb.connect(str(tmp_path / "cx.duckdb"), read_only=True) as con:
        # An answer delivered with the first delivery only, and its comment.
        response_id, comment = con.execute(
            "SELECT response_id, comment FROM raw.nps_responses "
            "WHERE _delivery_date = DATE '2026-10-29' AND length(comment) > 40 "
            "ORDER BY response_id LIMIT 1"
        ).fetchone()
        (kept,) = con.execute(
            "SELECT count(*) FROM raw.nps_responses WHERE _delivery_date = DATE '2026-10-31'"
        ).fetchone()

    # Before the purge, the old answer is in every layer of the warehouse and in the serving file.
    before = found_everywhere(tmp_path, [response_id])
    assert {"raw.nps_responses", "staging.nps_responses", "marts.nps_answers"} <= set(before)
    assert "serving:marts.nps_answers" in before, before

    env |= {"CX_RETENTION_DAYS": "1", "CX_RETENTION_DELETE_EXTRACTS": "true"}
    output = cli(env, "purge", "--today", "2026-11-01")
    assert "kept deliveries from 2026-10-31" in output

    with duckdb.connect(str(tmp_path / "cx.duckdb"), read_only=True) as con:
        days = con.execute("SELECT DISTINCT _delivery_date::VARCHAR FROM raw.accounts").fetchall()
        staged = con.execute("SELECT count(*) FROM staging.nps_responses").fetchone()
    assert days == [("2026-10-31",)]
    assert staged == (kept,)
    assert found_everywhere(tmp_path, [response_id, comment]) == {}
    # The rebuild wrote the Parquet export too (its folder was checked above, not missing).
    assert any((tmp_path / "parquet").glob("*.parquet"))
    assert sorted(p.name for p in (root / "surveys").iterdir()) == ["2026-10-31"]


def test_no_retention_keeps_everything(tmp_path: Path) -> None:
    env = {**os.environ, "CX_WAREHOUSE": str(tmp_path / "cx.duckdb"), "CX_RETENTION_DAYS": "0"}
    assert "nothing expires" in cli(env, "purge")
