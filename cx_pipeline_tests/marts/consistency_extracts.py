"""The revenue extracts plus accounts on which tenure and customer_since used to be defined two
ways (as of 2026-03-31, UTC; active days [start, end)).

On top of `revenue_extracts`:
  A11 Lambda GmbH (EMEA, Retail): S20 starts and ends on 2024-01-15 (never active: no spell,
      no customer_since); S21 1000 from 2024-03-01 to 2024-11-01; a gap of ten months; S22 1000
      from 2025-09-01, running. Spells 2024-03-01 -> 2024-11-01 and 2025-09-01 -> running;
      customer_since 2024-03-01, cohort Mar-24 (the first start, 2024-01-15, would put it in
      the Jan-24 cohort, where it was never active, and make Mar-24 a reactivation).
  A12 Mu SpA (EMEA, Media): S23 500 from 2026-02-01; it answered in November 2025, before it.
  A5  (a prospect in tiny_extracts) gets S24, which starts and ends on 2026-01-10: still never
      a customer.
Answers (tenure on the answer day, from the start of the spell running that day):
  R30 A11 2024-02-10  after S20, before S21: no spell runs     -> 'not a customer'
                      (first start: 0 months -> '0-5 months')
  R31 A11 2025-03-10  in the gap: no spell runs                -> 'not a customer'
                      (first start 2024-01-15: 13 months -> '1-2 years')
  R32 A11 2026-03-10  spell from 2025-09-01: 6 months          -> '6-11 months'
                      (first start: 25 months -> '2+ years')
  R33 A12 2025-11-20  before its only subscription             -> 'not a customer'
                      (first start 2026-02-01: -2 months -> '0-5 months')
Customers at the start of Mar-26 (active on 28 Feb) and their tenure to 1 Mar:
  A1 since 2025-10-15: 4; A3 2025-11-05 (same-day change on 1 Feb, one spell): 3; A6
  2025-10-01: 5; A8 back on 2026-01-20: 1; A9 back on 2026-02-10: 0; A10 2025-12-10: 2;
  A12 2026-02-01: 1 -> '0-5 months' 7 (A6 lost in March); A11 6 -> '6-11 months' 1.
"""

from __future__ import annotations

from pathlib import Path

from cx_pipeline_tests.marts.revenue_extracts import write_revenue_extracts
from cx_pipeline_tests.tiny_extracts import DELIVERY

CONSISTENCY_ACCOUNTS = """\
A11,Lambda GmbH,Retail,EMEA,DE,40,12000,2024-01-01T00:00:00Z
A12,Mu SpA,Media,EMEA,IT,15,6000,2025-10-01T00:00:00Z
"""

CONSISTENCY_CONTACTS = """\
C11,A11,lena@lambda.example,Lena Lambda,CTO,2024-01-01T00:00:00Z
C12,A12,max@mu.example,Max Mu,Office Manager,2025-10-01T00:00:00Z
"""

CONSISTENCY_SUBSCRIPTIONS = """\
S20,A11,Core,Starter,700,2024-01-15T09:00:00Z,2024-01-15T17:00:00Z,trial cancelled
S21,A11,Core,Starter,1000,2024-03-01T09:00:00Z,2024-11-01T09:00:00Z,budget
S22,A11,Core,Starter,1000,2025-09-01T09:00:00Z,,
S23,A12,Core,Starter,500,2026-02-01T09:00:00Z,,
S24,A5,Core,Starter,300,2026-01-10T09:00:00Z,2026-01-10T15:00:00Z,trial cancelled
"""

CONSISTENCY_NPS_RESPONSES = """\
R30,C11,A11,rel-q4,relationship,2024-02-10T10:00:00Z,6,
R31,C11,A11,rel-q4,relationship,2025-03-10T10:00:00Z,4,
R32,C11,A11,rel-q1,relationship,2026-03-10T10:00:00Z,9,
R33,C12,A12,rel-q4,relationship,2025-11-20T10:00:00Z,8,
"""


def write_consistency_extracts(root: Path) -> Path:
    """Write the revenue extracts with A11, A12 and A5's never-active subscription under
    `root` and return `root`."""
    write_revenue_extracts(root, extra_subscriptions=CONSISTENCY_SUBSCRIPTIONS)
    crm = root / "crm" / DELIVERY
    with (crm / "accounts.csv").open("a") as f:
        f.write(CONSISTENCY_ACCOUNTS)
    with (crm / "contacts.csv").open("a") as f:
        f.write(CONSISTENCY_CONTACTS)
    responses = root / "surveys" / DELIVERY / "nps_responses.csv"
    assert responses.exists()
    with responses.open("a") as f:
        f.write(CONSISTENCY_NPS_RESPONSES)
    return root
