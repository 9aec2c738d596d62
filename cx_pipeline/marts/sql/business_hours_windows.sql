-- The support team's working hours as UTC instants, one row per working day and shift.
--   * Days run from two days before the first ticket to two days after as-of (wide enough for
--     any timezone offset), generated with range() over days.
--   * A day's window is its local start and end time in the schedule's timezone, turned into
--     instants by timezone(tz, local timestamp): daylight saving moves the UTC instants, so
--     09:00 stays 09:00 local in winter and summer.
--   * Holidays (local dates) have no window.
CREATE OR REPLACE TABLE marts.business_hours_windows AS
WITH bounds AS (
    SELECT
        CAST(min(created_at) AS DATE) - 2 AS first_day,
        CAST($as_of AS DATE) + 2 AS last_day
    FROM staging.tickets
),

days AS (
    SELECT CAST(unnest(range(
        CAST(first_day AS TIMESTAMP), CAST(last_day AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY
    )) AS DATE) AS day
    FROM bounds
)

SELECT
    d.day,
    h.weekday,
    h.timezone,
    timezone(h.timezone, d.day + h.start_time) AS window_start,
    timezone(h.timezone, d.day + h.end_time) AS window_end
FROM days AS d
INNER JOIN raw.business_hours AS h ON isodow(d.day) = h.weekday
WHERE d.day NOT IN (SELECT holiday_date FROM raw.holidays WHERE holiday_date IS NOT NULL)
ORDER BY window_start;
