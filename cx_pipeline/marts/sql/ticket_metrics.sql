-- One row per ticket with the help desk's metrics, defined as dbt_zendesk's
-- zendesk__ticket_metrics defines them (docs/support.md names the model behind each):
--   * First reply: creation to the first public agent reply (ticket_events); a ticket without
--     events uses its first_response_at.
--   * First / full resolution: creation to the first / the last time it became solved (closed
--     when it never was solved); full resolution only while the ticket is solved or closed.
--   * Reopens: times the ticket went from solved or closed back to an unsolved status.
--   * One- / two-touch: solved or closed now with exactly 1 / 2 public agent replies.
--   * Requester wait = time in new, open and hold; agent work = new and open; agent wait =
--     pending; each summed over the status stretches up to the last solve of a solved ticket.
--   * Every time in calendar minutes and in business minutes: the minutes of the interval that
--     fall inside marts.business_hours_windows (schedule minus holidays, in its timezone).
--   * SLA (raw.sla_policies, by priority): elapsed time on the policy's clock (business or
--     calendar minutes) from creation to the first reply (or the first solve, for a ticket
--     solved without a reply) and to the last solve, or to the end of the as-of day while that
--     has not happened. Breached when elapsed > target (a reply one minute late breaches, one
--     exactly on target does not); met when it happened within the target; null while it has
--     not happened and is still within the target, or without a policy.
--
-- MAINTAINED BY TICKET (marts/incremental.py, kind "keys", key ticket_id). A ticket's row reads only its own
-- rows (the ticket, its events, its status stretches), the schedule, the holidays and the SLA
-- policies, and the as-of date while it still waits for a first reply or a solve. So a run
-- keeps the rows of the other tickets and computes:
--   tickets whose rows were added, changed or gone since the last build (found by comparing a
--     digest of each ticket's rows with audit.ticket_metrics_inputs, kept from the last build);
--   tickets still waiting for a first reply (and not solved) or for a solve: their times so far
--     run to the end of the as-of day; and those replied to or solved after the as-of day (a
--     support delivery ahead of the CRM's), whose business minutes reach past the schedule;
--   every ticket when the schedule, the holidays or the SLA policies changed.
-- With full every row is rebuilt: a first build, after an erasure, a purge, a change of this
-- file, the shared rules or the SQL of a mart it reads, a setting those read, a new timezone, an
-- as-of date moved backwards, or CX_FULL_REBUILD=true (audit.mart_builds says which). Both paths
-- run the same statements.

-- Each ticket's rows as its metrics read them, as one digest; and one row (no ticket) for what
-- every ticket reads.
CREATE OR REPLACE TEMP TABLE ticket_metric_inputs AS
SELECT
    t.ticket_id,
    hash(t.created_at, t.first_response_at, t.channel, t.priority, t.group_id, t.assignee_id,
         t.status, t.csat_score, e.digest, s.digest) AS digest
FROM staging.tickets AS t
LEFT JOIN (
    SELECT ticket_id, sum(hash(event_id, occurred_at, is_public_agent_reply)) AS digest
    FROM staging.ticket_events
    GROUP BY ticket_id
) AS e ON e.ticket_id = t.ticket_id
LEFT JOIN (
    SELECT ticket_id, sum(hash(span_number, status, valid_from, valid_to)) AS digest
    FROM marts.ticket_status_spans
    GROUP BY ticket_id
) AS s ON s.ticket_id = t.ticket_id
UNION ALL
SELECT
    NULL,
    hash(
        (SELECT sum(hash(weekday, start_time, end_time, timezone)) FROM raw.business_hours),
        (SELECT sum(hash(holiday_date)) FROM raw.holidays),
        (SELECT sum(hash(priority, first_reply_minutes, resolution_minutes, business_hours))
         FROM raw.sla_policies)
    );

CREATE TABLE IF NOT EXISTS audit.ticket_metrics_inputs (ticket_id VARCHAR, digest UBIGINT);

-- The tickets to compute: every one in a full build or after a change of what every ticket
-- reads; else those with rows added, changed or gone (both versions of a changed ticket count),
-- and those still waiting.
CREATE OR REPLACE TEMP TABLE keys_to_build AS
WITH changed AS (
    (SELECT * FROM ticket_metric_inputs EXCEPT SELECT * FROM audit.ticket_metrics_inputs)
    UNION ALL
    (SELECT * FROM audit.ticket_metrics_inputs EXCEPT SELECT * FROM ticket_metric_inputs)
),

everything AS (
    SELECT $full OR count(*) FILTER (ticket_id IS NULL) > 0 AS yes FROM changed
)

SELECT ticket_id FROM staging.tickets WHERE (SELECT yes FROM everything)
UNION
SELECT ticket_id FROM changed WHERE ticket_id IS NOT NULL
UNION
SELECT ticket_id FROM marts.ticket_metrics
WHERE (first_reply_at IS NULL AND first_solved_at IS NULL) OR last_solved_at IS NULL
   -- A reply or solve after the as-of day: the schedule's windows (marts.business_hours_windows)
   -- end two days after it, so its business minutes grow as the as-of date moves.
   OR first_reply_at >= timezone($timezone, CAST(CAST($as_of AS DATE) + 1 AS TIMESTAMP))
   OR first_solved_at >= timezone($timezone, CAST(CAST($as_of AS DATE) + 1 AS TIMESTAMP))
   OR last_solved_at >= timezone($timezone, CAST(CAST($as_of AS DATE) + 1 AS TIMESTAMP));

CREATE OR REPLACE TABLE audit.ticket_metrics_inputs AS FROM ticket_metric_inputs;

DELETE FROM marts.ticket_metrics WHERE ticket_id IN (SELECT ticket_id FROM keys_to_build);

INSERT INTO marts.ticket_metrics (
    ticket_id, created_at, created_month, channel, priority, group_id, assignee_id, status,
    csat_score, has_events, first_reply_at, first_solved_at, last_solved_at,
    public_agent_replies, reopens, is_one_touch_resolution, is_two_touch_resolution,
    first_reply_calendar_minutes, first_reply_business_minutes,
    first_resolution_calendar_minutes, first_resolution_business_minutes,
    full_resolution_calendar_minutes, full_resolution_business_minutes,
    requester_wait_calendar_minutes, requester_wait_business_minutes,
    agent_work_calendar_minutes, agent_work_business_minutes, agent_wait_calendar_minutes,
    agent_wait_business_minutes, sla_in_business_hours, first_reply_target_minutes,
    first_reply_sla_minutes, first_reply_breached, resolution_target_minutes,
    resolution_sla_minutes, resolution_breached
)
WITH as_of_end AS (
    -- The instant the day after as-of starts, in the reporting timezone.
    SELECT timezone($timezone, CAST(CAST($as_of AS DATE) + 1 AS TIMESTAMP)) AS ends_at
),

has_schedule AS (
    SELECT count(*) > 0 AS yes FROM raw.business_hours
),

with_events AS (
    SELECT DISTINCT ticket_id FROM staging.ticket_events
    WHERE ticket_id IN (SELECT ticket_id FROM keys_to_build)
),

replies AS (
    SELECT ticket_id, min(occurred_at) AS first_reply_at, count(*) AS public_agent_replies
    FROM staging.ticket_events
    WHERE is_public_agent_reply AND ticket_id IN (SELECT ticket_id FROM keys_to_build)
    GROUP BY ticket_id
),

spans AS (
    SELECT
        *,
        lag(status) OVER (PARTITION BY ticket_id ORDER BY span_number) AS previous_status
    FROM marts.ticket_status_spans
    WHERE ticket_id IN (SELECT ticket_id FROM keys_to_build)
),

solves AS (
    SELECT
        ticket_id,
        arg_max(status, span_number) IN ('solved', 'closed') AS is_solved,
        coalesce(min(valid_from) FILTER (status = 'solved'),
                 min(valid_from) FILTER (status = 'closed')) AS first_solved_at,
        coalesce(max(valid_from) FILTER (status = 'solved'),
                 max(valid_from) FILTER (status = 'closed')) AS last_solved_at,
        count(*) FILTER (status NOT IN ('solved', 'closed')
                         AND previous_status IN ('solved', 'closed')) AS reopens
    FROM spans
    GROUP BY ticket_id
),

base AS (
    SELECT
        t.ticket_id,
        t.created_at,
        local_month(t.created_at, $timezone) AS created_month,
        t.channel,
        t.priority,
        t.group_id,
        t.assignee_id,
        t.status,
        t.csat_score,
        e.ticket_id IS NOT NULL AS has_events,
        CASE WHEN e.ticket_id IS NOT NULL THEN r.first_reply_at ELSE t.first_response_at END
            AS first_reply_at,
        s.is_solved,
        s.first_solved_at,
        CASE WHEN s.is_solved THEN s.last_solved_at END AS last_solved_at,
        CASE WHEN e.ticket_id IS NOT NULL THEN coalesce(r.public_agent_replies, 0) END
            AS public_agent_replies,
        CASE WHEN e.ticket_id IS NOT NULL THEN s.reopens END AS reopens
    FROM staging.tickets AS t
    LEFT JOIN with_events AS e ON e.ticket_id = t.ticket_id
    LEFT JOIN replies AS r ON r.ticket_id = t.ticket_id
    LEFT JOIN solves AS s ON s.ticket_id = t.ticket_id
    WHERE t.ticket_id IN (SELECT ticket_id FROM keys_to_build)
),

-- Every interval a metric measures; a metric may add up several (status stretches).
intervals AS (
    SELECT ticket_id, 'first_reply' AS metric, created_at AS started_at, first_reply_at AS ended_at
    FROM base WHERE first_reply_at IS NOT NULL
    UNION ALL
    SELECT ticket_id, 'first_resolution', created_at, first_solved_at
    FROM base WHERE first_solved_at IS NOT NULL
    UNION ALL
    SELECT ticket_id, 'full_resolution', created_at, last_solved_at
    FROM base WHERE last_solved_at IS NOT NULL
    UNION ALL
    SELECT ticket_id, 'first_reply_so_far', created_at,
        greatest(created_at, coalesce(first_reply_at, first_solved_at, (SELECT ends_at FROM as_of_end)))
    FROM base
    UNION ALL
    SELECT ticket_id, 'resolution_so_far', created_at,
        greatest(created_at, coalesce(last_solved_at, (SELECT ends_at FROM as_of_end)))
    FROM base
    UNION ALL
    SELECT s.ticket_id, m.metric, s.valid_from, least(coalesce(s.valid_to, b.last_solved_at), b.last_solved_at)
    FROM spans AS s
    INNER JOIN base AS b ON b.ticket_id = s.ticket_id AND b.has_events AND b.last_solved_at IS NOT NULL
    INNER JOIN (VALUES
        ('requester_wait', 'new'), ('requester_wait', 'open'), ('requester_wait', 'hold'),
        ('agent_work', 'new'), ('agent_work', 'open'),
        ('agent_wait', 'pending')
    ) AS m (metric, status) ON m.status = s.status
    WHERE s.valid_from < b.last_solved_at
),

numbered AS (
    SELECT row_number() OVER () AS interval_id, * FROM intervals
),

business AS (
    SELECT
        i.interval_id,
        sum(epoch(least(i.ended_at, w.window_end)) - epoch(greatest(i.started_at, w.window_start)))
            / 60.0 AS business_minutes
    FROM numbered AS i
    INNER JOIN marts.business_hours_windows AS w
        ON w.window_start < i.ended_at AND w.window_end > i.started_at
    GROUP BY i.interval_id
),

measured AS (
    SELECT
        i.ticket_id,
        i.metric,
        sum(epoch(i.ended_at) - epoch(i.started_at)) / 60.0 AS calendar_minutes,
        CASE WHEN (SELECT yes FROM has_schedule) THEN coalesce(sum(b.business_minutes), 0) END
            AS business_minutes
    FROM numbered AS i
    LEFT JOIN business AS b ON b.interval_id = i.interval_id
    GROUP BY i.ticket_id, i.metric
),

pivoted AS (
    SELECT
        ticket_id,
        max(calendar_minutes) FILTER (metric = 'first_reply') AS first_reply_cal,
        max(business_minutes) FILTER (metric = 'first_reply') AS first_reply_bus,
        max(calendar_minutes) FILTER (metric = 'first_resolution') AS first_resolution_cal,
        max(business_minutes) FILTER (metric = 'first_resolution') AS first_resolution_bus,
        max(calendar_minutes) FILTER (metric = 'full_resolution') AS full_resolution_cal,
        max(business_minutes) FILTER (metric = 'full_resolution') AS full_resolution_bus,
        max(calendar_minutes) FILTER (metric = 'requester_wait') AS requester_wait_cal,
        max(business_minutes) FILTER (metric = 'requester_wait') AS requester_wait_bus,
        max(calendar_minutes) FILTER (metric = 'agent_work') AS agent_work_cal,
        max(business_minutes) FILTER (metric = 'agent_work') AS agent_work_bus,
        max(calendar_minutes) FILTER (metric = 'agent_wait') AS agent_wait_cal,
        max(business_minutes) FILTER (metric = 'agent_wait') AS agent_wait_bus,
        max(calendar_minutes) FILTER (metric = 'first_reply_so_far') AS first_reply_so_far_cal,
        max(business_minutes) FILTER (metric = 'first_reply_so_far') AS first_reply_so_far_bus,
        max(calendar_minutes) FILTER (metric = 'resolution_so_far') AS resolution_so_far_cal,
        max(business_minutes) FILTER (metric = 'resolution_so_far') AS resolution_so_far_bus
    FROM measured
    GROUP BY ticket_id
),

-- Status times only for a solved ticket with events; 0 when it was never in those statuses.
timed AS (
    SELECT
        b.*,
        p.*EXCLUDE (ticket_id),
        b.has_events AND b.last_solved_at IS NOT NULL AS has_status_times,
        sla.business_hours AS sla_in_business_hours,
        sla.first_reply_minutes AS first_reply_target_minutes,
        sla.resolution_minutes AS resolution_target_minutes
    FROM base AS b
    LEFT JOIN pivoted AS p ON p.ticket_id = b.ticket_id
    LEFT JOIN raw.sla_policies AS sla ON sla.priority = b.priority
),

sla AS (
    SELECT
        *,
        CASE WHEN first_reply_target_minutes IS NOT NULL THEN
            CASE WHEN sla_in_business_hours THEN first_reply_so_far_bus
                 ELSE first_reply_so_far_cal END
        END AS first_reply_sla_minutes,
        CASE WHEN resolution_target_minutes IS NOT NULL THEN
            CASE WHEN sla_in_business_hours THEN resolution_so_far_bus
                 ELSE resolution_so_far_cal END
        END AS resolution_sla_minutes
    FROM timed
)

SELECT
    ticket_id,
    created_at,
    created_month,
    channel,
    priority,
    group_id,
    assignee_id,
    status,
    csat_score,
    has_events,
    first_reply_at,
    first_solved_at,
    last_solved_at,
    public_agent_replies,
    reopens,
    CASE WHEN has_events THEN coalesce(is_solved AND public_agent_replies = 1, false) END
        AS is_one_touch_resolution,
    CASE WHEN has_events THEN coalesce(is_solved AND public_agent_replies = 2, false) END
        AS is_two_touch_resolution,
    first_reply_cal AS first_reply_calendar_minutes,
    first_reply_bus AS first_reply_business_minutes,
    first_resolution_cal AS first_resolution_calendar_minutes,
    first_resolution_bus AS first_resolution_business_minutes,
    full_resolution_cal AS full_resolution_calendar_minutes,
    full_resolution_bus AS full_resolution_business_minutes,
    CASE WHEN has_status_times THEN coalesce(requester_wait_cal, 0) END
        AS requester_wait_calendar_minutes,
    CASE WHEN has_status_times AND (SELECT yes FROM has_schedule)
        THEN coalesce(requester_wait_bus, 0) END AS requester_wait_business_minutes,
    CASE WHEN has_status_times THEN coalesce(agent_work_cal, 0) END
        AS agent_work_calendar_minutes,
    CASE WHEN has_status_times AND (SELECT yes FROM has_schedule)
        THEN coalesce(agent_work_bus, 0) END AS agent_work_business_minutes,
    CASE WHEN has_status_times THEN coalesce(agent_wait_cal, 0) END
        AS agent_wait_calendar_minutes,
    CASE WHEN has_status_times AND (SELECT yes FROM has_schedule)
        THEN coalesce(agent_wait_bus, 0) END AS agent_wait_business_minutes,
    sla_in_business_hours,
    first_reply_target_minutes,
    first_reply_sla_minutes,
    CASE
        WHEN first_reply_sla_minutes > first_reply_target_minutes THEN true
        WHEN coalesce(first_reply_at, first_solved_at) IS NOT NULL
            AND first_reply_sla_minutes IS NOT NULL THEN false
    END AS first_reply_breached,
    resolution_target_minutes,
    resolution_sla_minutes,
    CASE
        WHEN resolution_sla_minutes > resolution_target_minutes THEN true
        WHEN last_solved_at IS NOT NULL AND resolution_sla_minutes IS NOT NULL THEN false
    END AS resolution_breached
FROM sla;
