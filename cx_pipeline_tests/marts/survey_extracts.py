"""Tiny extracts for the survey-program marts (invitations, response rates, weighting), with
every answer worked out by hand. One delivery, as of 2026-03-31.

Accounts (each one Core subscription since 2025-01-01; tier = revenue_tier(12 x MRR)):
  P1 North America  MRR   100 -> SMB         contacts K1 K2 K3
  P2 North America  MRR 10000 -> enterprise  contacts K4 K9
  P3 EMEA           MRR   200 -> SMB         contact  K5
  P4 EMEA           MRR  9000 -> enterprise  contacts K6 K8
  P5 LATAM          MRR   300 -> SMB, ended 2026-02-15 (not in the base on 28 Feb or 31 Mar)

NPS answers: V01 K8 2 and V02 K1 10 in Feb 2025 (before the trailing 12 months Apr-25..Mar-26,
but the contacts' earlier answers); V03-V08 in March 2026: K1 10, K2 9, K3 9 (P1), K4 7 (P2),
K5 8 (P3), K6 3 (P4); V09 K7 0 (P5, 10 Feb 2026).

Invitations (sent 1 Mar 2026 09:00 unless said; email, relationship survey rel-q1 unless said):
  I01 K1 -> V03   I02 K2 -> V04   I03 K3 in_app/in_app app-q1, 2 Mar, no opened_at -> V05
  I04 K4 -> V06   I05 Tess@Oak.example (no contact id: resolves to K9 by e-mail), unopened
  I06 K5 -> V07   I07 K6 -> V08   I08 K8 opened, unanswered   I09 K8 15 Mar, unsubscribed
  I10 nobody@ash.example (P4, no contact) bounced
  I11 K7 renewal ren-q1 5 Feb -> V09   I12 K9 renewal ren-q1 sms 5 Feb, unanswered
Delivered = 11 (I10 bounced); opened = I01-I04, I06-I08, I11 = 8 (I03 by its answer); answered 7.

Response rates (answered / delivered):
  all months  all 7/11 = 63.64%, open 8/11, unsubscribed 1/11
  Feb-26 all 1/2 = 50%          Mar-26 all 6/9 = 66.67% (sent 10, bounced 1, opened 7, unsub 1)
  region      North America 4/6, EMEA 2/4 (sent 5, bounced 1), LATAM 1/1
  tier        SMB 5/5 (I01-I03, I06, I11: P5 was SMB on 5 Feb), enterprise 2/6 (sent 7)
  last NPS    promoter 1/1 (I01: K1's V02), detractor 0/2 (I08, I09: K8's V01),
              unknown 6/8 (sent 9)
  touchpoint  relationship 5/8 (sent 9), in_app 1/1, renewal 1/2
  channel     email 6/9 (sent 10), in_app 1/1, sms 0/1

Product events of the contact on the 30 days before the sent day (sent day excluded):
  K1 4 on 20 Feb (+1 on 1 Mar: the sent day, not counted) -> I01 4;  K2 2 on 25 Feb -> I02 2
  K4 5 on 10 Feb, 1 on 30 Jan (= 1 Mar - 30: counted), 1 on 29 Jan (not) -> I04 6
  K6 1 on 28 Feb -> I07 1;  K7 3 on 20 Jan -> I11 (5 Feb) 3;  K8 1 on 15 Jan -> I08, I09 0
  everyone else 0; I10 has no contact -> null
Profile of delivered invitations:
  responders      I01 I02 I03 I04 I06 I07 I11 = 7: SMB 5 (71.43%), enterprise 2 (28.57%);
                  events 16 / 7, active 5/7; earlier answer: I01 promoter -> earlier NPS +100
  non-responders  I05 I08 I09 I12 = 4: enterprise 100%; events 0, active 0%;
                  earlier answer: I08, I09 detractor (100%) -> earlier NPS -100

Weighting (trailing 12 months, base = accounts active on 31 Mar: P1-P4; each margin 2 / 2):
  answers V03-V08 + V09; V09's region LATAM is not in the base -> weight 0.
  cells  NA-SMB V03 V04 V05 (3 promoters), NA-ent V06 (passive), EMEA-SMB V07 (passive),
         EMEA-ent V08 (detractor); margins region 4/2, tier 4/2, targets 3/3 each (n = 6)
  Raking keeps the answers' odds ratio (3 x 1) / (1 x 1) = 3, so the raked cell totals are
  [[a, 3 - a], [3 - a, a]] with a^2 / (3 - a)^2 = 3: a = 3 sqrt(3) / (1 + sqrt(3)) = 1.9019.
  weights: NA-SMB a / 3 = 0.6340, NA-ent and EMEA-SMB 3 - a = 1.0981, EMEA-ent a = 1.9019
  weighted NPS = 100 x (a - a) / 6 = 0;  unweighted 100 x (3 - 2) / 7 = +14.29
  sum(w^2) = 6 (3 - a)^2 (as a^2 = 3 (3 - a)^2), so deff = 6 x 6 (3 - a)^2 / 36 = (3 - a)^2
  = 9 / (1 + sqrt(3))^2 = 1.2058 and the effective n = 6 / deff = 4.976.
  Mar-26 row: the same weights (base day 31 Mar); unweighted 100 x (3 - 1) / 6 = +33.33.
  Feb-26 row: base day 28 Feb (P1-P4); its one answer V09 is LATAM -> no weighted answer.
"""

