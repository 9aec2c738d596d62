-- Logo churn per calendar month (reporting timezone). The customer is the account.
--   active on day d : some subscription has started_at <= d and (ended_at is null or ended_at > d)
--   customers_at_start of month m : accounts active on the last day before m
--   customers_lost in m           : active at the start of m and not active at the start of m+1
-- So a reactivation or a same-day plan change inside the month is not a loss, and an account that
-- starts and cancels inside one month is in neither count. An ended_at after the as-of date has
-- not happened yet. Only complete months (ending on or before the as-of date) are reported.
CREATE OR REPLACE TABLE marts.churn_by_month AS
WITH subscriptions AS (
    SELECT
        account_id,
        local_day(started_at, $timezone) AS start_day,
        CASE WHEN local_day(ended_at, $timezone) <= $as_of
             THEN local_day(ended_at, $timezone) END AS end_day
    FROM staging.subscriptions
    WHERE local_day(started_at, $timezone) <= $as_of
),
months AS (
    SELECT
        month,
        CAST(month - INTERVAL 1 DAY AS DATE) AS day_before,
        CAST(month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS last_day
    FROM (
        SELECT CAST(unnest(generate_series(
            CAST(date_trunc('month', min(start_day)) AS DATE),
            CAST(date_trunc('month', CAST($as_of AS DATE)) AS DATE),
            INTERVAL 1 MONTH
        )) AS DATE) AS month
        FROM subscriptions
    )
    WHERE CAST(month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) <= $as_of
),
account_months AS (
    SELECT
        m.month,
        s.account_id,
        bool_or(s.start_day <= m.day_before
                AND (s.end_day IS NULL OR s.end_day > m.day_before)) AS active_at_start,
        bool_or(s.start_day <= m.last_day
                AND (s.end_day IS NULL OR s.end_day > m.last_day)) AS active_at_end
    FROM months AS m
    JOIN subscriptions AS s ON s.start_day <= m.last_day
    GROUP BY m.month, s.account_id
),
counts AS (
    SELECT
        m.month,
        count(a.account_id) FILTER (WHERE a.active_at_start) AS customers_at_start,
        count(a.account_id) FILTER (WHERE a.active_at_start AND NOT a.active_at_end)
            AS customers_lost
    FROM months AS m
    LEFT JOIN account_months AS a USING (month)
    GROUP BY m.month
)
SELECT
    month,
    customers_at_start,
    customers_lost,
    CASE WHEN customers_at_start > 0
         THEN 100.0 * customers_lost / customers_at_start END AS churn_rate_pct
FROM counts
ORDER BY month;
