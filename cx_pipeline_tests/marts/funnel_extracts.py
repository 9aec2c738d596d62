"""Tiny extracts for the journey funnel, with every count worked out by hand.

The CRM is that of tiny_extracts (as of 2026-03-31): C1, C2 at A1 (North America, SMB), C3 at
A2 (EMEA, mid-market), C4 at A3 (APAC, enterprise), C5 at A4, C6 at A6 (EMEA, mid-market).
Events (UTC), funnel signup -> onboarding_completed -> first_report_created -> report_created:

  C1  signup 5 Jan, onboarding 6 Jan, first report 7 Jan, reports 8 and 9 Jan     steps 1-4
  C2  onboarding 19 Jan *before* its signup 20 Jan (does not count), first report
      25 Jan (no onboarding reached: does not count)                              step 1
  C3  signup 1 Feb 09:00 (and again 3 Feb), onboarding at the very same instant
      (counts: at or after), report 9 Feb (before its first report: does not
      count), first report 10 Feb                                                 steps 1-3
  C4  signup 31 Jan 23:30 UTC (1 Feb in Tokyo), onboarding 2 Feb                  steps 1-2
  C5  onboarding only, no signup                                                  not in it
  C6  signup 15 Feb, onboarding 2 Apr (after the as-of date: ignored)             step 1
  plus a signup without a contact and a dashboard view, both ignored.

  all             5 -> 3 -> 2 -> 1
  2026-01 (UTC)   C1 C2 C4: 3 -> 2 -> 1 -> 1     2026-02: C3 C6: 2 -> 1 -> 1 -> 0
  North America   C1 C2:    2 -> 1 -> 1 -> 1     EMEA: C3 C6: 2 -> 1 -> 1 -> 0
  APAC            C4:       1 -> 1 -> 0 -> 0
  SMB = North America, mid-market = EMEA, enterprise = APAC
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

ACCOUNT_OF = {"C1": "A1", "C2": "A1", "C3": "A2", "C4": "A3", "C5": "A4", "C6": "A6"}

# (event_id, contact_id, UTC time, event_name)
EVENTS: tuple[tuple[str, str | None, dt.datetime, str], ...] = (
    ("F01", "C1", dt.datetime(2026, 1, 5, 10), "signup"),
    ("F02", "C1", dt.datetime(2026, 1, 6, 10), "onboarding_completed"),
    ("F03", "C1", dt.datetime(2026, 1, 7, 10), "first_report_created"),
    ("F04", "C1", dt.datetime(2026, 1, 8, 10), "report_created"),
    ("F05", "C1", dt.datetime(2026, 1, 9, 10), "report_created"),
    ("F06", "C2", dt.datetime(2026, 1, 19, 10), "onboarding_completed"),
    ("F07", "C2", dt.datetime(2026, 1, 20, 10), "signup"),
    ("F08", "C2", dt.datetime(2026, 1, 25, 10), "first_report_created"),
    ("F09", "C3", dt.datetime(2026, 2, 1, 9), "signup"),
    ("F10", "C3", dt.datetime(2026, 2, 1, 9), "onboarding_completed"),
    ("F11", "C3", dt.datetime(2026, 2, 3, 9), "signup"),
    ("F12", "C3", dt.datetime(2026, 2, 9, 9), "report_created"),
    ("F13", "C3", dt.datetime(2026, 2, 10, 9), "first_report_created"),
    ("F14", "C4", dt.datetime(2026, 1, 31, 23, 30), "signup"),
    ("F15", "C4", dt.datetime(2026, 2, 2, 9), "onboarding_completed"),
    ("F16", "C5", dt.datetime(2026, 2, 2, 9), "onboarding_completed"),
    ("F17", "C6", dt.datetime(2026, 2, 15, 9), "signup"),
    ("F18", "C6", dt.datetime(2026, 4, 2, 9), "onboarding_completed"),
    ("F19", None, dt.datetime(2026, 2, 15, 9), "signup"),
    ("F20", "C1", dt.datetime(2026, 3, 10, 9), "dashboard_viewed"),
)


def write_funnel_extracts(root: Path) -> Path:
    """The tiny CRM, answers and tickets, with this module's events instead of tiny's."""
    write_tiny_extracts(root)
    pl.DataFrame(
        {
            "event_id": [e[0] for e in EVENTS],
            "contact_id": [e[1] for e in EVENTS],
            "account_id": [ACCOUNT_OF.get(e[1] or "") for e in EVENTS],
            "occurred_at": [e[2].replace(tzinfo=dt.UTC) for e in EVENTS],
            "event_name": [e[3] for e in EVENTS],
            "session_id": [f"s{e[0]}" for e in EVENTS],
            "properties": ['{"funnel":"onboarding"}'] * len(EVENTS),
        }
    ).write_parquet(root / "analytics" / DELIVERY / "events.parquet")
    return root