# ruff: noqa: E501 (hand-written CSV fixtures read best as the files they stand for)
from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

DELIVERY = "2026-03-31"
AS_OF = dt.date(2026, 3, 31)

ACCOUNTS = """account_id,name,industry,region,country,employees,arr,created_at,domain
P1,Pine Ltd,Software,North America,US,10,1200,2024-12-01T00:00:00Z,pine.example
P2,Oak Inc,Retail,North America,US,500,120000,2024-12-01T00:00:00Z,oak.example
P3,Elm GmbH,Media,EMEA,DE,20,2400,2024-12-01T00:00:00Z,elm.example
P4,Ash BV,Finance,EMEA,NL,800,108000,2024-12-01T00:00:00Z,ash.example
P5,Yew SA,Education,LATAM,BR,30,0,2024-12-01T00:00:00Z,yew.example
"""

CONTACTS = """contact_id,account_id,email,full_name,job_title,created_at
K1,P1,kim@pine.example,Kim Pine,CEO,2025-01-01T00:00:00Z
K2,P1,lee@pine.example,Lee Pine,Analyst,2025-01-01T00:00:00Z
K3,P1,max@pine.example,Max Pine,Engineer,2025-01-01T00:00:00Z
K4,P2,ola@oak.example,Ola Oak,IT Manager,2025-01-01T00:00:00Z
K5,P3,pat@elm.example,Pat Elm,Editor,2025-01-01T00:00:00Z
K6,P4,quinn@ash.example,Quinn Ash,Controller,2025-01-01T00:00:00Z
K7,P5,rui@yew.example,Rui Yew,Teacher,2025-01-01T00:00:00Z
K8,P4,sam@ash.example,Sam Ash,Head of Finance,2025-01-01T00:00:00Z
K9,P2,tess@oak.example,Tess Oak,Buyer,2025-01-01T00:00:00Z
"""

SUBSCRIPTIONS = """subscription_id,account_id,product,plan,mrr,started_at,ended_at,cancel_reason
U1,P1,Core,Starter,100,2025-01-01T00:00:00Z,,
U2,P2,Core,Enterprise,10000,2025-01-01T00:00:00Z,,
U3,P3,Core,Starter,200,2025-01-01T00:00:00Z,,
U4,P4,Core,Enterprise,9000,2025-01-01T00:00:00Z,,
U5,P5,Core,Starter,300,2025-01-01T00:00:00Z,2026-02-15T00:00:00Z,price
"""

NPS_RESPONSES = """response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,score,comment
V01,K8,P4,rel-q1,relationship,2025-02-10T10:00:00Z,2,Too slow
V02,K1,P1,rel-q1,relationship,2025-02-12T10:00:00Z,10,
V03,K1,P1,rel-q1,relationship,2026-03-02T10:00:00Z,10,
V04,K2,P1,rel-q1,relationship,2026-03-03T10:00:00Z,9,
V05,K3,P1,app-q1,in_app,2026-03-04T10:00:00Z,9,
V06,K4,P2,rel-q1,relationship,2026-03-05T10:00:00Z,7,
V07,K5,P3,rel-q1,relationship,2026-03-06T10:00:00Z,8,
V08,K6,P4,rel-q1,relationship,2026-03-07T10:00:00Z,3,
V09,K7,P5,ren-q1,renewal,2026-02-10T10:00:00Z,0,Leaving
"""

