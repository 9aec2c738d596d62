"""The tiny extracts with support tickets and their histories whose metrics are worked out by
hand (as of 2026-03-31, reporting timezone UTC), and a reference folder with a Berlin schedule.

Schedule: Monday to Friday 09:00-17:00 Europe/Berlin; New Year's Day 2026 (a Thursday) is a
holiday. Berlin is UTC+1 (CET) until Sunday 29 March 2026 02:00, then UTC+2 (CEST), so the
working hours are 08:00-16:00 UTC up to Friday 27 March and 07:00-15:00 UTC from Monday 30 March.
SLA targets: urgent 60 / 480 calendar minutes, high 120 / 960, normal 480 / 2400 and low 960 /
4800 business minutes (first reply / full resolution). Times below are UTC.

T10 reopened twice (normal, G1, U1; closed now). Events: 3 Mar 08:30 open, 09:00 agent reply
    pending, 10:00 open, 10:30 open again (no new stretch), 11:00 agent reply solved; 4 Mar
    08:00 open (reopen 1), 08:20 hold, 08:40 open, 09:00 agent reply solved; 5 Mar 08:00 open
    (reopen 2), 08:30 solved; 8 Mar 09:00 closed (not a reopen). Created Tue 3 Mar 08:00.
      stretches  new 30, open 30, pending 60, open 60, solved, open 20, hold 20, open 20,
                 solved, open 30, solved, closed: 12 spans
      first reply 08:00 -> 09:00 = 60 calendar, all in hours = 60 business
      first resolution 08:00 -> 11:00 = 180 / 180
      full resolution (last solve 5 Mar 08:30) = 2 x 1440 + 30 = 2910 calendar;
        business 3 Mar 480 + 4 Mar 480 + 5 Mar 08:00-08:30 30 = 990
      requester wait (new, open, hold) 30 + 30 + 60 + 20 + 20 + 20 + 30 = 210 / 210
      agent work (new, open) 210 - 20 hold = 190 / 190; agent wait (pending) 60 / 60
      reopens 2; 3 public agent replies: neither one- nor two-touch
      SLA normal: 60 <= 480 and 990 <= 2400, both met
T11 one-touch (normal, G1, U2): Wed 4 Mar 10:00, agent reply and solved 10:45.
      first reply, first and full resolution 45 / 45; requester wait = agent work = new 45;
      agent wait 0; one-touch
T12 two-touch (high, G2, U1): Wed 4 Mar 12:00; 12:10 agent reply pending; 12:30 open; 13:00
      agent reply solved. first reply 10 / 10; resolution 60 / 60; requester wait = agent
      work = new 10 + open 30 = 40; agent wait 20; two-touch
T13 urgent, first reply one minute late (G2, U2): Wed 4 Mar 14:00; 15:01 agent reply open;
      20:00 solved. first reply 61 calendar > 60: breached; business 61 (in hours).
      full resolution 360 calendar <= 480: met; business 14:00-16:00 = 120.
      requester wait = agent work = 61 + 299 = 360 calendar, 120 business; one-touch
T14 urgent, on target to the minute (G2, U2): Thu 5 Mar 14:00; 15:00 agent reply solved.
      first reply 60 = target: met; resolution 60 met; requester wait 60; one-touch
T15 over a weekend, no events (high, G1, no agent): Fri 13 Mar 15:30 (16:30 CET);
      first_response_at Mon 16 Mar 08:15; solved_at Mon 16 Mar 10:00.
      first reply Fri 15:30 -> Mon 08:15 = 64 h 45 = 3885 calendar;
        business Fri 15:30-16:00 30 + Mon 08:00-08:15 15 = 45
      full resolution 66 h 30 = 3990 calendar; business 30 + Mon 08:00-10:00 120 = 150
      reopens, touches and status times unknown (null); SLA high met twice
T16 over the DST change, first reply one business minute late (high, G1, U1): Fri 27 Mar
      15:00 (16:00 CET); Mon 30 Mar 08:01 (10:01 CEST) agent reply pending; 09:00 solved.
      first reply Fri 15:00 -> Mon 08:01 = 72 h - 6 h 59 = 65 h 01 = 3901 calendar;
        business Fri 15:00-16:00 60 + Mon 07:00-08:01 61 = 121 > 120: breached
        (a DST-blind schedule, 08:00-16:00 UTC on Monday too, would give 60 + 1 = 61: met)
      full resolution 66 h = 3960 calendar; business 60 + 07:00-09:00 120 = 180
      requester wait = agent work = new 3901 / 121; agent wait = pending 59 / 59; one-touch
T17 over a holiday, no events (low, G2, U2): Wed 31 Dec 2025 15:00 (16:00 CET); first reply
      Fri 2 Jan 08:10 (09:10); solved 09:00.
      first reply 41 h 10 = 2470 calendar; business Wed 15:00-16:00 60 + Thu (New Year's Day)
        0 + Fri 08:00-08:10 10 = 70 (550 if the holiday were worked)
      full resolution 42 h = 2520 calendar; business 60 + 60 = 120
T18 urgent, never replied, no events (G1, U1; new): Tue 31 Mar 14:00. As-of ends 1 Apr 00:00:
      600 calendar minutes so far > 60 and > 480: both SLAs breached while still open
T19 low, replied, still pending (G2, no agent): Tue 31 Mar 14:00; 14:30 agent reply pending.
      first reply 30 / 30 (CEST hours 07:00-15:00): met; resolution so far 60 business <=
      4800: not decided (null); not solved: status times null, not one-touch
T20 urgent, solved without a reply, no events (G1, U1): Tue 3 Feb 10:00, solved 10:30. The
      first-reply clock stops at the solve: 30 <= 60, met (not breached by running to as-of);
      full resolution 30 / 30

Backlog (open at the day's end = the next midnight UTC; waiting = pending or hold):
  31 Dec 2025  T17 created: open 1;  1 Jan open 1;  2 Jan T17 solved: open 0, 1 solve
  3 Feb  T20 created and solved: open 0, 1 solve
  3 Mar  T10 created and solved at 11:00: open 0, 1 solve
  4 Mar  T11, T12, T13 created; solves T10 09:00, T11, T12, T13: 4; open 0
  5 Mar  T14 created; solves T10 08:30, T14: 2;  8 Mar T10 closed: 0 solves
  13 Mar T15 created: open 1 through 15 Mar;  16 Mar solved: open 0, 1 solve
  27 Mar T16 created: open 1 (new) through 29 Mar;  30 Mar solved: open 0, 1 solve
  31 Mar T18, T19 created: open 2, waiting 1 (T19 pending)

March 2026, all tickets (T10-T16, T18, T19 = 9):
  first reply calendar 10 30 45 60 60 61 3885 3901: median 60, p90 at rank 6.3 = 3885 +
    0.3 x 16 = 3889.8; business 10 30 45 45 60 60 61 121: median 52.5, p90 61 + 0.3 x 60 = 79
  full resolution calendar 45 60 60 360 2910 3960 3990: median 360, p90 at rank 5.4 = 3960 +
    0.4 x 30 = 3972; business 45 60 60 120 150 180 990: median 120, p90 180 + 0.4 x 810 = 504
  requester wait business 40 45 60 120 121 210: median 90; agent work 40 45 60 120 121 190: 90
  solved with events T10 T11 T12 T13 T14 T16: one-touch T11 T13 T14 T16 = 4/6; reopened T10 1/6
  first reply SLA decided for all 9, breached T13 T16 T18 = 3; resolution decided 8
    (T19 open within target), breached T18 = 1
  CSAT T10 4, T11 5, T12 2, T13 1, T15 5, T16 3: 6 ratings, average 20/6, satisfied 3/6
  group G1 (T10 T11 T15 T16 T18): CSAT 4 5 5 3 = 4.25, satisfied 75%
  agent U2 (T11 T13 T14): first reply breaches 1 of 3; CSAT 5 1 = 3.0, satisfied 50%
"""

