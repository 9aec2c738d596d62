-- The backlog per day in the reporting timezone, from the first ticket's day to as-of.
--   * A day ends at the instant the next day starts (local midnight).
--   * A ticket's status at the day's end is that of its stretch in ticket_status_spans that
--     began before that instant and had not ended by it.
--   * Open = not solved or closed (new, open, pending, hold); waiting = pending or hold.
--   * Solves count each time a ticket became solved that day (closing a solved ticket is not a
--     solve; a reopened ticket solved again is).
-- A stretch from instant f to instant t is there at the end of the days from f's local day to
-- the day before t's (to as-of when it has not ended): so the counts at each day's end are a
-- running sum of +1 on the day a stretch starts and -1 on the day it ends, one pass over the
-- stretches instead of a join of every day with every stretch. (Where local midnight comes
-- twice, as in Havana when summer time ends, the day ends at the first one.)
CREATE OR REPLACE TABLE marts.ticket_backlog AS
WITH days AS (
    SELECT CAST(unnest(range(
        CAST(min(local_day(created_at, $timezone)) AS TIMESTAMP),
        CAST(CAST($as_of AS DATE) AS TIMESTAMP) + INTERVAL 1 DAY,
        INTERVAL 1 DAY
    )) AS DATE) AS day
    FROM staging.tickets
),

changes AS (
    SELECT
        local_day(valid_from, $timezone) AS day,
        CAST(status NOT IN ('solved', 'closed') AS INTEGER) AS open_change,
        CAST(status IN ('pending', 'hold') AS INTEGER) AS waiting_change
    FROM marts.ticket_status_spans
    UNION ALL
    SELECT
        local_day(valid_to, $timezone),
        -CAST(status NOT IN ('solved', 'closed') AS INTEGER),
        -CAST(status IN ('pending', 'hold') AS INTEGER)
    FROM marts.ticket_status_spans
    WHERE valid_to IS NOT NULL
),

running AS (
    SELECT
        day,
        CAST(sum(sum(open_change)) OVER (ORDER BY day) AS BIGINT) AS open_tickets,
        CAST(sum(sum(waiting_change)) OVER (ORDER BY day) AS BIGINT) AS waiting_tickets
    FROM changes
    GROUP BY day
),

-- The running sums of the latest day with a change on or before each day.
at_day_end AS (
    SELECT d.day, r.open_tickets, r.waiting_tickets
    FROM days AS d
    ASOF LEFT JOIN running AS r ON d.day >= r.day
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
