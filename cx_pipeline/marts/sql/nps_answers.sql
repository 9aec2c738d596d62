-- The answers rule, built once: every NPS answer up to the as-of date with its account, revenue
-- tier and influence level. Every NPS mart reads the answers here instead of re-deriving them.
--   account          the response's own account, else the respondent contact's
--   region, industry the account's, from the CRM
--   arr              the account's ARR as of the as-of date, the rule of marts.account_segments:
--                    the CRM's ARR while it is a customer (12 x MRR of its active subscriptions
--                    when the CRM has none); for an account that is no longer a customer,
--                    12 x the MRR of its subscriptions on its last day as one (the CRM then
--                    says 0); for one that never had a subscription, the CRM's ARR
--   revenue_tier     revenue_tier() of that ARR: one tier per account, so 'enterprise' is the
--                    same accounts in every NPS mart (by segment, by account, the follow-up list)
--                    and in marts.account_segments. Why not the ARR on the answer day: an
--                    account is one row in the account roll-up and the follow-up list, and it
--                    would otherwise fall into two tiers when it crossed a cut-off between two
--                    answers; the CRM keeps only today's ARR anyway.
--   tenure_band      tenure_band() of the whole months from the first subscription start to the
--                    answer day: how long the account had been a customer when it answered
--   influence_level  influence_level() of the respondent's job title (rules.sql), a contact
--                    attribute read from the CRM, so no NPS mart waits on product events
-- Anything unknown is 'unknown', never dropped.
CREATE OR REPLACE TABLE marts.nps_answers AS
WITH subscriptions AS (
    SELECT * FROM marts.subscription_days
),
account_subscriptions AS (
    SELECT
        account_id,
        min(start_day) AS customer_since,
        bool_or(active_on(start_day, end_day, CAST($as_of AS DATE))) AS is_customer,
        12 * sum(mrr) FILTER (WHERE active_on(start_day, end_day, CAST($as_of AS DATE)))
            AS arr_of_active_subscriptions,
        max(end_day) AS last_end_day
    FROM subscriptions
    GROUP BY account_id
),
arr_when_lost AS (
    -- An account that is no longer a customer: 12 x its MRR on its last day as one.
    SELECT a.account_id, 12 * sum(s.mrr) AS arr
    FROM account_subscriptions AS a
    JOIN subscriptions AS s
      ON s.account_id = a.account_id AND active_on(s.start_day, s.end_day, a.last_end_day - 1)
    WHERE NOT a.is_customer
    GROUP BY a.account_id
),
accounts AS (
    SELECT
        a.account_id,
        a.region,
        a.industry,
        s.customer_since,
        CAST(
            CASE WHEN s.account_id IS NULL OR s.is_customer
                 THEN coalesce(a.arr, s.arr_of_active_subscriptions)
                 ELSE l.arr END
            AS DECIMAL(18, 2)
        ) AS arr
    FROM staging.accounts AS a
    LEFT JOIN account_subscriptions AS s ON s.account_id = a.account_id
    LEFT JOIN arr_when_lost AS l ON l.account_id = a.account_id
),
answers AS (
    SELECT
        r.response_id,
        r.submitted_at,
        r.contact_id,
        coalesce(r.account_id, c.account_id) AS account_id,
        local_day(r.submitted_at, $timezone) AS submitted_day,
        local_month(r.submitted_at, $timezone) AS month,
        r.touchpoint,
        r.score,
        c.contact_id IS NOT NULL AS contact_known,
        c.job_title
    FROM staging.resolved_nps_responses AS r
    LEFT JOIN staging.contacts AS c ON c.contact_id = r.contact_id
    WHERE local_day(r.submitted_at, $timezone) <= $as_of
)
SELECT
    n.response_id,
    n.submitted_at,
    n.submitted_day,
    n.month,
    n.contact_id,
    n.account_id,
    n.score,
    nps_category(n.score) AS category,
    coalesce(n.touchpoint, 'unknown') AS touchpoint,
    coalesce(a.region, 'unknown') AS region,
    coalesce(a.industry, 'unknown') AS industry,
    a.arr,
    CASE WHEN a.account_id IS NULL THEN 'unknown'
         ELSE revenue_tier(a.arr, $mid_market_from, $enterprise_from)
    END AS revenue_tier,
    tenure_band(whole_months(a.customer_since, n.submitted_day)) AS tenure_band,
    CASE WHEN n.contact_known THEN influence_level(n.job_title) ELSE 'unknown' END
        AS influence_level
FROM answers AS n
LEFT JOIN accounts AS a ON a.account_id = n.account_id
ORDER BY n.response_id;
