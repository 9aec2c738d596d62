-- The support team's working hours as UTC instants, one row per working day and shift.
--   * Days run from two days before the first ticket to two days after as-of (wide enough for
--     any timezone offset), generated with range() over days.
--   * A day's window is its local start and end time in the schedule's timezone, turned into
--     instants by timezone(tz, local timestamp): daylight saving moves the UTC instants, so
--     09:00 stays 09:00 local in winter and summer.
--   * Holidays (local dates) have no window.
--   * A schedule with more than one timezone, or a shift that does not end after it starts,
--     fails the run with what is wrong (business_hours.csv), rather than count wrong minutes.
CREATE OR REPLACE TABLE marts.business_hours_windows AS
WITH bounds AS (
    SELECT
        CAST(min(created_at) AS DATE) - 2 AS first_day,
        CAST($as_of AS DATE) + 2 AS last_day
    FROM staging.tickets
),

problems AS (
    SELECT nullif(concat_ws('; ',
        CASE WHEN count(DISTINCT timezone) > 1 THEN
            'business_hours.csv has ' || count(DISTINCT timezone) || ' timezones ('
            || string_agg(DISTINCT timezone, ', ' ORDER BY timezone)
            || '): one schedule has one timezone'
        END,
        CASE WHEN count(*) FILTER (end_time <= start_time) > 0 THEN
            'business_hours.csv has ' || count(*) FILTER (end_time <= start_time)
            || ' row(s) whose end_time is not after start_time'
        END
    ), '') AS message
    FROM raw.business_hours
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
CROSS JOIN problems AS p
WHERE d.day NOT IN (SELECT holiday_date FROM raw.holidays WHERE holiday_date IS NOT NULL)
    AND CASE WHEN p.message IS NULL THEN true ELSE error(p.message) END
ORDER BY window_start;
