"""Tiny extracts for the onboarding moments, with every figure worked out by hand.

The CRM is that of tiny_extracts (as of 2026-03-31). Settings of the test: milestones
any_event, user_invited, active_users:2; window 7 days; retained = a customer 90 days after
customer_since; time to value = user_invited.

customer_since (marts.customer_spells) and fate at customer_since + 7 and + 90 days:
  A1  2025-10-15   active 22 Oct   active 13 Jan (S1 never ends)              retained
  A2  2025-10-20   active 27 Oct   ended 10 Jan, so not on 18 Jan              lost
  A3  2025-11-05   active 12 Nov   3 Feb: S4 (1 Feb - 15 Apr) runs             retained
  A4  2025-12-03   active 10 Dec   ended 20 Dec, so not on 3 Mar               lost
  A6  2025-10-01   before the first event of the history (10 Oct): left out of the retention
  (every customer_since + 90 is before the as-of date, so the other four are measured)

Events (UTC) and the milestones (days from customer_since; early = at most 7):
  E01 C6 (A6) 10 Oct login: the first event of the history      A6 any_event day 9
  E02 C1 (A1) 16 Oct login                                       A1 any_event day 1 early
  E03 C1 (A1) 20 Oct user_invited                                A1 user_invited day 5 early
  E04 C2 (A1) 22 Oct 23:30 login: A1's second user               A1 active_users:2 day 7 early
  E05 C3 (A2) 19 Oct login, a day before its subscription        A2 any_event day -1 early
  E06 C3 (A2) 28 Oct user_invited                                A2 user_invited day 8, late
  E07 C4 (A3) 6 Nov login                                        A3 any_event day 1 early
  E08 C4 (A3) 7 Nov user_invited                                 A3 user_invited day 2 early
  E09 --  (A4) 5 Dec login without a contact: the account's      A4 any_event day 2 early
      first event, but no user                                   (A4: no user_invited, no users)

milestone_retention over A1 A2 A3 A4 (retained: A1 A3):
  any_event       reached early A1 A2 A3 A4 = 4, retained 2 (50%); median days (1,-1,1,2) = 1;
                  not reached 0: no retention, lift or test
  user_invited    reached A1 A3: 2/2 retained (100%); not reached A2 A4: 0/2 (0%); lift 100;
                  pooled share 2/4: z = (1 - 0) / sqrt(.25 x (1/2 + 1/2)) = 2, p = 0.0455003;
                  median days (5, 2) = 3.5
  active_users:2  reached A1: 1/1 (100%); not reached A2 A3 A4: 1/3 (A3); lift 66.67;
                  z = (1 - 1/3) / sqrt(.25 x (1 + 1/3)) = 1.1547005, p = 0.2482131; median 7
  Holm over the two p-values: 2 x 0.0455003 = 0.0910006, then max(0.0910006, 0.2482131)
  No cornerstone: 0.091 is not below 0.05.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

SETTINGS = {
    "onboarding_milestones": "any_event,user_invited,active_users:2",
    "onboarding_value_milestone": "user_invited",
    "onboarding_window_days": 7,
    "onboarding_retention_days": 90,
}

# (event_id, contact_id, account_id, UTC time, event_name)
EVENTS: tuple[tuple[str, str | None, str, dt.datetime, str], ...] = (
    ("E01", "C6", "A6", dt.datetime(2025, 10, 10, 9), "login"),
    ("E02", "C1", "A1", dt.datetime(2025, 10, 16, 9), "login"),
    ("E03", "C1", "A1", dt.datetime(2025, 10, 20, 9), "user_invited"),
    ("E04", "C2", "A1", dt.datetime(2025, 10, 22, 23, 30), "login"),
    ("E05", "C3", "A2", dt.datetime(2025, 10, 19, 10), "login"),
    ("E06", "C3", "A2", dt.datetime(2025, 10, 28, 10), "user_invited"),
    ("E07", "C4", "A3", dt.datetime(2025, 11, 6, 10), "login"),
    ("E08", "C4", "A3", dt.datetime(2025, 11, 7, 10), "user_invited"),
    ("E09", None, "A4", dt.datetime(2025, 12, 5, 10), "login"),
)


def write_onboarding_extracts(root: Path) -> Path:
    """The tiny CRM, answers and tickets, with this module's events instead of tiny's."""
    write_tiny_extracts(root)
    pl.DataFrame(
        {
            "event_id": [e[0] for e in EVENTS],
            "contact_id": [e[1] for e in EVENTS],
            "account_id": [e[2] for e in EVENTS],
            "occurred_at": [e[3].replace(tzinfo=dt.UTC) for e in EVENTS],
            "event_name": [e[4] for e in EVENTS],
            "session_id": [f"s{e[0]}" for e in EVENTS],
            "properties": ["{}"] * len(EVENTS),
        }
    ).write_parquet(root / "analytics" / DELIVERY / "events.parquet")
    return root
