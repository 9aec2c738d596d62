"""Support operations marts: the help desk's ticket metrics (first reply, resolution, requester
wait and agent work time, reopens, touches), in calendar and business minutes, SLA breaches, the
daily backlog and the monthly medians and 90th percentiles per channel, priority, group and agent.

The definitions follow Fivetran's open-source dbt_zendesk package (zendesk__ticket_metrics and
the models it reads); docs/support.md sets each column beside the Zendesk metric it matches.
Business minutes are the minutes inside marts.business_hours_windows: the schedule in
raw.business_hours (one timezone, daylight saving followed) minus raw.holidays.
"""

from __future__ import annotations

from cx_pipeline.marts.builder import MartSpec

_CALENDAR = "calendar minutes"
_BUSINESS = "business minutes (inside business_hours_windows); null without a schedule"

BUSINESS_HOURS_WINDOWS = MartSpec(
    name="business_hours_windows",
    grain=("window_start",),
    needs=("tickets",),
    description=(
        "The support team's working hours as instants: one row per working day and shift of "
        "raw.business_hours, from two days before the first ticket to two days after as-of, "
        "each day's local start and end time turned into UTC instants in the schedule's "
        "timezone (so daylight saving moves them), holidays (raw.holidays) left out. Business "
        "minutes in the other support marts are the minutes of an interval inside these windows."
    ),
    columns=(
        ("day", "DATE", "Local working day, in the schedule's timezone."),
        ("weekday", "INTEGER", "ISO day of the week (1 = Monday)."),
        ("timezone", "VARCHAR", "The schedule's timezone."),
        ("window_start", "TIMESTAMPTZ", "Start of the working hours that day."),
        ("window_end", "TIMESTAMPTZ", "End of the working hours that day."),
    ),
)

TICKET_STATUS_SPANS = MartSpec(
    name="ticket_status_spans",
    grain=("ticket_id", "span_number"),
    needs=("tickets",),
    description=(
        "Each ticket's statuses over time, one row per stretch in one status. From the ticket's "
        "events (staging.ticket_events) when it has any: 'new' from creation, then every change "
        "of status (an event repeating the current status starts no new stretch). A ticket "
        "without events gets what its own row tells: when solved or closed now, 'open' from "
        "creation to solved_at, then its current status; otherwise its current status from "
        "creation (a ticket open again after a solve counts as unsolved)."
    ),
    columns=(
        ("ticket_id", "VARCHAR", "Ticket."),
        ("span_number", "BIGINT", "1 for the first stretch, in time order."),
        ("status", "VARCHAR", "new, open, pending, hold, solved or closed."),
        ("valid_from", "TIMESTAMPTZ", "When the ticket entered the status."),
        ("valid_to", "TIMESTAMPTZ", "When it left it; null while it is still in it."),
        ("from_events", "BOOLEAN", "true when read from ticket_events, false when inferred."),
    ),
)

