-- The backlog per day in the reporting timezone, from the first ticket's day to as-of.
--   * A day ends at the instant the next day starts (local midnight).
--   * A ticket's status at the day's end is that of its stretch in ticket_status_spans that
--     began before that instant and had not ended by it.
--   * Open = not solved or closed (new, open, pending, hold); waiting = pending or hold.
--   * Solves count each time a ticket became solved that day (closing a solved ticket is not a
--     solve; a reopened ticket solved again is).
CREATE OR REPLACE TABLE marts.ticket_backlog AS
WITH days AS (
    SELECT CAST(unnest(range(
        CAST(min(local_day(created_at, $timezone)) AS TIMESTAMP),
        CAST(CAST($as_of AS DATE) AS TIMESTAMP) + INTERVAL 1 DAY,
        INTERVAL 1 DAY
    )) AS DATE) AS day
    FROM staging.tickets
),

day_ends AS (
    SELECT day, timezone($timezone, CAST(day + 1 AS TIMESTAMP)) AS ends_at FROM days
),

at_day_end AS (
    SELECT
        d.day,
        count(*) FILTER (s.status NOT IN ('solved', 'closed')) AS open_tickets,
        count(*) FILTER (s.status IN ('pending', 'hold')) AS waiting_tickets
    FROM day_ends AS d
    INNER JOIN marts.ticket_status_spans AS s
        -- A still-running stretch ends at infinity: two inequalities, one range join.
        ON s.valid_from < d.ends_at
        AND coalesce(s.valid_to, CAST('infinity' AS TIMESTAMPTZ)) >= d.ends_at
    GROUP BY d.day
),

created AS (
    SELECT local_day(created_at, $timezone) AS day, count(*) AS created_tickets
    FROM staging.tickets
    GROUP BY ALL
),

solves AS (
    SELECT local_day(s.valid_from, $timezone) AS day, count(*) AS solves
    FROM marts.ticket_status_spans AS s
    WHERE s.status = 'solved'
    GROUP BY ALL
)

SELECT
    d.day,
    coalesce(c.created_tickets, 0) AS created_tickets,
    coalesce(s.solves, 0) AS solves,
    coalesce(a.open_tickets, 0) AS open_tickets,
    coalesce(a.waiting_tickets, 0) AS waiting_tickets
FROM days AS d
LEFT JOIN at_day_end AS a ON a.day = d.day
LEFT JOIN created AS c ON c.day = d.day
LEFT JOIN solves AS s ON s.day = d.day
ORDER BY d.day;
