"""Tiny extracts for the closed loop, with every figure worked out by hand.

The CRM is that of tiny_extracts (as of 2026-03-31), its answers plus four more (R20, R21, R30,
R31). Settings of the test: reached in time = within 2 days (48 h) of the answer; an account
stayed = a customer 30 days after the answer's day.

Detractor answers (UTC), the contact's next answer, and the account's fate 30 days on:
  R04 C6 A6 31 Dec 23:59  5   no follow-up at all                     (outside the 90-day list)
  R09 C6 A6  8 Jan 10:00  6   next R30 (2): not better, -4            A6 on 7 Feb: stayed
  R10 C5 A4 31 Jan 23:30  0   no next answer                          A4 no customer on 31 Jan
                                                                      (S5 ended 20 Dec): null
  R20 C1 A1  2 Feb 10:00  3   next R21 (10): better, +7               A1 on 4 Mar: stayed
  R30 C6 A6 10 Feb 10:00  2   next R13 (7, 5 Mar): better, +5         A6 on 12 Mar: ended 1 Mar,
                                                                      lost
  R31 C4 A3 30 Mar 09:00  4   no next answer                          29 Apr after as-of: null
(R21 C1 A1 20 Feb 10:00 10 is the promoter answer that follows R20.)

Follow-ups (opened, first contact, closed; hours from opening to contact / close; from the
answer to contact):
  F1 R20        2 Feb 12:00   3 Feb 09:00   5 Feb 12:00   21 / 72,  23 in time   recovered
  F2 R09        9 Jan 09:00  12 Jan 10:00  12 Jan 11:00   73 / 74,  96 late      reached
  F3 R30       10 Feb 11:00  10 Feb 15:00  20 Feb 11:00    4 / 240,  5 in time   lost
  F4 R10        1 Feb 09:00   -             8 Feb 09:00    - / 168,  never       no_answer
  F5 C5 only    3 Feb 09:00   -             -              open: linked by contact to C5's
                                                          latest answer before it, R10
  F6 R31       30 Mar 10:00   -             -              open, not reached
  F7 A3 only   10 Mar 10:00  10 Mar 12:00   -              2 / -: no answer linked; the clock
                                                          starts at the opening: in time
  F8 R20       outcome recovered without a first contact: quarantined (required:first_contact_at)

closed_loop_by_month (detractor answers by month; measured = answered 2 days or more before
31 Mar):
  Dec  1 detractor (R04), not followed up; measured 1, in time 0 -> 0%
  Jan  R09 R10: followed up 2, reached 1 (R09, late), measured 2, in time 0 -> 0%;
       follow-ups F2 F4 F5 = 3, closed 2 (F2, F4); median answer->contact 96; opening->contact
       73; to close median(74, 168) = 121; reached with a next answer 1 (R09), better 0 -> 0%;
       not reached with a next answer 0; reached accounts measured 1 (A6 stayed) -> 100%
  Feb  R20 R30: followed up 2, reached 2, measured 2, in time 2 -> 100%; follow-ups F1 F3,
       closed 2; median answer->contact median(23, 5) = 14, opening->contact median(21, 4) =
       12.5, to close median(72, 240) = 156; recovered 1, lost 1; reached with a next answer 2,
       better 2 -> 100%; accounts measured 2, stayed 1 (A1; A6 lost) -> 50%
  Mar  R31: followed up 1, reached 0, measured 0 (30 Mar + 2 > 31 Mar): no share; F6 open
"""

from __future__ import annotations

from pathlib import Path

from cx_pipeline_tests.tiny_extracts import DELIVERY, NPS_RESPONSES, write_tiny_extracts

SETTINGS = {"followup_reach_days": 2, "followup_retention_days": 30}

MORE_RESPONSES = """R20,C1,A1,rel-q1,relationship,2026-02-02T10:00:00Z,3,Exports keep failing
R21,C1,A1,rel-q1,support,2026-02-20T10:00:00Z,10,Fixed fast
R30,C6,A6,rel-q1,support,2026-02-10T10:00:00Z,2,Too expensive now
R31,C4,A3,rel-q1,in_app,2026-03-30T09:00:00Z,4,
"""

FOLLOWUPS = """followup_id,response_id,contact_id,account_id,created_at,first_contact_at,closed_at,owner,outcome,root_cause
F1,R20,C1,A1,2026-02-02T12:00:00Z,2026-02-03T09:00:00Z,2026-02-05T12:00:00Z,csm-1,recovered,"Export bug; call ann on +44 20 7946 0958"
F2,R09,C6,A6,2026-01-09T09:00:00Z,2026-01-12T10:00:00Z,2026-01-12T11:00:00Z,csm-2,reached,slow support
F3,R30,C6,A6,2026-02-10T11:00:00Z,2026-02-10T15:00:00Z,2026-02-20T11:00:00Z,csm-2,lost,pricing
F4,R10,C5,A4,2026-02-01T09:00:00Z,,2026-02-08T09:00:00Z,csm-1,no_answer,
F5,,C5,,2026-02-03T09:00:00Z,,,csm-1,,
F6,R31,C4,A3,2026-03-30T10:00:00Z,,,csm-3,,
F7,,,A3,2026-03-10T10:00:00Z,2026-03-10T12:00:00Z,,csm-3,reached,onboarding gap
F8,R20,C1,A1,2026-02-04T10:00:00Z,,2026-02-05T10:00:00Z,csm-1,recovered,
"""


def write_closed_loop_extracts(root: Path, followups: bool = True) -> Path:
    """The tiny extracts with this module's answers and, unless told not to, follow-ups."""
    write_tiny_extracts(root, nps_responses=NPS_RESPONSES + MORE_RESPONSES)
    if followups:
        (root / "surveys" / DELIVERY / "followups.csv").write_text(FOLLOWUPS)
    return root
