"""marts.account_features kept between runs: a run computes only the cut-offs its changes can
reach, and the table then equals a full rebuild's, row for row.

On the committed sample (with marts.ticket_metrics, also kept): days 29 and 30 Oct first (a
full build), then the delivery of 31 Oct (new tickets, answers, events and CRM snapshots; the
as-of date moves a day, so yesterday's as-of rows go and today's come). On tiny extracts, by
hand: what one changed ticket, one new answer and one changed account attribute recompute, and
what they leave alone.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from cx_pipeline_tests.conftest import SAMPLE_ROOT, materialize_all, up_to
from cx_pipeline_tests.marts.mart_builds import equal_to_a_full_rebuild, last_build
from cx_pipeline_tests.tiny_extracts import write_tiny_extracts

FEATURES = up_to("marts.account_features")


def test_a_new_day_on_the_sample_equals_a_full_rebuild(tmp_path: Path) -> None:
    """account_features, and ticket_metrics, feedback_themes and invitation_outcomes beside it
    (test_tickets_incremental.py): all kept, all equal to a full rebuild's, one set of runs."""
    database = tmp_path / "cx.duckdb"
    first, last = dt.date(2026, 10, 29), dt.date(2026, 10, 31)
    both = (
        FEATURES
        | up_to("marts.ticket_metrics")
        | up_to("marts.feedback_themes")
        | up_to("marts.invitation_outcomes")
    )
    materialize_all(
        SAMPLE_ROOT, database, days=(first, last - dt.timedelta(days=1)), selection=both
    )
    assert last_build(database, "account_features")[:2] == ("full", "first build")
    assert last_build(database, "ticket_metrics")[:2] == ("full", "first build")

    materialize_all(SAMPLE_ROOT, database, days=(last, last), selection=both)
    mode, reason, rows_written = last_build(database, "account_features")
    assert (mode, reason) == ("incremental", "changed inputs, usage days and new cut-offs only")
    ticket_mode, ticket_reason, tickets_written = last_build(database, "ticket_metrics")
    assert (ticket_mode, ticket_reason) == ("incremental", "keys with changed inputs only")
    item_mode, item_reason, items_written = last_build(database, "feedback_themes")
    assert (item_mode, item_reason) == ("incremental", "keys with changed inputs only")
    sent_mode, sent_reason, sent_written = last_build(database, "invitation_outcomes")
    assert (sent_mode, sent_reason) == (
        "incremental",
        "keys with changed inputs or usage days only",
    )

    kept = (
        "account_features",
        "ticket_metrics",
        "ticket_status_spans",
        "feedback_themes",
        "invitation_outcomes",
    )
    full = equal_to_a_full_rebuild(database, SAMPLE_ROOT, (last, last), both, kept)
    with duckdb.connect(str(full), read_only=True) as con:
        total, tickets, items, sent = con.execute(
            "SELECT (SELECT count(*) FROM marts.account_features), "
            "(SELECT count(*) FROM marts.ticket_metrics), "
            "(SELECT count(*) FROM marts.feedback_themes), "
            "(SELECT count(*) FROM marts.invitation_outcomes)"
        ).fetchone()
    # Far fewer rows recomputed than a full build writes.
    assert 0 < rows_written < total / 5, (rows_written, total)
    assert 0 < tickets_written < tickets / 5, (tickets_written, tickets)
    assert 0 < items_written < items / 5, (items_written, items)
    assert 0 < sent_written < sent / 5, (sent_written, sent)


# The tiny extracts (tiny_extracts.py, reporting timezone UTC), as of 31 Mar: 31 cut-offs.
#   month ends, active accounts: A1 Oct-Mar (6), A2 Oct-Dec (3), A3 Nov-Mar (5), A6 Oct-Feb (5)
#   the as-of date 31 Mar: A1 and A3, already month ends
#   the eve of each answer: A1 1 Dec, 4 Jan, 2 Mar (31 Dec is a month end); A2 4 Dec, 5 Jan;
#     A3 9 Dec, 6 Jan, 3 Mar; A4 30 Jan; A6 30 Dec, 7 Jan, 4 Mar
# The delivery of 1 Apr (as-of 1 Apr):
#   T2 (A3, urgent, created 20 Mar, open) arrives solved on 25 Mar: A3's cut-offs from 20 Mar
#     on: 31 Mar (its open escalations there fall from 1 to 0)
#   R15 from C6 (A6) on 1 Apr, score 3: a new cut-off, A6 31 Mar
#   A2 now has 350 employees (was 300): all of A2's 5 cut-offs
#   the new as-of date: A1 and A3 on 1 Apr (S6 ended 31 Mar, S4 runs to 15 Apr)
# Recomputed: 1 + 1 + 5 + 2 = 9 rows; kept: 31 - 1 - 5 = 25; table: 34 rows.
NEXT = dt.date(2026, 4, 1)


