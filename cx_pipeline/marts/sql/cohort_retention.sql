-- Logo retention by start cohort. An account's cohort is the calendar month (reporting timezone)
-- of the first day it was ever active (customer_since of marts.customer_spells, read through
-- marts.customer_months: a subscription that ends the day it starts makes no cohort); it stays
-- in that cohort when it leaves and comes back.
--   k = 0   the cohort at its start: every account, 100% by definition
--   k >= 1  customers_active = the cohort's accounts active (active_on() in rules.sql) on the
--           last day of month cohort + k - 1, that is, customers at the start of month
--           cohort + k by the churn rule of customer_months.sql
--   retention_pct = 100 x customers_active / cohort_customers
-- So k = 1 already leaves out accounts that started and cancelled inside their first month, and
-- an account that left and came back counts as retained again from the first month whose start
-- finds it active (in its current spell). Summed over cohorts, customers_active at k >= 1 are
-- churn_by_month's customers_at_start of month cohort + k, for every month it reports.
-- An ended_at after the as-of date has not happened yet. Cohorts are complete months; the last
-- k of each is measured on the last day of the last complete month.
CREATE OR REPLACE TABLE marts.cohort_retention AS
WITH cohort_sizes AS (
    SELECT cohort_month, count(*) AS cohort_customers
    FROM marts.customer_months
    WHERE month = cohort_month
    GROUP BY cohort_month
),
retained AS (
    SELECT cohort_month, 0 AS months_since_start, cohort_customers AS customers_active
    FROM cohort_sizes
    UNION ALL
    SELECT
        cohort_month,
        datediff('month', cohort_month, month) + 1 AS months_since_start,
        count(*) FILTER (WHERE active_at_end) AS customers_active
    FROM marts.customer_months
    GROUP BY cohort_month, month
)
SELECT
    z.cohort_month,
    r.months_since_start,
    z.cohort_customers,
    r.customers_active,
    100.0 * r.customers_active / z.cohort_customers AS retention_pct
FROM cohort_sizes AS z
JOIN retained AS r ON r.cohort_month = z.cohort_month
ORDER BY z.cohort_month, r.months_since_start;
