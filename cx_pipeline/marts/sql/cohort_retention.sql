-- Logo retention by start cohort. An account's cohort is the calendar month (reporting timezone)
-- of its first subscription start. For k = 0, 1, ... up to the last complete month, the cohort's
-- customers_active are its accounts active (active_on() in rules.sql) on the LAST day of month
-- cohort + k, so k = 0 already leaves out accounts that started and cancelled inside their first
-- month, and an account that comes back counts again once it is active at a month's end.
--   retention_pct = 100 x customers_active / cohort_customers
-- An ended_at after the as-of date has not happened yet; only complete months are reported, so
-- the as-of month is a cohort (or a month of one) only when the as-of date is its last day.
CREATE OR REPLACE TABLE marts.cohort_retention AS
WITH subscriptions AS (
    SELECT
        account_id,
        local_day(started_at, $timezone) AS start_day,
        CASE WHEN local_day(ended_at, $timezone) <= $as_of
             THEN local_day(ended_at, $timezone) END AS end_day
    FROM staging.subscriptions
    WHERE local_day(started_at, $timezone) <= $as_of
),
cohorts AS (
    SELECT account_id, CAST(date_trunc('month', min(start_day)) AS DATE) AS cohort_month
    FROM subscriptions
    GROUP BY account_id
),
months AS (
    SELECT month, CAST(month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS last_day
    FROM (
        SELECT CAST(unnest(generate_series(
            min(cohort_month),
            CAST(date_trunc('month', CAST($as_of AS DATE)) AS DATE),
            INTERVAL 1 MONTH
        )) AS DATE) AS month
        FROM cohorts
    )
    WHERE CAST(month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) <= $as_of
),
cohort_sizes AS (
    SELECT cohort_month, count(*) AS cohort_customers
    FROM cohorts
    GROUP BY cohort_month
),
active_at_month_end AS (
    SELECT c.cohort_month, m.month, count(DISTINCT s.account_id) AS customers_active
    FROM cohorts AS c
    JOIN subscriptions AS s USING (account_id)
    JOIN months AS m
        ON m.month >= c.cohort_month AND active_on(s.start_day, s.end_day, m.last_day)
    GROUP BY c.cohort_month, m.month
)
SELECT
    z.cohort_month,
    datediff('month', z.cohort_month, m.month) AS months_since_start,
    z.cohort_customers,
    coalesce(a.customers_active, 0) AS customers_active,
    100.0 * coalesce(a.customers_active, 0) / z.cohort_customers AS retention_pct
FROM cohort_sizes AS z
JOIN months AS m ON m.month >= z.cohort_month
LEFT JOIN active_at_month_end AS a ON a.cohort_month = z.cohort_month AND a.month = m.month
ORDER BY z.cohort_month, months_since_start;
