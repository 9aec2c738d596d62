"""What a killed publish leaves behind is removed by the next (the report's snapshot and the
reruns' file size are tested with the readers, in test_publish.py, on the same three runs)."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import duckdb

from cx_pipeline.resources import install_rules
from cx_pipeline.serving.publish import INFO_TABLE, publish
from cx_pipeline_tests.serving.test_publish import SPEC


def test_a_publish_removes_what_killed_publishes_left(tmp_path: Path) -> None:
    target = tmp_path / "serving.duckdb"
    old = time.time() - 3600
    stale = [
        tmp_path / f".serving.duckdb.{uuid.uuid4().hex}.tmp",
        tmp_path / f".serving.duckdb.{uuid.uuid4().hex}.tmp.wal",
        tmp_path / f".parquet.{uuid.uuid4().hex}.tmp",
        tmp_path / f".parquet.{uuid.uuid4().hex}.old",
    ]
    stale[0].write_bytes(b"half a snapshot")
    stale[1].write_bytes(b"its log")
    for folder in stale[2:]:
        folder.mkdir()
        (folder / "voices.parquet").write_bytes(b"x")
    # Not of the pattern, or newer than this process (a publish of its own): kept.
    kept = [
        tmp_path / ".serving.duckdb.notes.tmp",
        tmp_path / "mine.tmp",
        tmp_path / f".other.duckdb.{uuid.uuid4().hex}.tmp",
        tmp_path / f".serving.duckdb.{uuid.uuid4().hex}.tmp",
    ]
    for path in kept:
        path.write_bytes(b"keep")
    for path in [*stale, *kept[:-1]]:
        os.utime(path, (old, old))

    con = duckdb.connect()
    install_rules(con)
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE marts.voices AS "
        "SELECT 'x' AS contact_email, 'y' AS comment, 1 AS score, ['z'] AS quotes"
    )
    published = publish(con, (SPEC,), target, parquet_dir=tmp_path / "parquet", run_id="r1")

    assert sorted(published.removed) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["parquet", "serving.duckdb", *(p.name for p in kept)]
    )
    with duckdb.connect(str(target), read_only=True) as served:
        assert served.execute(f"SELECT run_id FROM marts.{INFO_TABLE}").fetchone() == ("r1",)
