-- Logo churn per calendar month (reporting timezone), from marts.customer_months, which holds
-- the rule: customers at the start of m are the accounts active on the day before m, and those
-- not active on m's last day are lost in m. Customers acquired during the month are in neither
-- count. Only complete months are reported.
CREATE OR REPLACE TABLE marts.churn_by_month AS
WITH counts AS (
    SELECT
        month,
        count(*) FILTER (WHERE active_at_start) AS customers_at_start,
        count(*) FILTER (WHERE active_at_start AND NOT active_at_end) AS customers_lost
    FROM marts.customer_months
    GROUP BY month
)
SELECT
    month,
    customers_at_start,
    customers_lost,
    CASE WHEN customers_at_start > 0
         THEN 100.0 * customers_lost / customers_at_start END AS churn_rate_pct
FROM counts
ORDER BY month;
