-- Tickets by the month they were created in (reporting timezone), for all tickets and per
-- channel, priority, group and agent (assignee at extract time; '(none)' when not set).
--   * Medians and 90th percentiles are continuous (interpolated, quantile_cont) over the
--     tickets that have the metric: first reply over the replied, full resolution over the
--     solved.
--   * One-touch and reopened shares are over the solved tickets with events.
--   * An SLA is decided when the ticket breached it or met it (ticket_metrics); breach rates are
--     over the decided tickets. Attainment = 100 - breach rate.
--   * CSAT over the rated tickets: average score, and satisfied = 4 or 5.
-- Each median and 90th percentile pair is one quantile_cont() over both fractions: DuckDB holds
-- the values of every such aggregate outside its memory limit, a copy each (at large2x the four
-- pairs as eight aggregates took a gigabyte more than the limit).
CREATE OR REPLACE TABLE marts.support_by_month AS
WITH by_dimension AS (
    SELECT m.*, d.dimension, d.value
    FROM marts.ticket_metrics AS m,
    unnest([
        {'dimension': 'all', 'value': 'all'},
        {'dimension': 'channel', 'value': coalesce(m.channel, '(none)')},
        {'dimension': 'priority', 'value': coalesce(m.priority, '(none)')},
        {'dimension': 'group', 'value': coalesce(m.group_id, '(none)')},
        {'dimension': 'agent', 'value': coalesce(m.assignee_id, '(none)')}
    ]) AS u (d)
),

aggregated AS (
    SELECT
        created_month AS month,
        dimension,
        value,
        count(*) AS tickets,
        count(*) FILTER (last_solved_at IS NOT NULL) AS solved_tickets,
        quantile_cont(first_reply_calendar_minutes, [0.5, 0.9]) AS first_reply_calendar,
        quantile_cont(first_reply_business_minutes, [0.5, 0.9]) AS first_reply_business,
        quantile_cont(full_resolution_calendar_minutes, [0.5, 0.9]) AS full_resolution_calendar,
        quantile_cont(full_resolution_business_minutes, [0.5, 0.9]) AS full_resolution_business,
        median(requester_wait_business_minutes) AS median_requester_wait_business_minutes,
        median(agent_work_business_minutes) AS median_agent_work_business_minutes,
        100.0 * count(*) FILTER (is_one_touch_resolution)
            / nullif(count(*) FILTER (has_events AND last_solved_at IS NOT NULL), 0)
            AS one_touch_pct,
        100.0 * count(*) FILTER (reopens > 0 AND last_solved_at IS NOT NULL)
            / nullif(count(*) FILTER (has_events AND last_solved_at IS NOT NULL), 0)
            AS reopened_pct,
        count(first_reply_breached) AS first_reply_sla_tickets,
        count(*) FILTER (first_reply_breached) AS first_reply_breaches,
        100.0 * count(*) FILTER (first_reply_breached) / nullif(count(first_reply_breached), 0)
            AS first_reply_breach_pct,
        count(resolution_breached) AS resolution_sla_tickets,
        count(*) FILTER (resolution_breached) AS resolution_breaches,
        100.0 * count(*) FILTER (resolution_breached) / nullif(count(resolution_breached), 0)
            AS resolution_breach_pct,
        count(csat_score) AS csat_responses,
        avg(csat_score) AS csat_average,
        100.0 * count(*) FILTER (csat_score >= 4) / nullif(count(csat_score), 0)
            AS csat_satisfied_pct
    FROM by_dimension
    GROUP BY created_month, dimension, value
)

SELECT
    month,
    dimension,
    value,
    tickets,
    solved_tickets,
    first_reply_calendar[1] AS median_first_reply_calendar_minutes,
    first_reply_calendar[2] AS p90_first_reply_calendar_minutes,
    first_reply_business[1] AS median_first_reply_business_minutes,
    first_reply_business[2] AS p90_first_reply_business_minutes,
    full_resolution_calendar[1] AS median_full_resolution_calendar_minutes,
    full_resolution_calendar[2] AS p90_full_resolution_calendar_minutes,
    full_resolution_business[1] AS median_full_resolution_business_minutes,
    full_resolution_business[2] AS p90_full_resolution_business_minutes,
    * EXCLUDE (
        month, dimension, value, tickets, solved_tickets, first_reply_calendar,
        first_reply_business, full_resolution_calendar, full_resolution_business
    )
FROM aggregated
ORDER BY month, dimension, value;
