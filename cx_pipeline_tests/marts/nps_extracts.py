"""Tiny extracts for the NPS and benchmark marts, with every answer worked out by hand.

The CRM (accounts A1-A6, subscriptions) and so the churn are those of tiny_extracts (as of
2026-03-31); this module adds contacts C7-C9, open tickets, and its own 27 NPS responses:

  month    responses (P = promoter 9-10, . = passive 7-8, D = detractor 0-6)
  2025-03  N01 P                                  (before the 12-month window Apr-25..Mar-26)
  2025-10  N02 P, N03 .
  2025-12  N04 D (31 Dec: one day before the 90-day follow-up window 1 Jan..31 Mar)
  2026-01  N05-N14: 8 P, 1 ., 1 D                 NPS  70
  2026-02  N15-N24: 2 P, 2 ., 6 D                 NPS -40
  2026-03  N25-N27: 1 P, 1 ., 1 D                 NPS   0

Contacts and influence levels (rules.sql): C1 CEO c_level (weight 3), C2 Support Agent end_user
(1), C3 VP Customer Success senior_manager (2.5), C4 Data Analyst end_user (1), C5 IT Manager
decision_maker (2), C6 Head of Support senior_manager (2.5), C7 Procurement Manager
decision_maker (2), C8 Customer Success Manager influencer (1.5), C9 no title -> unknown (1).
N13 has no contact (account A6); N24 has neither contact nor account; both have no touchpoint.

Account A1 is built so that the three account roll-ups disagree (window Apr-25..Mar-26):
  C2 end_user       N05 10, N06 9, N15 9, N16 10     4 promoters, weight 1 each
  C1 c_level        N17 3, N25 2 (latest)            2 detractors, weight 3 each
  C7 decision_maker N18 6                            1 detractor,  weight 2
  C8 influencer     N07 7, N26 9 (latest)            1 passive, 1 promoter, weight 1.5 each
  all responses      5 P, 1 ., 3 D of 9  -> 100 x (5 - 3) / 9 = +22.2
  latest per contact C2 P, C1 D, C7 D, C8 P -> 100 x (2 - 2) / 4 = 0
  decision-weighted  promoter weight 4 + 1.5 = 5.5, detractor weight 6 + 2 = 8, total 15
                     -> 100 x (5.5 - 8) / 15 = -16.7 -> a detractor account
  mean score         (10 + 9 + 9 + 10 + 3 + 2 + 6 + 7 + 9) / 9 = 65 / 9
"""

# ruff: noqa: E501 (hand-written CSV fixtures read best as the files they stand for)
from __future__ import annotations

from pathlib import Path

from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

CONTACTS = """contact_id,account_id,email,full_name,job_title,created_at
C1,A1,ann@alpha.example,Ann Alpha,CEO,2025-10-01T00:00:00Z
C2,A1,bob@alpha.example,Bob Alpha,Support Agent,2025-10-01T00:00:00Z
C3,A2,cy@beta.example,Cy Beta,VP Customer Success,2025-10-01T00:00:00Z
C4,A3,di@gamma.example,Di Gamma,Data Analyst,2025-11-01T00:00:00Z
C5,A4,ed@delta.example,Ed Delta,IT Manager,2025-12-01T00:00:00Z
C6,A6,flo@zeta.example,Flo Zeta,Head of Support,2025-10-01T00:00:00Z
C7,A1,gus@alpha.example,Gus Alpha,Procurement Manager,2025-10-01T00:00:00Z
C8,A1,hal@alpha.example,Hal Alpha,Customer Success Manager,2025-10-01T00:00:00Z
C9,A3,ivy@gamma.example,Ivy Gamma,,2025-11-01T00:00:00Z
"""