from __future__ import annotations

from pathlib import Path

from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

SUPPORT_TICKETS = """\
ticket_id,account_id,contact_id,created_at,first_response_at,solved_at,channel,priority,status,category,subject,description,csat_score,requester_email,assignee_id,group_id
T10,A1,C1,2026-03-03T08:00:00Z,2026-03-03T09:00:00Z,2026-03-05T08:30:00Z,email,normal,closed,billing,Invoice,Where is it?,4,,U1,G1
T11,A2,C3,2026-03-04T10:00:00Z,2026-03-04T10:45:00Z,2026-03-04T10:45:00Z,chat,normal,solved,how-to,Export,How?,5,,U2,G1
T12,A3,C4,2026-03-04T12:00:00Z,2026-03-04T12:10:00Z,2026-03-04T13:00:00Z,email,high,solved,bug,Error,It fails,2,,U1,G2
T13,A1,C2,2026-03-04T14:00:00Z,2026-03-04T15:01:00Z,2026-03-04T20:00:00Z,phone,urgent,solved,outage,Down,Nothing loads,1,,U2,G2
T14,A3,C4,2026-03-05T14:00:00Z,2026-03-05T15:00:00Z,2026-03-05T15:00:00Z,chat,urgent,solved,outage,Slow,Very slow,,,U2,G2
T15,A6,C6,2026-03-13T15:30:00Z,2026-03-16T08:15:00Z,2026-03-16T10:00:00Z,web,high,solved,bug,Weekend,Broken,5,,,G1
T16,A2,C3,2026-03-27T15:00:00Z,2026-03-30T08:01:00Z,2026-03-30T09:00:00Z,web,high,solved,bug,DST,Clock,3,,U1,G1
T17,A3,C4,2025-12-31T15:00:00Z,2026-01-02T08:10:00Z,2026-01-02T09:00:00Z,email,low,solved,how-to,Holiday,New year,4,,U2,G2
T18,A1,C1,2026-03-31T14:00:00Z,,,chat,urgent,new,outage,Urgent,Help,,,U1,G1
T19,A2,C3,2026-03-31T14:00:00Z,2026-03-31T14:30:00Z,,email,low,pending,how-to,Question,When?,,,,G2
T20,A1,C2,2026-02-03T10:00:00Z,,2026-02-03T10:30:00Z,web,urgent,solved,how-to,Solved,No reply,,,U1,G1
"""

