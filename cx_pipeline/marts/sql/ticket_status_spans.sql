-- Each ticket's statuses over time (the status history dbt_zendesk reads from Zendesk's
-- ticket_field_history), one row per stretch in one status.
--   * With events: 'new' from creation, then each event that sets a status. An event repeating
--     the status the ticket already has starts no new stretch; events at the same instant keep
--     the event_id order.
--   * Without events: a ticket solved or closed now is 'open' from creation to solved_at and
--     in its current status from solved_at. Any other ticket is in its current status from
--     creation: one that is open again after a solve (solved_at set, status open) was reopened
--     at a time the row does not tell, and counts as unsolved.
--   * A stretch ends where the next begins; the last one is still running (valid_to null).
CREATE OR REPLACE TABLE marts.ticket_status_spans AS
WITH with_events AS (
    SELECT DISTINCT ticket_id FROM staging.ticket_events
),

without_events AS (
    SELECT
        ticket_id,
        created_at,
        solved_at,
        status,
        solved_at IS NOT NULL AND coalesce(status IN ('solved', 'closed'), true) AS solved_now
    FROM staging.tickets
    WHERE ticket_id NOT IN (SELECT ticket_id FROM with_events)
),

changes AS (
    SELECT t.ticket_id, t.created_at AS changed_at, '' AS event_id, 'new' AS status, true AS from_events
    FROM staging.tickets AS t
    WHERE t.ticket_id IN (SELECT ticket_id FROM with_events)
    UNION ALL
    SELECT e.ticket_id, e.occurred_at, e.event_id, e.status, true
    FROM staging.ticket_events AS e
    INNER JOIN staging.tickets AS t ON t.ticket_id = e.ticket_id
    WHERE e.status IS NOT NULL
    UNION ALL
    SELECT ticket_id, created_at, '', CASE WHEN solved_now THEN 'open' ELSE status END, false
    FROM without_events
    UNION ALL
    SELECT ticket_id, solved_at, '~', coalesce(status, 'solved'), false
    FROM without_events
    WHERE solved_now
),

ordered AS (
    SELECT
        *,
        lag(status) OVER (PARTITION BY ticket_id ORDER BY changed_at, event_id) AS previous_status
    FROM changes
),

stretches AS (
    SELECT * FROM ordered
    WHERE previous_status IS NULL OR status <> previous_status
)

SELECT
    ticket_id,
    row_number() OVER (PARTITION BY ticket_id ORDER BY changed_at, event_id) AS span_number,
    status,
    changed_at AS valid_from,
    lead(changed_at) OVER (PARTITION BY ticket_id ORDER BY changed_at, event_id) AS valid_to,
    from_events
FROM stretches
ORDER BY ticket_id, span_number;
