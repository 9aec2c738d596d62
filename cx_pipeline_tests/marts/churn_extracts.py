"""The tiny extracts plus two accounts that exercise the churn family's edge cases.

On top of `tiny_extracts` (as of 2026-03-31, UTC):
  A7 Eta Oy (EMEA, Manufacturing): customer since 2024-10-10, so its tenure crosses 6 and 12
     months; an add-on from 2025-06-01 (expansion); both subscriptions end at the same instant on
     2026-02-14 (the Core's reason wins the tie: higher MRR). Its last answer before leaving is a
     promoter given by contact only (no account_id); a detractor after it left is ignored.
  A8 Theta LLC (North America, Retail): customer since 2025-11-10, gap from 5 to 20 January
     2026 at a lower MRR: a same-month reactivation (no loss) that contracts MRR.
And A6, lost on 2026-03-01, has ARR 0 in the CRM, as CRMs (and the generator) show lost
accounts: a tier from accounts.arr would call it SMB; from its MRR at the time it is mid-market.
"""

from __future__ import annotations

from pathlib import Path

from cx_pipeline_tests.tiny_extracts import (
    ACCOUNTS,
    CONTACTS,
    DELIVERY,
    NPS_RESPONSES,
    SUBSCRIPTIONS,
    write_tiny_extracts,
)

EXTRA_ACCOUNTS = """\
A7,Eta Oy,Manufacturing,EMEA,FI,25,3000,2024-10-10T00:00:00Z
A8,Theta LLC,Retail,North America,US,60,18000,2025-11-10T00:00:00Z
"""

EXTRA_CONTACTS = """\
C7,A7,gus@eta.example,Gus Eta,Operations Manager,2024-10-10T00:00:00Z
C8,A8,hal@theta.example,Hal Theta,CEO,2025-11-10T00:00:00Z
"""

EXTRA_SUBSCRIPTIONS = """\
S8,A7,Core,Starter,250,2024-10-10T09:00:00Z,2026-02-14T10:00:00Z,switched to competitor
S9,A7,Analytics,Starter,50,2025-06-01T09:00:00Z,2026-02-14T10:00:00Z,no longer needed
S10,A8,Core,Pro,2000,2025-11-10T09:00:00Z,2026-01-05T09:00:00Z,price
S11,A8,Core,Starter,1500,2026-01-20T09:00:00Z,,
"""

EXTRA_NPS_RESPONSES = """\
R14,C7,A7,rel-q1,relationship,2026-01-20T10:00:00Z,10,
R15,C7,,rel-q1,in_app,2026-02-10T09:00:00Z,9,
R16,C7,A7,rel-q1,support,2026-02-20T10:00:00Z,3,
"""


def write_churn_extracts(root: Path) -> Path:
    """Write the tiny extracts with A7 and A8 added under `root` and return `root`."""
    write_tiny_extracts(root, nps_responses=NPS_RESPONSES + EXTRA_NPS_RESPONSES)
    crm = root / "crm" / DELIVERY
    accounts = ACCOUNTS.replace(
        "A6,Zeta BV,Media,EMEA,NL,120,12000,", "A6,Zeta BV,Media,EMEA,NL,120,0,"
    )
    assert accounts != ACCOUNTS, "tiny_extracts changed A6"
    (crm / "accounts.csv").write_text(accounts + EXTRA_ACCOUNTS)
    (crm / "contacts.csv").write_text(CONTACTS + EXTRA_CONTACTS)
    (crm / "subscriptions.csv").write_text(SUBSCRIPTIONS + EXTRA_SUBSCRIPTIONS)
    return root


# Accounts that leave and come back, every gap crossing a month's end (as of 2026-03-31, UTC;
# active days [start, end)), so that every spell end is also a monthly churn loss:
#   A1  2025-01-10 -> 2025-04-05, back 2025-06-15 -> 2025-09-20, back 2025-11-03 -> running
#   A2  2025-02-01 -> 2025-07-01 (with an add-on 2025-02-01 -> 2025-05-01 inside it), back
#       2025-08-15 -> 2026-01-10
#   A3  2025-03-20 -> 2025-09-01, same-day plan change 2025-09-01 -> running (one spell)
#   A6  2025-01-05 -> 2025-05-20, back 2025-10-01 -> 2026-03-01 with two products that start and
#       end on the same days (one spell, MRR 1000 + 200)
# churn_by_month counts 6 losses (A1 Apr-25 and Sep-25, A6 May-25, A2 Jul-25 and Jan-26, A6
# Mar-26); survival from first start to last end saw 2 (A2, A6). A4 and A5 have no
# subscriptions (prospects).
RETURNING_SUBSCRIPTIONS = """\
subscription_id,account_id,product,plan,mrr,started_at,ended_at,cancel_reason
S1,A1,Core,Starter,400,2025-01-10T09:00:00Z,2025-04-05T09:00:00Z,price
S2,A1,Core,Starter,400,2025-06-15T09:00:00Z,2025-09-20T09:00:00Z,price
S3,A1,Core,Pro,600,2025-11-03T09:00:00Z,,
S4,A2,Core,Pro,4000,2025-02-01T09:00:00Z,2025-07-01T09:00:00Z,budget
S5,A2,Core,Pro,4000,2025-08-15T09:00:00Z,2026-01-10T12:00:00Z,switched to competitor
S6,A3,Core,Pro,9000,2025-03-20T09:00:00Z,2025-09-01T00:00:00Z,plan change
S7,A3,Core,Enterprise,12500,2025-09-01T00:00:00Z,,
S8,A6,Core,Pro,1000,2025-01-05T00:00:00Z,2025-05-20T08:00:00Z,poor support
S9,A6,Core,Pro,1000,2025-10-01T00:00:00Z,2026-03-01T08:00:00Z,poor support
S10,A6,Analytics,Starter,200,2025-10-01T00:00:00Z,2026-03-01T08:00:00Z,poor support
S11,A2,Analytics,Starter,300,2025-02-01T09:00:00Z,2025-05-01T09:00:00Z,no longer needed
"""


def write_returning_extracts(root: Path) -> Path:
    """Write the tiny extracts with the returning accounts' subscriptions under `root`."""
    write_tiny_extracts(root)
    (root / "crm" / DELIVERY / "subscriptions.csv").write_text(RETURNING_SUBSCRIPTIONS)
    return root
