"""The tiny extracts (tiny_extracts.py) with tickets, events and one answer added where the health
score's old inputs and the shared point-in-time features (marts.account_features) disagreed,
each worked out by hand. Built as of 2026-03-20 (a day inside March, so the last day of the
latest complete month, 28 Feb, is not a month's eve the churn model predicts from), UTC.

Active on 28 Feb: A1, A3, A6 (S7 ends 1 Mar). Active on 20 Mar: A1, A3 (A6 is gone).

Tickets of A1 (T1 as in the tiny set: normal, created 1 Mar, solved 2 Mar, CSAT 5):
  T3  normal, created 1 Sep 2025, solved 15 Mar, CSAT 1: created before the 180 days to 20 Mar
      (from 21 Sep), solved inside them. CSAT counts by solve: in (counting by creation, the old
      features' rule, dropped it).
  T4  urgent, created 1 Dec 2025, still open: open on 28 Feb and 20 Mar, but created before the
      90 days to 20 Mar (from 21 Dec). An open escalation (the old health rule) without being a
      recent one (the old features' rule).
  T5  high, created 5 Mar, solved 6 Mar, CSAT 4: a recent escalation, not open on 20 Mar.
  On 20 Mar: tickets in 90 days T1 T5 = 2; escalations created in 90 days 1 (T5); open 1 (T4);
    CSAT of tickets solved in 180 days (T1 5, T3 1, T5 4) = 10/3 (old features: 4.5).
    support 100 - 25 x 1 - 5 x 2 = 65; csat (10/3 - 1) / 4 x 100 = 175/3 = 58.33
  On 28 Feb: tickets in 90 days (from 1 Dec) T4 = 1, escalation created 1, open 1; nothing
    solved yet (T3 on 15 Mar) -> no CSAT. support 100 - 25 - 5 = 70; csat 50.

Answers of A1: R11 = 7 on 3 Mar 10:00 (tiny set) and R14 = 9 on 3 Mar 08:00, the same day but
  earlier, with the higher response_id: the latest answer is R11 (by time), not R14 (by day,
  then id: the old features' order). 20 Mar: nps 70. 28 Feb: latest R06 = 9 -> 90.

Events (tiny set: A1 10 and 11 Mar by C1 and C2, A3 12 Mar by C4), added:
  E4 A1 C1 10 Feb; E5, E6 A3 C4 12 and 13 Feb; E7, E8 A6 with no contact 20 and 21 Feb.
  28 Feb, window 30 Jan - 28 Feb, nothing in the 30 days before (trend 100%):
    A1 1 event, 1 user: 1 per user; A3 2 events, 1 user: 2; A6 2 events, no user: no intensity.
    The median is of the accounts with a user: (1 + 2) / 2 = 1.5 (with A6's 0 it would be 1).
    usage A1 50 + 50 x 1 / 1.5 = 83.33; A3 50 + 50 = 100; A6 50 + 0 = 50.
  20 Mar, window 19 Feb - 20 Mar, previous 20 Jan - 18 Feb:
    A1 2 events (2 users: 1 per user), previous 1 -> trend 100% -> usage 100
    A3 1 event (1 user: 1), previous 2 -> trend 50% -> usage 25 + 50 = 75
Scores:
  A1 20 Mar: 0.35 x 100 + 0.30 x 70 + 0.20 x 65 + 0.15 x 175/3 = 35 + 21 + 13 + 8.75 = 77.75
  A1 28 Feb: 0.35 x 250/3 + 0.30 x 90 + 0.20 x 70 + 0.15 x 50 = 29.17 + 27 + 14 + 7.5 = 77.67
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from cx_pipeline_tests.tiny_extracts import DELIVERY, NPS_RESPONSES, write_tiny_extracts

AS_OF = "2026-03-20"

TICKETS = """ticket_id,account_id,contact_id,created_at,first_response_at,solved_at,channel,priority,status,category,subject,description,csat_score
T1,A1,C2,2026-03-01T09:00:00Z,2026-03-01T09:30:00Z,2026-03-02T09:00:00Z,email,normal,solved,billing,Invoice question,Where is my invoice?,5
T2,A3,C4,2026-03-20T09:00:00Z,,,chat,urgent,open,outage,Dashboard down,Nothing loads,
T3,A1,C1,2025-09-01T09:00:00Z,2025-09-01T10:00:00Z,2026-03-15T09:00:00Z,email,normal,solved,bug,Export broken,Exports fail,1
T4,A1,C2,2025-12-01T09:00:00Z,2025-12-01T09:30:00Z,,email,urgent,open,outage,Sync down,Nothing syncs,
T5,A1,C1,2026-03-05T09:00:00Z,2026-03-05T09:30:00Z,2026-03-06T09:00:00Z,chat,high,solved,bug,Slow reports,Reports time out,4
"""  # noqa: E501 (one CSV row a line)

EXTRA_ANSWER = "R14,C2,A1,rel-q1,in_app,2026-03-03T08:00:00Z,9,\n"


def write_health_extracts(root: Path) -> Path:
    """Write the extracts under `root` and return `root`."""
    write_tiny_extracts(root, nps_responses=NPS_RESPONSES + EXTRA_ANSWER)
    (root / "support" / DELIVERY / "tickets.csv").write_text(TICKETS)
    events_file = root / "analytics" / DELIVERY / "events.parquet"
    added = pl.DataFrame(
        {
            "event_id": ["E4", "E5", "E6", "E7", "E8"],
            "contact_id": ["C1", "C4", "C4", None, None],
            "account_id": ["A1", "A3", "A3", "A6", "A6"],
            "occurred_at": [
                dt.datetime(2026, 2, day, 12, tzinfo=dt.UTC) for day in (10, 12, 13, 20, 21)
            ],
            "event_name": ["login", "login", "report_created", "login", "login"],
            "session_id": ["s4", "s5", "s6", "s7", "s8"],
            "properties": [None] * 5,
        },
        schema_overrides={"contact_id": pl.String, "properties": pl.String},
    )
    pl.concat([pl.read_parquet(events_file), added], how="vertical_relaxed").write_parquet(
        events_file
    )
    return root
