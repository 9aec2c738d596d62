"""A tiny, hand-written set of extracts whose NPS and churn answers are worked out by hand.

Churn (as of 2026-03-31), accounts active on the day before each month and lost by its last day:
  Oct-25  0 at start                         (first subscriptions start in October)
  Nov-25  A1 A2 A6 = 3, lost 0                (A3 starts 5 Nov: not in the denominator)
  Dec-25  A1 A2 A3 A6 = 4, lost 0             (A4 starts 3 Dec, cancels 20 Dec: in neither count)
  Jan-26  A1 A2 A3 A6 = 4, lost A2 -> 25%
  Feb-26  A1 A3 A6 = 3, lost 0                (A3 changes plan on 1 Feb: same-day, not a loss)
  Mar-26  A1 A3 A6 = 3, lost A6 -> 33.3%      (A6 ends 1 Mar; A3's end on 15 Apr is in the future)
NPS by month (UTC): Dec-25 9,9,9,5; Jan-26 10,9,8,7,6,0 (band edges); Feb-26 none; Mar-26 7,8,7.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

DELIVERY = "2026-03-31"
AS_OF = dt.date(2026, 3, 31)

ACCOUNTS = """account_id,name,industry,region,country,employees,arr,created_at
A1,Alpha Ltd,Software,North America,US,40,5000,2025-10-01T00:00:00Z
A2,Beta GmbH,Retail,EMEA,DE,300,50000,2025-10-01T00:00:00Z
A3,Gamma KK,Healthcare,APAC,JP,2000,150000,2025-11-01T00:00:00Z
A4,Delta SA,Education,LATAM,BR,80,20000,2025-12-01T00:00:00Z
A5,Epsilon Inc,Software,North America,US,10,,2026-01-01T00:00:00Z
A6,Zeta BV,Media,EMEA,NL,120,12000,2025-09-15T00:00:00Z
"""

CONTACTS = """contact_id,account_id,email,full_name,job_title,created_at
C1,A1,ann@alpha.example,Ann Alpha,CEO,2025-10-01T00:00:00Z
C2,A1,bob@alpha.example,Bob Alpha,Support Agent,2025-10-01T00:00:00Z
C3,A2,cy@beta.example,Cy Beta,VP Customer Success,2025-10-01T00:00:00Z
C4,A3,di@gamma.example,Di Gamma,Data Analyst,2025-11-01T00:00:00Z
C5,A4,ed@delta.example,Ed Delta,IT Manager,2025-12-01T00:00:00Z
C6,A6,flo@zeta.example,Flo Zeta,Head of Support,2025-10-01T00:00:00Z
"""

SUBSCRIPTIONS = """subscription_id,account_id,product,plan,mrr,started_at,ended_at,cancel_reason
S1,A1,Core,Starter,400,2025-10-15T09:00:00Z,,
S2,A2,Core,Pro,4000,2025-10-20T09:00:00Z,2026-01-10T12:00:00Z,price
S3,A3,Core,Pro,9000,2025-11-05T09:00:00Z,2026-02-01T00:00:00Z,plan change
S4,A3,Core,Enterprise,12500,2026-02-01T00:00:00Z,2026-04-15T00:00:00Z,switched to competitor
S5,A4,Core,Starter,1500,2025-12-03T09:00:00Z,2025-12-20T09:00:00Z,no longer needed
S6,A1,Analytics,Starter,100,2025-12-01T09:00:00Z,2026-03-31T10:00:00Z,no longer needed
S7,A6,Core,Pro,1000,2025-10-01T00:00:00Z,2026-03-01T08:00:00Z,poor support
"""

NPS_RESPONSES = """response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,score,comment
R01,C1,A1,rel-q4,relationship,2025-12-02T10:00:00Z,9,Great reporting
R02,C3,A2,rel-q4,relationship,2025-12-05T10:00:00Z,9,
R03,C4,A3,rel-q4,relationship,2025-12-10T10:00:00Z,9,
R04,C6,A6,rel-q4,relationship,2025-12-31T23:59:00Z,5,Support is slow
R05,C1,A1,rel-q1,relationship,2026-01-01T00:00:00Z,10,
R06,C2,A1,rel-q1,support,2026-01-05T10:00:00Z,9,
R07,C3,A2,rel-q1,relationship,2026-01-06T10:00:00Z,8,
R08,C4,A3,rel-q1,relationship,2026-01-07T10:00:00Z,7,
R09,C6,A6,rel-q1,support,2026-01-08T10:00:00Z,6,
R10,C5,A4,rel-q1,relationship,2026-01-31T23:30:00Z,0,Too expensive
R11,C1,A1,rel-q1,in_app,2026-03-03T10:00:00Z,7,
R12,C4,A3,rel-q1,in_app,2026-03-04T10:00:00Z,8,
R13,C6,A6,rel-q1,in_app,2026-03-05T10:00:00Z,7,
"""

TICKETS = """ticket_id,account_id,contact_id,created_at,first_response_at,solved_at,channel,priority,status,category,subject,description,csat_score
T1,A1,C2,2026-03-01T09:00:00Z,2026-03-01T09:30:00Z,2026-03-02T09:00:00Z,email,normal,solved,billing,Invoice question,Where is my invoice?,5
T2,A3,C4,2026-03-20T09:00:00Z,,,chat,urgent,open,outage,Dashboard down,Nothing loads,
"""

INTERVIEWS = """interview_id,contact_id,interviewed_at,notes,tags
I1,C1,2026-02-10T15:00:00Z,Loves the reports; wants more integrations,reporting;integrations
"""


def write_tiny_extracts(root: Path, nps_responses: str = NPS_RESPONSES) -> Path:
    """Write the tiny extracts under `root` (one delivery, 2026-03-31) and return `root`."""
    files = {
        ("crm", "accounts.csv"): ACCOUNTS,
        ("crm", "contacts.csv"): CONTACTS,
        ("crm", "subscriptions.csv"): SUBSCRIPTIONS,
        ("support", "tickets.csv"): TICKETS,
        ("surveys", "nps_responses.csv"): nps_responses,
        ("surveys", "interviews.csv"): INTERVIEWS,
    }
    for (source, name), text in files.items():
        folder = root / source / DELIVERY
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    events = pl.DataFrame(
        {
            "event_id": ["E1", "E2", "E3"],
            "contact_id": ["C1", "C2", "C4"],
            "account_id": ["A1", "A1", "A3"],
            "occurred_at": [
                dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC),
                dt.datetime(2026, 3, 11, 12, tzinfo=dt.UTC),
                dt.datetime(2026, 3, 12, 12, tzinfo=dt.UTC),
            ],
            "event_name": ["login", "report_created", "login"],
            "session_id": ["s1", "s2", "s3"],
            "properties": ['{"feature":"auth"}', '{"feature":"reports"}', None],
        }
    )
    folder = root / "analytics" / DELIVERY
    folder.mkdir(parents=True, exist_ok=True)
    events.write_parquet(folder / "events.parquet")
    return root


def write_crm_snapshot(root: Path, day: dt.date, accounts: str = ACCOUNTS) -> None:
    """The CRM's snapshot delivered on `day`: the contacts and subscriptions of 31 Mar, and
    `accounts`."""
    folder = root / "crm" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "accounts.csv").write_text(accounts)
    (folder / "contacts.csv").write_text(CONTACTS)
    (folder / "subscriptions.csv").write_text(SUBSCRIPTIONS)


def write_rows(root: Path, day: dt.date, source: str, name: str, rows: str) -> None:
    """CSV `rows` delivered on `day`, under the header of the 31 Mar file of that name."""
    header = {"tickets.csv": TICKETS, "nps_responses.csv": NPS_RESPONSES}[name].splitlines()[0]
    folder = root / source / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"{header}\n{rows}")
