"""marts.usage_daily on events worked out by hand: the reporting timezone's day, the as-of
filter, unresolved accounts and contacts kept as rows of their own, counts and latest times.

Reporting timezone America/New_York (UTC-5 until 8 Mar 2026, UTC-4 from then), as of 31 Mar:
  C1 at A1, report_created: 5 Jan 03:00Z     -> 4 Jan 22:00 local: day 4 Jan
                            10 Mar 12:00Z, 10 Mar 15:30Z, 11 Mar 02:00Z (10 Mar 22:00 local)
                                              -> day 10 Mar, 3 events, latest 11 Mar 02:00Z
                            1 Apr 02:00Z      -> 31 Mar 22:00 local: the as-of day, kept
                            1 Apr 05:00Z      -> 1 Apr 01:00 local: after the as-of date, left out
  C1 at A2, report_created: 10 Mar 13:00Z     -> its own row (another account)
  no contact at A1, dashboard_viewed: 12 Mar 10:00Z and 11:00Z -> one row, 2 events
  C2 with no account, signup: 12 Mar 10:00Z   -> a row with a null account
  nobody, signup: 12 Mar 10:00Z               -> a row with both null
So 7 rows holding 10 of the 11 events.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cx_pipeline.marts.builder import build_statements, grain_check, load_spec
from cx_pipeline.resources import Warehouse
from cx_pipeline.sql import execute

AS_OF = dt.date(2026, 3, 31)
UTC = dt.UTC


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


EVENTS = [
    ("C1", "A1", at(1, 5, 3), "report_created"),
    ("C1", "A1", at(3, 10, 12), "report_created"),
    ("C1", "A1", at(3, 10, 15, 30), "report_created"),
    ("C1", "A1", at(3, 11, 2), "report_created"),
    ("C1", "A1", at(4, 1, 2), "report_created"),
    ("C1", "A1", at(4, 1, 5), "report_created"),
    ("C1", "A2", at(3, 10, 13), "report_created"),
    (None, "A1", at(3, 12, 10), "dashboard_viewed"),
    (None, "A1", at(3, 12, 11), "dashboard_viewed"),
    ("C2", None, at(3, 12, 10), "signup"),
    (None, None, at(3, 12, 10), "signup"),
]

EXPECTED = {
    ("A1", "C1", dt.date(2026, 1, 4), "report_created"): (1, at(1, 5, 3)),
    ("A1", "C1", dt.date(2026, 3, 10), "report_created"): (3, at(3, 11, 2)),
    ("A1", "C1", dt.date(2026, 3, 31), "report_created"): (1, at(4, 1, 2)),
    ("A2", "C1", dt.date(2026, 3, 10), "report_created"): (1, at(3, 10, 13)),
    ("A1", None, dt.date(2026, 3, 12), "dashboard_viewed"): (2, at(3, 12, 11)),
    (None, "C2", dt.date(2026, 3, 12), "signup"): (1, at(3, 12, 10)),
    (None, None, dt.date(2026, 3, 12), "signup"): (1, at(3, 12, 10)),
}


def test_usage_daily_by_hand(tmp_path: Path) -> None:
    spec = load_spec("usage_daily")
    warehouse = Warehouse(database=str(tmp_path / "cx.duckdb"), memory_limit="1GB")
    with warehouse.get_connection() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS staging")
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(
            "CREATE TABLE staging.resolved_events (contact_id VARCHAR, account_id VARCHAR, "
            "occurred_at TIMESTAMPTZ, event_name VARCHAR)"
        )
        con.executemany("INSERT INTO staging.resolved_events VALUES (?, ?, ?, ?)", EVENTS)
        for statement in build_statements(spec):  # a full build, as the builder runs it
            execute(con, statement, as_of=AS_OF, timezone="America/New_York", full=True, since=None)
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(
            "SELECT account_id, contact_id, day, event_name, events, last_occurred_at "
            "FROM marts.usage_daily"
        ).fetchall()
        assert grain_check(con, spec).passed
    got = {tuple(r[:4]): (r[4], r[5]) for r in rows}
    assert len(rows) == len(got) == 7
    assert got == EXPECTED
    assert [c[0] for c in spec.columns] == [
        "account_id",
        "contact_id",
        "day",
        "event_name",
        "events",
        "last_occurred_at",
    ]
