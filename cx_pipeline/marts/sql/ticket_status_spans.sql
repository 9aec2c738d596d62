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
--
-- MAINTAINED BY TICKET (marts/incremental.py, kind "keys", key ticket_id). A ticket's stretches
-- read only its own row (created_at, solved_at, status) and its own events, so a run compares
-- a digest of these (audit.ticket_status_spans_inputs) with the last build's and rewrites the
-- tickets added, changed or gone. With full every row is rebuilt: a first build, after an
-- erasure, a purge, a change of this file or the shared rules, or CX_FULL_REBUILD=true
-- (audit.mart_builds says which). Both paths run the same statements.

-- 1. What each ticket's stretches read, as a digest: its row, and its events in any order.
CREATE OR REPLACE TEMP TABLE ticket_span_inputs AS
WITH event_digests AS (
    SELECT ticket_id, count(*) AS events, bit_xor(hash(event_id, occurred_at, status)) AS digest
    FROM staging.ticket_events
    GROUP BY ticket_id
)
SELECT t.ticket_id, hash(t.created_at, t.solved_at, t.status, e.events, e.digest) AS digest
FROM staging.tickets AS t
LEFT JOIN event_digests AS e USING (ticket_id);

-- 2. The tickets to (re)write: every one in a full build, or when no digest of the last build
-- is kept; else those added, changed or gone (both versions of a changed ticket count).
CREATE TABLE IF NOT EXISTS audit.ticket_status_spans_inputs (ticket_id VARCHAR, digest UBIGINT);
CREATE OR REPLACE TEMP TABLE rewrite_all AS
SELECT $full OR NOT EXISTS (SELECT 1 FROM audit.ticket_status_spans_inputs) AS yes;
CREATE OR REPLACE TEMP TABLE keys_to_build AS
SELECT ticket_id FROM ticket_span_inputs WHERE (SELECT yes FROM rewrite_all)
UNION
SELECT ticket_id FROM (
    (SELECT * FROM ticket_span_inputs EXCEPT SELECT * FROM audit.ticket_status_spans_inputs)
    UNION ALL
    (SELECT * FROM audit.ticket_status_spans_inputs EXCEPT SELECT * FROM ticket_span_inputs)
);
-- The digests kept for the next build: those of the keys rewritten replaced, the rest as
-- they were (rewriting the whole table cost more than the rows it changed).
DELETE FROM audit.ticket_status_spans_inputs
WHERE (SELECT yes FROM rewrite_all) OR ticket_id IN (SELECT ticket_id FROM keys_to_build);
INSERT INTO audit.ticket_status_spans_inputs
SELECT * FROM ticket_span_inputs
WHERE (SELECT yes FROM rewrite_all) OR ticket_id IN (SELECT ticket_id FROM keys_to_build);

-- 3. The stretches of those tickets.
DELETE FROM marts.ticket_status_spans
WHERE (SELECT yes FROM rewrite_all) OR ticket_id IN (SELECT ticket_id FROM keys_to_build);

INSERT INTO marts.ticket_status_spans (
    ticket_id, span_number, status, valid_from, valid_to, from_events
)
WITH tickets AS (
    SELECT * FROM staging.tickets WHERE ticket_id IN (SELECT ticket_id FROM keys_to_build)
),

ticket_events AS (
    SELECT * FROM staging.ticket_events
    WHERE ticket_id IN (SELECT ticket_id FROM keys_to_build)
),

with_events AS (
    SELECT DISTINCT ticket_id FROM ticket_events
),

without_events AS (
    SELECT
        ticket_id,
        created_at,
        solved_at,
        status,
        solved_at IS NOT NULL AND coalesce(status IN ('solved', 'closed'), true) AS solved_now
    FROM tickets
    WHERE ticket_id NOT IN (SELECT ticket_id FROM with_events)
),

changes AS (
    SELECT t.ticket_id, t.created_at AS changed_at, '' AS event_id, 'new' AS status, true AS from_events
    FROM tickets AS t
    WHERE t.ticket_id IN (SELECT ticket_id FROM with_events)
    UNION ALL
    SELECT e.ticket_id, e.occurred_at, e.event_id, e.status, true
    FROM ticket_events AS e
    INNER JOIN tickets AS t ON t.ticket_id = e.ticket_id
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
FROM stretches;
