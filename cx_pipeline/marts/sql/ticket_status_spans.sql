-- Each ticket's statuses over time (the status history dbt_zendesk reads from Zendesk's
-- ticket_field_history), one row per stretch in one status.
--   * With events: 'new' from creation, then each event that sets a status. An event repeating
--     the status the ticket already has starts no new stretch; events at the same instant keep
--     the event_id order.
--   * Without events: 'open' from creation to solved_at and the current status from solved_at;
--     a ticket not solved has its current status from creation.
--   * A stretch ends where the next begins; the last one is still running (valid_to null).
CREATE OR REPLACE TABLE marts.ticket_status_spans AS
WITH with_events AS (
    SELECT DISTINCT ticket_id FROM staging.ticket_events
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
    SELECT ticket_id, created_at, '', CASE WHEN solved_at IS NULL THEN status ELSE 'open' END, false
    FROM staging.tickets
    WHERE ticket_id NOT IN (SELECT ticket_id FROM with_events)
    UNION ALL
    SELECT ticket_id, solved_at, '~', CASE WHEN status IN ('solved', 'closed') THEN status ELSE 'solved' END, false
    FROM staging.tickets
    WHERE ticket_id NOT IN (SELECT ticket_id FROM with_events) AND solved_at IS NOT NULL
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
