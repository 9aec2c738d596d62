"""Two deliveries (2026-03-30 and 2026-03-31) built on the tiny extracts, clean or with every
alert's cause planted. As of 2026-03-31.

Clean: the tiny extracts, except that no subscription ends (S4 and S7 run on), A3 also used the
product in February (E4, E5), and the NPS answers arrive over the two days (R01-R10, R11-R13).
  churn   March: A1 A3 A6 at the start, none lost: 0%.
  NPS     March has answers but February none: no change to test.
  health  A3 (top by MRR, 12,500): Feb-28 usage 100 (2 events, new), NPS 70 (C4's 7),
          support 100, CSAT 50 -> 35 + 21 + 20 + 7.5 = 83.5; Mar-31 usage 75 (1 event against
          2: trend 50%, intensity 100%), NPS 80 (C4's 8), support 70 (T2 urgent and open),
          CSAT 50 -> 26.25 + 24 + 14 + 7.5 = 71.75: 11.75 points down, under the 20 that alert.
  quarantine  nothing quarantined on either day.

Planted, one cause per alert kind:
  churn_spike      S7 ends 2026-03-01 (as in the tiny extracts): March 1 of 3 lost, 33.3% > 5%.
  nps_drop         February 40 answers of 10 (NPS 100), March 40 of 0 beside R11-R13 and R21:
                   NPS -93.2 (n 44): a drop no Holm adjustment of three tests explains away.
  promoter_turned_detractor  C7, a new CTO at A3 (enterprise), scored 10 on 15 Jan and 2 on
                   26 Mar. C2 at A1 also goes from 10 to 0, but A1 is SMB: no alert.
  health_fell      A3: C7's 10 is A3's latest answer on Feb-28 (NPS 100 -> 92.5 in all) and
                   C7's 2 on Mar-26 is a detractor in the 30 days (NPS 0 -> 47.75): 44.75 down.
  quarantine_jump  5 answers of Mar-31 score 11: 5 of 49 rows (10.2%) against 0% on Mar-30;
                   under the 10 rows that block, so the run goes on and the marts are rebuilt.
  check_failed     T3, a ticket of A1 with no contact nor e-mail: 2 of 3 tickets (66.7%) link
                   to a contact, under the 90% floor of the identity check, which does not
                   block: the run succeeds with a failed check of ERROR severity. (A1 is not a
                   top account here: its health is not watched.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from cx_pipeline_tests import tiny_extracts as tiny

DAYS = ("2026-03-30", "2026-03-31")
AS_OF = tiny.AS_OF
HEADER, *TINY_ANSWERS = tiny.NPS_RESPONSES.strip().splitlines()

S4_ENDS = (
    "2026-02-01T00:00:00Z,2026-04-15T00:00:00Z,switched to competitor",
    "2026-02-01T00:00:00Z,,",
)
S7_ENDS = ("2025-10-01T00:00:00Z,2026-03-01T08:00:00Z,poor support", "2025-10-01T00:00:00Z,,")
# S4 runs on in both (a booked cancellation would override A3's health to 0); S7 ends in March
# only in the planted deliveries.
PLANTED_SUBSCRIPTIONS = tiny.SUBSCRIPTIONS.replace(*S4_ENDS)
CLEAN_SUBSCRIPTIONS = PLANTED_SUBSCRIPTIONS.replace(*S7_ENDS)
assert PLANTED_SUBSCRIPTIONS != tiny.SUBSCRIPTIONS != CLEAN_SUBSCRIPTIONS != PLANTED_SUBSCRIPTIONS
T3 = (
    "T3,A1,,2026-03-15T09:00:00Z,2026-03-15T10:00:00Z,2026-03-16T09:00:00Z,email,normal,solved,"
    "billing,Refund,Please refund,4\n"
)
C7 = "C7,A3,cto@gamma.example,Cy Gamma,CTO,2026-01-01T00:00:00Z\n"


def _answers(prefix: str, day: str, score: int, count: int) -> list[str]:
    return [
        f"{prefix}{i:02d},C2,A1,pulse,in_app,{day}T{8 + i // 10:02d}:{i % 60:02d}:00Z,{score},"
        for i in range(count)
    ]


def _events() -> pl.DataFrame:
    at = [
        dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 11, 12, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 12, 12, tzinfo=dt.UTC),
        dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC),
        dt.datetime(2026, 2, 12, 12, tzinfo=dt.UTC),
    ]
    return pl.DataFrame(
        {
            "event_id": ["E1", "E2", "E3", "E4", "E5"],
            "contact_id": ["C1", "C2", "C4", "C4", "C4"],
            "account_id": ["A1", "A1", "A3", "A3", "A3"],
            "occurred_at": at,
            "event_name": ["login", "report_created", "login", "login", "login"],
            "session_id": ["s1", "s2", "s3", "s4", "s5"],
            "properties": ['{"feature":"auth"}', '{"feature":"reports"}', None, None, None],
        }
    )


def write_alert_extracts(root: Path, planted: bool = False) -> Path:
    """Write both deliveries under `root` and return it."""
    subscriptions = PLANTED_SUBSCRIPTIONS if planted else CLEAN_SUBSCRIPTIONS
    contacts = tiny.CONTACTS + (C7 if planted else "")
    first, second = TINY_ANSWERS[:10], TINY_ANSWERS[10:]
    if planted:
        first += ["R20,C7,A3,rel-q1,relationship,2026-01-15T10:00:00Z,10,"]
        first += _answers("F", "2026-02-10", 10, 40)
        second += ["R21,C7,A3,rel-q1,relationship,2026-03-26T10:00:00Z,2,Nothing works"]
        second += _answers("M", "2026-03-20", 0, 40)
        second += _answers("Q", "2026-03-21", 11, 5)
    answers = {DAYS[0]: first, DAYS[1]: second}
    for day in DAYS:
        files = {
            ("crm", "accounts.csv"): tiny.ACCOUNTS,
            ("crm", "contacts.csv"): contacts,
            ("crm", "subscriptions.csv"): subscriptions,
            ("support", "tickets.csv"): tiny.TICKETS + (T3 if planted else ""),
            ("surveys", "nps_responses.csv"): "\n".join([HEADER, *answers[day]]) + "\n",
            ("surveys", "interviews.csv"): tiny.INTERVIEWS,
        }
        for (source, name), text in files.items():
            folder = root / source / day
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
        folder = root / "analytics" / day
        folder.mkdir(parents=True, exist_ok=True)
        _events().write_parquet(folder / "events.parquet")
    return root