TICKET_EVENTS = """\
event_id,ticket_id,occurred_at,status,is_public_agent_reply
E101,T10,2026-03-03T08:30:00Z,open,false
E102,T10,2026-03-03T09:00:00Z,pending,true
E103,T10,2026-03-03T10:00:00Z,open,false
E112,T10,2026-03-03T10:30:00Z,open,false
E104,T10,2026-03-03T11:00:00Z,solved,true
E105,T10,2026-03-04T08:00:00Z,open,false
E106,T10,2026-03-04T08:20:00Z,hold,false
E107,T10,2026-03-04T08:40:00Z,open,false
E108,T10,2026-03-04T09:00:00Z,solved,true
E109,T10,2026-03-05T08:00:00Z,open,false
E110,T10,2026-03-05T08:30:00Z,solved,false
E111,T10,2026-03-08T09:00:00Z,closed,false
E113,T11,2026-03-04T10:45:00Z,solved,true
E114,T12,2026-03-04T12:10:00Z,pending,true
E115,T12,2026-03-04T12:30:00Z,open,false
E116,T12,2026-03-04T13:00:00Z,solved,true
E117,T13,2026-03-04T15:01:00Z,open,true
E118,T13,2026-03-04T20:00:00Z,solved,false
E119,T14,2026-03-05T15:00:00Z,solved,true
E120,T16,2026-03-30T08:01:00Z,pending,true
E121,T16,2026-03-30T09:00:00Z,solved,false
E122,T19,2026-03-31T14:30:00Z,pending,true
"""

BUSINESS_HOURS = """\
weekday,start_time,end_time,timezone
1,09:00,17:00,Europe/Berlin
2,09:00,17:00,Europe/Berlin
3,09:00,17:00,Europe/Berlin
4,09:00,17:00,Europe/Berlin
5,09:00,17:00,Europe/Berlin
"""

HOLIDAYS = """\
holiday_date,name
2026-01-01,New Year's Day
"""

SLA_POLICIES = """\
priority,first_reply_minutes,resolution_minutes,business_hours
urgent,60,480,false
high,120,960,true
normal,480,2400,true
low,960,4800,true
"""


def write_support_extracts(root: Path, events: bool = True) -> Path:
    """The tiny extracts with the tickets above (and, with `events`, their histories)."""
    write_tiny_extracts(root)
    support = root / "support" / DELIVERY
    (support / "tickets.csv").write_text(SUPPORT_TICKETS)
    if events:
        (support / "ticket_events.csv").write_text(TICKET_EVENTS)
    return root


def write_support_reference(reference_root: Path) -> Path:
    """A reference folder with the Berlin schedule, the holiday and the SLA policies."""
    reference_root.mkdir(parents=True, exist_ok=True)
    (reference_root / "business_hours.csv").write_text(BUSINESS_HOURS)
    (reference_root / "holidays.csv").write_text(HOLIDAYS)
    (reference_root / "sla_policies.csv").write_text(SLA_POLICIES)
    return reference_root
