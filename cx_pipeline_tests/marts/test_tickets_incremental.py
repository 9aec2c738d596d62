"""marts.ticket_metrics is kept between runs: a run recomputes the tickets whose rows changed
and those still waiting for a reply or a solve, and the table equals a full rebuild's; so is
marts.ticket_status_spans, whose tickets are those whose rows changed.

On tiny extracts, by hand: what a solved ticket, new ones and a changed SLA policy recompute.
On the committed sample, a new day against a full rebuild: test_features_incremental.py (one
set of runs for both kept marts)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb

from cx_pipeline.partitions import range_tags
from cx_pipeline.resources import ExtractStore
from cx_pipeline_tests.conftest import (
    REPO_ROOT,
    all_assets,
    make_resources,
    materialize_all,
    up_to,
)
from cx_pipeline_tests.marts.mart_builds import equal_to_a_full_rebuild, last_build
from cx_pipeline_tests.tiny_extracts import write_tiny_extracts

METRICS = up_to("marts.ticket_metrics")
KEPT = ("ticket_metrics", "ticket_status_spans")


# The tiny extracts (tiny_extracts.py), as of 31 Mar: T1 (solved 2 Mar) and T2 (urgent, open
# since 20 Mar, no reply). The delivery of 1 Apr:
#   T2 arrives replied on 21 Mar and solved on 25 Mar: changed, and it was waiting
#   T3 is new and open; T4 is new, replied to and solved on 2 and 3 Apr, after the as-of day
# Recomputed: T2, T3 and T4 (3 rows); T1 is kept. The same day again: T3, still waiting, and
# T4, whose business minutes reach past the schedule's last window (2 rows). An SLA policy
# changed: every ticket (4 rows).
NEXT = dt.date(2026, 4, 1)


def test_a_solved_and_a_new_ticket_recompute_only_themselves(tmp_path: Path) -> None:
    from cx_pipeline_tests import tiny_extracts as tiny

    root = write_tiny_extracts(tmp_path / "extracts")
    database = tmp_path / "cx.duckdb"
    materialize_all(root, database, selection=METRICS)
    assert last_build(database, "ticket_metrics") == ("full", "first build", 2)

    tiny.write_crm_snapshot(root, NEXT)
    tiny.write_rows(
        root,
        NEXT,
        "support",
        "tickets.csv",
        "T2,A3,C4,2026-03-20T09:00:00Z,2026-03-21T09:00:00Z,2026-03-25T09:00:00Z,chat,urgent,"
        "solved,outage,Dashboard down,Nothing loads,2\n"
        "T3,A1,C1,2026-03-31T15:00:00Z,,,email,normal,open,billing,Refund,Where is it?,\n"
        "T4,A1,C1,2026-03-31T16:00:00Z,2026-04-02T09:00:00Z,2026-04-03T09:00:00Z,email,low,"
        "solved,billing,VAT,Fixed now,4\n",
    )
    materialize_all(root, database, days=(NEXT, NEXT), selection=METRICS)
    assert last_build(database, "ticket_metrics") == (
        "incremental",
        "keys with changed inputs only",
        3,
    )
    with duckdb.connect(str(database), read_only=True) as con:
        solved = con.execute(
            "SELECT last_solved_at IS NOT NULL, first_reply_calendar_minutes "
            "FROM marts.ticket_metrics WHERE ticket_id = 'T2'"
        ).fetchone()
    assert solved == (True, 24 * 60)
    # Their status stretches too (ticket_status_spans, kept by ticket): T2 and T4 solved now,
    # open then solved (2 each); T3 open (1). T1's are kept.
    assert last_build(database, "ticket_status_spans") == (
        "incremental",
        "keys with changed inputs only",
        5,
    )

    materialize_all(root, database, days=(NEXT, NEXT), selection=METRICS)
    assert last_build(database, "ticket_status_spans")[2] == 0  # the same rows again
    # T3 waits on; T4 was solved after the as-of day.
    assert last_build(database, "ticket_metrics")[2] == 2
    equal_to_a_full_rebuild(database, root, (NEXT, NEXT), METRICS, KEPT)

    # A policy every ticket reads changed (its reference file, as a user edits it).
    reference = tmp_path / "reference"
    shutil.copytree(REPO_ROOT / "data" / "reference", reference)
    policies = reference / "sla_policies.csv"
    policies.write_text(policies.read_text().replace("urgent,60,", "urgent,90,"))
    resources = make_resources(root, database)
    resources["extracts"] = ExtractStore(root=str(root), reference_root=str(reference))
    assert dg.materialize(
        all_assets(), resources=resources, selection=METRICS, tags=range_tags(NEXT, NEXT)
    ).success
    assert last_build(database, "ticket_metrics")[2] == 4
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute(
            "SELECT first_reply_target_minutes FROM marts.ticket_metrics WHERE ticket_id = 'T2'"
        ).fetchone() == (90,)