SURVEY_INVITATIONS = """invitation_id,contact_id,account_id,recipient_email,survey_id,touchpoint,channel,sent_at,opened_at,response_id,bounced,unsubscribed
I01,K1,P1,kim@pine.example,rel-q1,relationship,email,2026-03-01T09:00:00Z,2026-03-01T10:00:00Z,V03,false,false
I02,K2,P1,lee@pine.example,rel-q1,relationship,email,2026-03-01T09:00:00Z,2026-03-02T08:00:00Z,V04,false,false
I03,K3,P1,max@pine.example,app-q1,in_app,in_app,2026-03-02T09:00:00Z,,V05,false,false
I04,K4,P2,ola@oak.example,rel-q1,relationship,email,2026-03-01T09:00:00Z,2026-03-01T12:00:00Z,V06,false,false
I05,,P2,Tess@Oak.example,rel-q1,relationship,email,2026-03-01T09:00:00Z,,,false,false
I06,K5,P3,pat@elm.example,rel-q1,relationship,email,2026-03-01T09:00:00Z,2026-03-01T11:00:00Z,V07,false,false
I07,K6,P4,quinn@ash.example,rel-q1,relationship,email,2026-03-01T09:00:00Z,2026-03-01T11:00:00Z,V08,false,false
I08,K8,P4,sam@ash.example,rel-q1,relationship,email,2026-03-01T09:00:00Z,2026-03-03T09:00:00Z,,false,false
I09,K8,P4,sam@ash.example,rel-q1,relationship,email,2026-03-15T09:00:00Z,,,false,true
I10,,P4,nobody@ash.example,rel-q1,relationship,email,2026-03-01T09:00:00Z,,,true,false
I11,K7,P5,rui@yew.example,ren-q1,renewal,email,2026-02-05T09:00:00Z,2026-02-05T10:00:00Z,V09,false,false
I12,K9,P2,tess@oak.example,ren-q1,renewal,sms,2026-02-05T09:00:00Z,,,false,false
"""

# (contact, account, day, how many events)
EVENTS = (
    ("K1", "P1", dt.date(2026, 2, 20), 4),
    ("K1", "P1", dt.date(2026, 3, 1), 1),
    ("K2", "P1", dt.date(2026, 2, 25), 2),
    ("K4", "P2", dt.date(2026, 2, 10), 5),
    ("K4", "P2", dt.date(2026, 1, 30), 1),
    ("K4", "P2", dt.date(2026, 1, 29), 1),
    ("K6", "P4", dt.date(2026, 2, 28), 1),
    ("K7", "P5", dt.date(2026, 1, 20), 3),
    ("K8", "P4", dt.date(2026, 1, 15), 1),
)


def write_survey_extracts(root: Path, invitations: bool = True) -> Path:
    """Write the extracts under `root` (one delivery) and return `root`; `invitations=False`
    leaves the invitations out, as a company without them delivers."""
    files = {
        ("crm", "accounts.csv"): ACCOUNTS,
        ("crm", "contacts.csv"): CONTACTS,
        ("crm", "subscriptions.csv"): SUBSCRIPTIONS,
        ("surveys", "nps_responses.csv"): NPS_RESPONSES,
        **({("surveys", "survey_invitations.csv"): SURVEY_INVITATIONS} if invitations else {}),
    }
    for (source, name), text in files.items():
        folder = root / source / DELIVERY
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    rows = [
        (contact, account, dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC))
        for contact, account, day, count in EVENTS
        for _ in range(count)
    ]
    events = pl.DataFrame(
        {
            "event_id": [f"E{i:02d}" for i in range(1, len(rows) + 1)],
            "contact_id": [r[0] for r in rows],
            "account_id": [r[1] for r in rows],
            "occurred_at": [r[2] for r in rows],
            "event_name": ["login"] * len(rows),
            "session_id": [f"s{i}" for i in range(1, len(rows) + 1)],
            "properties": pl.Series([None] * len(rows), dtype=pl.String),
        }
    )
    folder = root / "analytics" / DELIVERY
    folder.mkdir(parents=True, exist_ok=True)
    events.write_parquet(folder / "events.parquet")
    return root