NPS_RESPONSES = """response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,score,comment
N01,C3,A2,rel-q1,relationship,2025-03-15T10:00:00Z,10,
N02,C3,A2,rel-q4,relationship,2025-10-10T10:00:00Z,9,
N03,C6,A6,rel-q4,relationship,2025-10-20T10:00:00Z,7,
N04,C5,A4,sup-q4,support,2025-12-31T12:00:00Z,3,Nobody called back
N05,C2,A1,app-q1,in_app,2026-01-05T10:00:00Z,10,
N06,C2,A1,app-q1,in_app,2026-01-06T10:00:00Z,9,
N07,C8,A1,rel-q1,relationship,2026-01-07T10:00:00Z,7,
N08,C3,A2,rel-q1,relationship,2026-01-08T10:00:00Z,9,
N09,C3,A2,ren-q1,renewal,2026-01-09T10:00:00Z,10,
N10,C4,A3,rel-q1,relationship,2026-01-10T10:00:00Z,9,
N11,C6,A6,rel-q1,relationship,2026-01-11T10:00:00Z,9,
N12,C9,A3,rel-q1,relationship,2026-01-12T10:00:00Z,10,
N13,,A6,,,2026-01-13T10:00:00Z,9,
N14,C5,A4,rel-q1,relationship,2026-01-31T23:30:00Z,0,Too expensive
N15,C2,A1,sup-q1,support,2026-02-02T10:00:00Z,9,
N16,C2,A1,sup-q1,support,2026-02-03T10:00:00Z,10,
N17,C1,A1,rel-q1,relationship,2026-02-04T10:00:00Z,3,Reports are slow
N18,C7,A1,rel-q1,relationship,2026-02-05T10:00:00Z,6,
N19,C5,A4,ren-q1,renewal,2026-02-06T10:00:00Z,4,
N20,C6,A6,sup-q1,support,2026-02-07T10:00:00Z,5,Support is slow
N21,C4,A3,sup-q1,support,2026-02-08T10:00:00Z,6,
N22,C3,A2,rel-q1,relationship,2026-02-09T10:00:00Z,1,We left
N23,C6,A6,app-q1,in_app,2026-02-10T10:00:00Z,8,
N24,,,,,2026-02-11T10:00:00Z,7,
N25,C1,A1,rel-q1,relationship,2026-03-02T10:00:00Z,2,Still too slow
N26,C8,A1,app-q1,in_app,2026-03-03T10:00:00Z,9,
N27,C4,A3,app-q1,in_app,2026-03-04T10:00:00Z,8,
"""

# Open tickets (new/open/pending): A3 1 (T2), A4 2 (T3, T4), A1 0 (T1 solved, T5 closed).
TICKETS = """ticket_id,account_id,contact_id,created_at,first_response_at,solved_at,channel,priority,status,category,subject,description,csat_score
T1,A1,C2,2026-03-01T09:00:00Z,2026-03-01T09:30:00Z,2026-03-02T09:00:00Z,email,normal,solved,billing,Invoice question,Where is my invoice?,5
T2,A3,C4,2026-03-20T09:00:00Z,,,chat,urgent,open,outage,Dashboard down,Nothing loads,
T3,A4,C5,2026-02-07T09:00:00Z,2026-02-07T10:00:00Z,,email,normal,pending,billing,Refund,Please refund,
T4,A4,C5,2026-03-30T09:00:00Z,,,web,low,new,billing,Cancel,How do I cancel?,
T5,A1,C1,2026-02-05T09:00:00Z,2026-02-05T09:10:00Z,2026-02-06T09:00:00Z,phone,high,closed,performance,Slow reports,Reports take minutes,2
"""


def write_nps_extracts(root: Path) -> Path:
    """Write the tiny CRM with this module's contacts, tickets and NPS responses under `root`."""
    write_tiny_extracts(root, nps_responses=NPS_RESPONSES)
    (root / "crm" / DELIVERY / "contacts.csv").write_text(CONTACTS)
    (root / "support" / DELIVERY / "tickets.csv").write_text(TICKETS)
    return root