TICKET_METRICS = MartSpec(
    name="ticket_metrics",
    grain=("ticket_id",),
    needs=("tickets",),
    description=(
        "One row per ticket with the help desk's metrics, as dbt_zendesk's "
        "zendesk__ticket_metrics defines them: first reply time (creation to the first public "
        "agent reply), first and full resolution time (creation to the first and to the last "
        "solve), requester wait time (time in new, open and hold), agent work time (new and "
        "open) and agent wait time (pending) up to the last solve of a solved ticket, reopens "
        "(a solved ticket set back to an unsolved status), one- and two-touch resolution (a "
        "solved ticket with one or two public agent replies); each time in calendar and "
        "business minutes. Reopens, touches and the status times need ticket_events and are "
        "null for a ticket without. SLA: the raw.sla_policies targets of the ticket's "
        "priority, measured on the policy's clock (business or calendar minutes) up to the "
        "first reply (the first solve when solved without one) and the last solve, or up to the "
        "end of the as-of day while that has not happened; breached "
        "when the elapsed time is over the target, null while still within it or without a "
        "policy. Rules at the top of ticket_metrics.sql; vendor equivalents in docs/support.md."
    ),
    columns=(
        ("ticket_id", "VARCHAR", "Ticket."),
        ("created_at", "TIMESTAMPTZ", "When the ticket was opened."),
        ("created_month", "DATE", "First day of its month, in the reporting timezone."),
        ("channel", "VARCHAR", "Channel it came in by."),
        ("priority", "VARCHAR", "Priority."),
        ("group_id", "VARCHAR", "Support group at extract time."),
        ("assignee_id", "VARCHAR", "Assigned agent at extract time."),
        ("status", "VARCHAR", "Status at extract time."),
        ("csat_score", "BIGINT", "Satisfaction rating 1-5."),
        ("has_events", "BOOLEAN", "The ticket has a history in ticket_events."),
        (
            "first_reply_at",
            "TIMESTAMPTZ",
            "First public agent reply (ticket_events; first_response_at without events).",
        ),
        ("first_solved_at", "TIMESTAMPTZ", "First time it was solved (or closed, if never)."),
        (
            "last_solved_at",
            "TIMESTAMPTZ",
            "Last time it was solved; null unless it is solved or closed now.",
        ),
        ("public_agent_replies", "BIGINT", "Public agent replies; null without events."),
        ("reopens", "BIGINT", "Times a solved ticket was set back unsolved; null without events."),
        (
            "is_one_touch_resolution",
            "BOOLEAN",
            "Solved or closed with exactly one public agent reply; null without events.",
        ),
        (
            "is_two_touch_resolution",
            "BOOLEAN",
            "Solved or closed with exactly two public agent replies; null without events.",
        ),
        ("first_reply_calendar_minutes", "DOUBLE", f"Creation to first reply, {_CALENDAR}."),
        ("first_reply_business_minutes", "DOUBLE", f"The same in {_BUSINESS}."),
        (
            "first_resolution_calendar_minutes",
            "DOUBLE",
            f"Creation to the first solve, {_CALENDAR}.",
        ),
        ("first_resolution_business_minutes", "DOUBLE", f"The same in {_BUSINESS}."),
        (
            "full_resolution_calendar_minutes",
            "DOUBLE",
            f"Creation to the last solve of a solved ticket, {_CALENDAR}.",
        ),
        ("full_resolution_business_minutes", "DOUBLE", f"The same in {_BUSINESS}."),
        (
            "requester_wait_calendar_minutes",
            "DOUBLE",
            f"Time in new, open and hold up to the last solve, {_CALENDAR}; solved tickets "
            "with events only.",
        ),
        ("requester_wait_business_minutes", "DOUBLE", f"The same in {_BUSINESS}."),
        (
            "agent_work_calendar_minutes",
            "DOUBLE",
            f"Time in new and open up to the last solve, {_CALENDAR}; solved tickets with "
            "events only.",
        ),
        ("agent_work_business_minutes", "DOUBLE", f"The same in {_BUSINESS}."),
        (
            "agent_wait_calendar_minutes",
            "DOUBLE",
            f"Time in pending up to the last solve, {_CALENDAR}; solved tickets with events only.",
        ),
        ("agent_wait_business_minutes", "DOUBLE", f"The same in {_BUSINESS}."),
        (
            "sla_in_business_hours",
            "BOOLEAN",
            "The priority's SLA counts business minutes; null without a policy.",
        ),
        ("first_reply_target_minutes", "INTEGER", "SLA target for the first reply."),
        (
            "first_reply_sla_minutes",
            "DOUBLE",
            "First reply time on the SLA's clock (to the first solve if solved unreplied); "
            "while neither happened, up to the as-of day's end.",
        ),
        (
            "first_reply_breached",
            "BOOLEAN",
            "first_reply_sla_minutes > target; null while unreplied and within it.",
        ),
        ("resolution_target_minutes", "INTEGER", "SLA target for the full resolution."),
        (
            "resolution_sla_minutes",
            "DOUBLE",
            "Full resolution time on the SLA's clock; while unsolved, up to the as-of day's end.",
        ),
        (
            "resolution_breached",
            "BOOLEAN",
            "resolution_sla_minutes > target; null while unsolved and within it.",
        ),
    ),
)

