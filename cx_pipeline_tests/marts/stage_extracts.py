"""Extracts with one account per combination of journey-stage conditions, to test which stage
wins when an account meets several (account_segments.sql states the order).

As of 2026-06-30 (the one delivery). Every account has one contact and, unless a condition says
otherwise, a subscription since 2025-01-01 with no end, 2 events in the last 30 days and 3 in
the 90 days before them (a baseline too small to judge a drop). Days below are days before the
as-of date (0 = 30 Jun); the usage window is days 0-29, the baseline days 30-119.
  cancelling   the subscription ends on 2026-08-15 (recorded, in the future)
  detractor    an NPS answer of 3 on day 10
  usage_fell   40 events in each of the baseline's three windows (days 30-59, 60-89, 90-119):
               average 40, the window before 40 (>= 20), the last window under 12
  escalations  two urgent tickets opened on day 5, still open
  dormant      no event in the last 30 days
  onboarding   the subscription started on 2026-05-01 (60 days before; earlier events are a pilot)
  champion     an NPS answer of 10 on day 10, and a power user: events on days 1-8 over 5
               features (8 active days, 5 features: the power-user rule)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import polars as pl

AS_OF = dt.date(2026, 6, 30)
CONDITIONS = (
    "cancelling",
    "detractor",
    "usage_fell",
    "escalations",
    "dormant",
    "onboarding",
    "champion",
)
FEATURES = ("dashboard_viewed", "report_created", "survey_sent", "segment_created", "alert_set")


def _day(days_before: int, hour: int = 12) -> dt.datetime:
    day = AS_OF - dt.timedelta(days=days_before)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def _iso(days_before: int) -> str:
    return _day(days_before).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_stage_extracts(root: Path, accounts: dict[str, Iterable[str]]) -> Path:
    """One account per entry (id -> its conditions); `promoter_200_days` is one more condition:
    an NPS answer of 10 given 200 days ago, with a power user (a champion but for its age)."""
    rows = {k: [] for k in ("accounts", "contacts", "subscriptions", "nps", "tickets")}
    events: list[tuple[str, str, str, dt.datetime, str]] = []
    for i, (account, conditions) in enumerate(accounts.items()):
        met = set(conditions)
        contact = f"C{i:03d}"
        rows["accounts"].append(
            f"{account},Account {i},Software,EMEA,DE,50,12000,2024-12-01T00:00:00Z"
        )
        rows["contacts"].append(
            f"{contact},{account},p{i}@a{i}.example,Person {i},Analyst,2024-12-01T00:00:00Z"
        )
        start = "2026-05-01T00:00:00Z" if "onboarding" in met else "2025-01-01T00:00:00Z"
        end = "2026-08-15T00:00:00Z" if "cancelling" in met else ""
        rows["subscriptions"].append(f"S{i:03d},{account},Core,Pro,1000,{start},{end},")
        if "renewal_booked" in met:  # a plan change booked to start when the first one ends
            rows["subscriptions"].append(
                f"S{i:03d}b,{account},Core,Enterprise,2000,2026-08-15T00:00:00Z,,"
            )
        for condition, score, days in (
            ("detractor", 3, 10),
            ("champion", 10, 10),
            ("promoter_200_days", 10, 200),
        ):
            if condition in met:
                rows["nps"].append(
                    f"R{i:03d}{condition[:3]},{contact},{account},rel,relationship,"
                    f"{_iso(days)},{score},"
                )
        if "escalations" in met:
            for k in (1, 2):
                rows["tickets"].append(
                    f"T{i:03d}{k},{account},{contact},{_iso(5)},,,chat,urgent,open,outage,"
                    "Down,Nothing loads,"
                )
        usage: list[tuple[int, str]] = []
        if "champion" in met or "promoter_200_days" in met:
            usage += [(d, FEATURES[(d - 1) % len(FEATURES)]) for d in range(1, 9)]
        elif "dormant" not in met:
            usage += [(3, "dashboard_viewed"), (5, "dashboard_viewed")]
        if "usage_fell" in met:
            usage += [(30 + k * 90 // 120, "dashboard_viewed") for k in range(120)]
        else:
            usage += [(45, "dashboard_viewed"), (75, "dashboard_viewed"), (100, "report_created")]
        events += [
            (f"E{i:03d}-{n}", contact, account, _day(d), name) for n, (d, name) in enumerate(usage)
        ]
    header = {
        "accounts": "account_id,name,industry,region,country,employees,arr,created_at",
        "contacts": "contact_id,account_id,email,full_name,job_title,created_at",
        "subscriptions": (
            "subscription_id,account_id,product,plan,mrr,started_at,ended_at,cancel_reason"
        ),
        "nps": "response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,score,comment",
        "tickets": (
            "ticket_id,account_id,contact_id,created_at,first_response_at,solved_at,channel,"
            "priority,status,category,subject,description,csat_score"
        ),
    }
    files = {
        ("crm", "accounts.csv"): "accounts",
        ("crm", "contacts.csv"): "contacts",
        ("crm", "subscriptions.csv"): "subscriptions",
        ("surveys", "nps_responses.csv"): "nps",
        ("support", "tickets.csv"): "tickets",
    }
    for (source, name), key in files.items():
        folder = root / source / AS_OF.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("\n".join([header[key], *rows[key]]) + "\n")
    folder = root / "analytics" / AS_OF.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "event_id": [e[0] for e in events],
            "contact_id": [e[1] for e in events],
            "account_id": [e[2] for e in events],
            "occurred_at": [e[3] for e in events],
            "event_name": [e[4] for e in events],
            "session_id": [f"s-{e[0]}" for e in events],
            "properties": [None] * len(events),
        },
        schema_overrides={"properties": pl.String},
    ).write_parquet(folder / "events.parquet")
    return root
