-- The revenue rule, built once: one row per CRM account with its ARR and revenue tier as of the
-- as-of date. Every mart that puts an account in a revenue tier reads it here (the NPS answers,
-- the survey answers, the account segments), so 'enterprise' is the same accounts everywhere.
--   is_customer  a subscription is active on the as-of date (active_on() in rules.sql)
--   mrr          the MRR of those subscriptions, in the reporting currency (subscription_days)
--   arr          while a customer, the CRM's ARR, or 12 x mrr when the CRM has none; for an
--                account that is no longer a customer, 12 x the MRR of its subscriptions on its
--                last day as one (the CRM then says 0, which would put every lost account in
--                the smallest tier); for one that never had a subscription, the CRM's ARR
--   arr_basis    which of those the ARR is: 'crm', 'active subscriptions', 'last day as a
--                customer' or 'crm, never subscribed'
--   revenue_tier revenue_tier() of arr (rules.sql), with the cut-offs in the settings
-- Why one as-of ARR and not the ARR on each answer's day: an account is one row in the account
-- roll-ups and the follow-up list, and would fall into two tiers if it crossed a cut-off between
-- two answers; the CRM keeps only today's ARR anyway.
CREATE OR REPLACE TABLE marts.account_revenue AS
WITH account_subscriptions AS (
    SELECT
        account_id,
        bool_or(active_on(start_day, end_day, CAST($as_of AS DATE))) AS is_customer,
        -- Null when the active subscriptions carry no MRR (the column is optional): an ARR
        -- nobody stated stays unknown rather than 0, which would read as SMB.
        sum(mrr) FILTER (WHERE active_on(start_day, end_day, CAST($as_of AS DATE))) AS mrr,
        max(end_day) AS last_end_day
    FROM marts.subscription_days
    GROUP BY account_id
),
mrr_when_lost AS (
    -- An account that is no longer a customer: its MRR on its last day as one.
    SELECT a.account_id, sum(s.mrr) AS mrr
    FROM account_subscriptions AS a
    JOIN marts.subscription_days AS s
      ON s.account_id = a.account_id AND active_on(s.start_day, s.end_day, a.last_end_day - 1)
    WHERE NOT a.is_customer
    GROUP BY a.account_id
),
revenue AS (
    SELECT
        a.account_id,
        coalesce(s.is_customer, false) AS is_customer,
        coalesce(s.mrr, 0) AS mrr,
        CASE
            WHEN s.account_id IS NULL THEN a.arr
            WHEN s.is_customer THEN coalesce(a.arr, 12 * s.mrr)
            ELSE 12 * l.mrr
        END AS arr,
        CASE
            WHEN s.account_id IS NULL THEN 'crm, never subscribed'
            WHEN s.is_customer AND a.arr IS NOT NULL THEN 'crm'
            WHEN s.is_customer THEN 'active subscriptions'
            ELSE 'last day as a customer'
        END AS arr_basis
    FROM staging.accounts AS a
    LEFT JOIN account_subscriptions AS s ON s.account_id = a.account_id
    LEFT JOIN mrr_when_lost AS l ON l.account_id = a.account_id
)
SELECT
    account_id,
    is_customer,
    CAST(mrr AS DECIMAL(18, 2)) AS mrr,
    CAST(arr AS DECIMAL(18, 2)) AS arr,
    arr_basis,
    revenue_tier(arr, $mid_market_from, $enterprise_from) AS revenue_tier
FROM revenue
ORDER BY account_id;