def deliver_next_day(root: Path) -> None:
    from cx_pipeline_tests import tiny_extracts as tiny

    tiny.write_crm_snapshot(
        root, NEXT, tiny.ACCOUNTS.replace("Retail,EMEA,DE,300", "Retail,EMEA,DE,350")
    )
    tiny.write_rows(
        root,
        NEXT,
        "support",
        "tickets.csv",
        "T2,A3,C4,2026-03-20T09:00:00Z,2026-03-21T09:00:00Z,2026-03-25T09:00:00Z,chat,urgent,"
        "solved,outage,Dashboard down,Nothing loads,2\n",
    )
    tiny.write_rows(
        root,
        NEXT,
        "surveys",
        "nps_responses.csv",
        "R15,C6,A6,rel-q2,relationship,2026-04-01T10:00:00Z,3,\n",
    )


def features(database: Path) -> dict[tuple[str, dt.date], tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "SELECT account_id, feature_day, employees, open_escalations "
            "FROM marts.account_features"
        ).fetchall()
    return {(a, d): tuple(rest) for a, d, *rest in rows}


def test_a_changed_ticket_answer_and_account_recompute_only_what_they_reach(
    tmp_path: Path,
) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    database = tmp_path / "cx.duckdb"
    materialize_all(root, database, selection=FEATURES)
    before = features(database)
    assert len(before) == 31
    assert before[("A3", dt.date(2026, 3, 31))] == (2000, 1)

    deliver_next_day(root)
    materialize_all(root, database, days=(NEXT, NEXT), selection=FEATURES)
    assert last_build(database, "account_features") == (
        "incremental",
        "changed inputs, usage days and new cut-offs only",
        9,
    )
    after = features(database)
    assert len(after) == 34
    assert after[("A3", dt.date(2026, 3, 31))] == (2000, 0)
    assert {k for k in after if k not in before} == {
        ("A1", NEXT),
        ("A3", NEXT),
        ("A6", dt.date(2026, 3, 31)),
    }
    assert {v[0] for k, v in after.items() if k[0] == "A2"} == {350}

    # The same day again: nothing changed, nothing recomputed.
    materialize_all(root, database, days=(NEXT, NEXT), selection=FEATURES)
    assert last_build(database, "account_features")[2] == 0

    equal_to_a_full_rebuild(database, root, (NEXT, NEXT), FEATURES, ("account_features",))


def test_usage_days_come_from_usage_daily_s_builds_since_and_a_skip_counts_only_once() -> None:
    """What usage_daily did since account_features' last build (at 10:00) decides: the days
    it replaced; full after a full build; a skip after a build took its rows away (full), a
    skip after a skip (no analytics delivered, run after run) changed nothing."""
    from cx_pipeline.marts.incremental import MartPlan, _usage_plan
    from cx_pipeline.staging.incremental import prepare

    built = dt.datetime(2026, 4, 1, 10, tzinfo=dt.UTC)

    def plan_after(*usage: tuple[int, str, list[dt.date] | None]) -> MartPlan:
        with duckdb.connect() as con:
            con.execute("CREATE SCHEMA audit")
            prepare(con)
            for hour, mode, days in usage:
                con.execute(
                    "INSERT INTO audit.mart_builds (mart, built_at, mode, reason, days) "
                    "VALUES ('usage_daily', $at, $mode, $mode, $days)",
                    {"at": built.replace(hour=hour), "mode": mode, "days": days},
                )
            return _usage_plan(con, built, lambda reason: MartPlan(True, reason), "days")

    d1, d2 = dt.date(2026, 3, 30), dt.date(2026, 3, 31)
    assert plan_after((9, "full", None), (11, "incremental", [d2]), (12, "incremental", [d1])) == (
        MartPlan(False, "days", (d1, d2))
    )
    assert plan_after((9, "incremental", [d1]), (11, "full", None)).full
    assert plan_after((9, "full", None), (11, "skipped", None)).full
    assert not plan_after((9, "skipped", None), (11, "skipped", None)).full
    assert plan_after((9, "skipped", None), (11, "skipped", None), (12, "full", None)).full
