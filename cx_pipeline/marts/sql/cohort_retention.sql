-- Logo retention by start cohort. An account's cohort is the calendar month (reporting timezone)
-- of its first subscription start. For k = 0, 1, ... up to the last complete month, the cohort's
-- customers_active are its accounts active (active_on() in rules.sql) on the LAST day of month
-- cohort + k, so k = 0 already leaves out accounts that started and cancelled inside their first
-- month, and an account that comes back counts again once it is active at a month's end.
--   retention_pct = 100 x customers_active / cohort_customers
-- An ended_at after the as-of date has not happened yet; only complete months are reported, so
-- the as-of month is a cohort (or a month of one) only when the as-of date is its last day.
CREATE OR REPLACE TABLE marts.cohort_retention AS
WITH cohort_sizes AS (
    SELECT cohort_month, count(*) AS cohort_customers
    FROM marts.customer_months
    WHERE month = cohort_month
    GROUP BY cohort_month
),
active_at_month_end AS (
    SELECT cohort_month, month, count(*) FILTER (WHERE active_at_end) AS customers_active
    FROM marts.customer_months
    GROUP BY cohort_month, month
)
SELECT
    z.cohort_month,
    datediff('month', z.cohort_month, m.month) AS months_since_start,
    z.cohort_customers,
    m.customers_active,
    100.0 * m.customers_active / z.cohort_customers AS retention_pct
FROM cohort_sizes AS z
JOIN active_at_month_end AS m ON m.cohort_month = z.cohort_month
ORDER BY z.cohort_month, months_since_start;
