"""marts.feedback_themes kept between runs (kind "keys"): a run rewrites only the items whose
who, when, NPS score or text changed, and the table then equals a full rebuild's.

On tiny extracts (tiny_extracts.py, as of 31 Mar): ticket T2 (C4, 20 Mar) carries C4's latest
answer on or before its day, R12 (4 Mar, 8: passive). The delivery of 1 Apr brings a late
answer from C4 dated 15 Mar (2, no comment), which T2 now carries (detractor), and a new
comment from C3. Those two items are rewritten, nothing else. (The sample's new day is compared
with a full rebuild, table for table, in test_features_incremental.py.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from cx_pipeline_tests import tiny_extracts as tiny
from cx_pipeline_tests.conftest import materialize_all, up_to
from cx_pipeline_tests.marts.mart_builds import last_build

THEMES = up_to("marts.feedback_themes")
NEXT = dt.date(2026, 4, 1)


def items(database: Path) -> dict[tuple[str, str], tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "SELECT source, item_id, any_value(nps_score), any_value(nps_category), count(*) "
            "FROM marts.feedback_themes GROUP BY ALL"
        ).fetchall()
    return {(s, i): tuple(rest) for s, i, *rest in rows}


def test_a_late_answer_and_a_new_comment_rewrite_only_their_items(tmp_path: Path) -> None:
    root = tiny.write_tiny_extracts(tmp_path / "extracts")
    database = tmp_path / "cx.duckdb"
    materialize_all(root, database, selection=THEMES)
    before = items(database)
    assert last_build(database, "feedback_themes")[:2] == ("full", "first build")
    assert before[("ticket", "T2")][:2] == (8, "passive")

    tiny.write_crm_snapshot(root, NEXT)
    tiny.write_rows(
        root,
        NEXT,
        "surveys",
        "nps_responses.csv",
        "R16,C4,A3,rel-q1,in_app,2026-03-15T10:00:00Z,2,\n"
        "R17,C3,A2,rel-q2,relationship,2026-04-01T10:00:00Z,6,Pricing is confusing\n",
    )
    materialize_all(root, database, days=(NEXT, NEXT), selection=THEMES)
    after = items(database)
    assert after[("ticket", "T2")][:2] == (2, "detractor")
    assert set(after) - set(before) == {("nps_comment", "R17")}
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed == {("ticket", "T2"), ("nps_comment", "R17")}
    mode, reason, rows_written = last_build(database, "feedback_themes")
    assert (mode, reason) == ("incremental", "keys with changed inputs only")
    assert rows_written == after[("ticket", "T2")][2] + after[("nps_comment", "R17")][2]