TICKET_BACKLOG = MartSpec(
    name="ticket_backlog",
    grain=("day",),
    description=(
        "The backlog per day, in the reporting timezone, from the first ticket's day to as-of: "
        "tickets not solved or closed at the day's end (the status of ticket_status_spans at "
        "the instant the next day starts), of which pending or on hold, with the tickets "
        "created and the solves that day (a ticket solved twice counts twice)."
    ),
    columns=(
        ("day", "DATE", "Calendar day in the reporting timezone."),
        ("created_tickets", "BIGINT", "Tickets created that day."),
        ("solves", "BIGINT", "Times a ticket became solved that day."),
        ("open_tickets", "BIGINT", "Tickets created and not solved or closed at the day's end."),
        ("waiting_tickets", "BIGINT", "Of those, pending or on hold at the day's end."),
    ),
)

SUPPORT_BY_MONTH = MartSpec(
    name="support_by_month",
    grain=("month", "dimension", "value"),
    description=(
        "The tickets created in each month (reporting timezone), for all tickets and per "
        "channel, priority, group and agent (assignee): medians and 90th percentiles "
        "(continuous, interpolated) of first reply and full resolution time in calendar and "
        "business minutes over the tickets that have them, median requester wait and agent "
        "work time, one-touch and reopened shares of the solved tickets with events, SLA breach "
        "rates over the tickets whose SLA is decided (breached or met), and CSAT (average score "
        "and share of 4-5 over the rated tickets)."
    ),
    columns=(
        ("month", "DATE", "First day of the month the tickets were created in."),
        ("dimension", "VARCHAR", "all, channel, priority, group or agent."),
        ("value", "VARCHAR", "The dimension's value ('all'; '(none)' when not set)."),
        ("tickets", "BIGINT", "Tickets created."),
        ("solved_tickets", "BIGINT", "Of those, solved or closed now."),
        ("median_first_reply_calendar_minutes", "DOUBLE", "Median first reply time."),
        ("p90_first_reply_calendar_minutes", "DOUBLE", "90th percentile first reply time."),
        ("median_first_reply_business_minutes", "DOUBLE", "Median, business minutes."),
        ("p90_first_reply_business_minutes", "DOUBLE", "90th percentile, business minutes."),
        ("median_full_resolution_calendar_minutes", "DOUBLE", "Median full resolution time."),
        ("p90_full_resolution_calendar_minutes", "DOUBLE", "90th percentile full resolution."),
        ("median_full_resolution_business_minutes", "DOUBLE", "Median, business minutes."),
        ("p90_full_resolution_business_minutes", "DOUBLE", "90th percentile, business minutes."),
        ("median_requester_wait_business_minutes", "DOUBLE", "Median requester wait time."),
        ("median_agent_work_business_minutes", "DOUBLE", "Median agent work time."),
        (
            "one_touch_pct",
            "DOUBLE",
            "100 x one-touch resolutions / solved tickets with events; null without any.",
        ),
        (
            "reopened_pct",
            "DOUBLE",
            "100 x solved tickets with events reopened at least once / those tickets.",
        ),
        ("first_reply_sla_tickets", "BIGINT", "Tickets whose first-reply SLA is decided."),
        ("first_reply_breaches", "BIGINT", "Of those, breached."),
        (
            "first_reply_breach_pct",
            "DOUBLE",
            "100 x breaches / decided; null with none decided. Attainment is 100 minus it.",
        ),
        ("resolution_sla_tickets", "BIGINT", "Tickets whose resolution SLA is decided."),
        ("resolution_breaches", "BIGINT", "Of those, breached."),
        ("resolution_breach_pct", "DOUBLE", "100 x breaches / decided; null with none decided."),
        ("csat_responses", "BIGINT", "Tickets with a satisfaction rating."),
        ("csat_average", "DOUBLE", "Average rating 1-5."),
        ("csat_satisfied_pct", "DOUBLE", "100 x ratings of 4 or 5 / ratings."),
    ),
)

SPECS = (
    BUSINESS_HOURS_WINDOWS,
    TICKET_STATUS_SPANS,
    TICKET_METRICS,
    TICKET_BACKLOG,
    SUPPORT_BY_MONTH,
)
