-- The monthly building block of churn and retention, where the churn rule lives once:
--   active on day d           : some subscription started on or before d and has not ended by
--                               d (active_on() in rules.sql)
--   customer at the start of m: active on the last day before month m
--   lost in m                 : a customer at the start of m not active on m's last day
--   MRR on day d              : the sum of mrr of the account's subscriptions active on d
-- So a reactivation or a same-day plan change inside a month is not a loss, and an account that
-- starts and cancels inside one month is never a customer at a month's start. One row per
-- complete calendar month (reporting timezone) and account first active by its last day;
-- an ended_at after the as-of date has not happened yet. MRR is in the reporting currency
-- (marts.subscription_days converts it). customer_since and cohort_month come from the first
-- spell of marts.customer_spells: the first day the account was ever active.
CREATE OR REPLACE TABLE marts.customer_months AS
WITH subscriptions AS (
    SELECT * FROM marts.subscription_days
),
customer_since AS (
    -- The first day the account was ever active (marts.customer_spells): an account whose
    -- only subscriptions end the day they start was never a customer and has no rows.
    SELECT DISTINCT account_id, customer_since
    FROM marts.customer_spells
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
)
SELECT
    m.month,
    s.account_id,
    c.customer_since,
    CAST(date_trunc('month', c.customer_since) AS DATE) AS cohort_month,
    bool_or(active_on(s.start_day, s.end_day, m.day_before)) AS active_at_start,
    bool_or(active_on(s.start_day, s.end_day, m.last_day)) AS active_at_end,
    coalesce(sum(s.mrr) FILTER (WHERE active_on(s.start_day, s.end_day, m.day_before)), 0)
        AS mrr_at_start,
    coalesce(sum(s.mrr) FILTER (WHERE active_on(s.start_day, s.end_day, m.last_day)), 0)
        AS mrr_at_end
FROM months AS m
JOIN subscriptions AS s ON s.start_day <= m.last_day
JOIN customer_since AS c ON c.account_id = s.account_id AND c.customer_since <= m.last_day
GROUP BY ALL
ORDER BY m.month, s.account_id;
