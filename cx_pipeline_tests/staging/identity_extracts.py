"""Hand-made extracts where every identity rule fires once, with the answers worked out by hand.

Tickets (requester e-mail as the help desk spells it):
  T1 contact_id C2                    -> C2 by contact_id
  T2 ' Bob@Alpha.example '            -> C2 by email (case, spaces)
  T3 bob+billing@alpha.example        -> C2 by email with plus-addressing; A1 by domain without
  T4 ann@alpha.example                -> ambiguous: C1 and C7 both have it in the CRM
  T5 it@gamma.example                 -> A3 only, by the domain (nobody in the CRM)
  T6 someone@gmail.com, account A6    -> A6 only, by its own account id (public domain: no rule)
  T7 x@delta.example                  -> ambiguous: A4 and A6 share the domain
  T8 contact_id C99                   -> unlinked (no such contact)
  T9 'not-an-email'                   -> unlinked
Events (device ids): d1 seen with C1 only (E2 before login -> C1); d2 seen with C2 and C4 (E5
ambiguous); d3 never seen with anyone (E6 unlinked); E7 C4 without a device.
NPS: R1 C1; R2 '  CY@BETA.EXAMPLE' -> C3; R3 cy+nps@beta.example -> C3; R4 ceo@gamma.example ->
A3 only; R5 me@gmail.com with account A1 -> A1 only; R6 anon@outlook.com -> nobody.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

ACCOUNTS = """account_id,name,domain,industry,region,country,employees,arr,created_at
A1,Alpha Ltd,https://www.Alpha.example/,Software,North America,US,40,5000,2025-10-01T00:00:00Z
A2,Beta GmbH,beta.example,Retail,EMEA,DE,300,50000,2025-10-01T00:00:00Z
A3,Gamma KK,gamma.example,Healthcare,APAC,JP,2000,150000,2025-11-01T00:00:00Z
A4,Delta SA,delta.example,Education,LATAM,BR,80,20000,2025-12-01T00:00:00Z
A5,Epsilon Inc,gmail.com,Software,North America,US,10,,2026-01-01T00:00:00Z
A6,Zeta BV,Delta.example,Media,EMEA,NL,120,12000,2025-09-15T00:00:00Z
"""

CONTACTS = """contact_id,account_id,email,full_name,job_title,created_at
C1,A1,ann@alpha.example,Ann Alpha,CEO,2025-10-01T00:00:00Z
C2,A1,bob@alpha.example,Bob Alpha,Support Agent,2025-10-01T00:00:00Z
C3,A2,cy@beta.example,Cy Beta,VP Customer Success,2025-10-01T00:00:00Z
C4,A3,di@gamma.example,Di Gamma,Data Analyst,2025-11-01T00:00:00Z
C5,A4,ed@delta.example,Ed Delta,IT Manager,2025-12-01T00:00:00Z
C6,A6,flo@zeta.example,Flo Zeta,Head of Support,2025-10-01T00:00:00Z
C7,A2,ANN@alpha.example,Ann Alpha,CFO,2025-10-01T00:00:00Z
"""

TICKETS = """ticket_id,account_id,contact_id,requester_email,created_at,channel,status
T1,A1,C2,,2026-03-01T09:00:00Z,email,open
T2,,," Bob@Alpha.example ",2026-03-02T09:00:00Z,email,open
T3,,,bob+billing@alpha.example,2026-03-03T09:00:00Z,email,open
T4,,,ann@alpha.example,2026-03-04T09:00:00Z,email,open
T5,,,it@gamma.example,2026-03-05T09:00:00Z,email,open
T6,A6,,someone@gmail.com,2026-03-06T09:00:00Z,email,open
T7,,,x@delta.example,2026-03-07T09:00:00Z,email,open
T8,,C99,,2026-03-08T09:00:00Z,email,open
T9,,,not-an-email,2026-03-09T09:00:00Z,email,open
"""

NPS_RESPONSES = """response_id,contact_id,account_id,respondent_email,survey_id,touchpoint,submitted_at,score,comment
R1,C1,A1,,rel-q1,relationship,2026-03-01T10:00:00Z,9,
R2,,,"  CY@BETA.EXAMPLE",rel-q1,relationship,2026-03-02T10:00:00Z,10,
R3,,,cy+nps@beta.example,rel-q1,relationship,2026-03-03T10:00:00Z,6,
R4,,,ceo@gamma.example,rel-q1,relationship,2026-03-04T10:00:00Z,3,
R5,,A1,me@gmail.com,rel-q1,relationship,2026-03-05T10:00:00Z,8,
R6,,,anon@outlook.com,rel-q1,relationship,2026-03-06T10:00:00Z,0,
"""

EVENTS = (
    # event_id, contact_id, account_id, anonymous_id
    ("E1", "C1", "A1", "d1"),
    ("E2", None, None, "d1"),
    ("E3", "C2", "A1", "d2"),
    ("E4", "C4", "A3", "d2"),
    ("E5", None, None, "d2"),
    ("E6", None, None, "d3"),
    ("E7", "C4", "A3", None),
)


def write_identity_extracts(root: Path) -> Path:
    write_tiny_extracts(root, nps_responses=NPS_RESPONSES)
    for source, name, text in (
        ("crm", "accounts.csv", ACCOUNTS),
        ("crm", "contacts.csv", CONTACTS),
        ("support", "tickets.csv", TICKETS),
    ):
        (root / source / DELIVERY / name).write_text(text)
    ids, contacts, accounts, devices = zip(*EVENTS, strict=True)
    pl.DataFrame(
        {
            "event_id": ids,
            "contact_id": contacts,
            "account_id": accounts,
            "anonymous_id": devices,
            "occurred_at": [dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)] * len(ids),
            "event_name": ["login"] * len(ids),
        }
    ).write_parquet(root / "analytics" / DELIVERY / "events.parquet")
    return root
