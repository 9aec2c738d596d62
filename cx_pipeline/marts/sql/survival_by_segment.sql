-- How long accounts stay customers: Kaplan-Meier survival by whole months of tenure, for all
-- accounts and by region and revenue tier.
--   tenure starts at the account's first subscription start (customer_since in
--   marts.account_segments) and ends
--     - for a lost account (no subscription active on the as-of date), on lost_on, the day its
--       last subscription ended (account_segments): a loss;
--     - for a live account, on the as-of date: censored (we do not know yet when it will leave).
--   t = whole months from the start to that end (0 = ended within the first month of tenure).
--   For month t: at_risk = accounts whose tenure reached t whole months (lost or censored at t or
--   later), lost = accounts lost at t, censored = live accounts censored at t.
--   survival_pct(t) = 100 x the product over months 0..t of (1 - lost / at_risk): the estimated
--   share of accounts still customers after t + 1 whole months. It is computed as
--   exp(sum(ln(1 - lost / at_risk))), and is 0 from the first month in which every account at
--   risk was lost.
-- Accounts that started and cancelled inside one month are losses at t = 0 here (they are in no
-- monthly churn count). Revenue tier is revenue_tier() of the ARR on the account's last day as a
-- customer (the day before lost_on, or the as-of date), measured as 12 x the MRR of its active
-- subscriptions: accounts.arr is today's figure, 0 for every lost account.
CREATE OR REPLACE TABLE marts.survival_by_segment AS
WITH subscriptions AS (
    SELECT * FROM marts.subscription_days
),
lifetimes AS (
    SELECT
        account_id,
        region,
        lost_on IS NOT NULL AS is_lost,
        whole_months(customer_since, coalesce(lost_on, CAST($as_of AS DATE))) AS tenure,
        CASE WHEN lost_on IS NOT NULL
             THEN CAST(lost_on - INTERVAL 1 DAY AS DATE)
             ELSE CAST($as_of AS DATE) END AS last_customer_day
    FROM marts.account_segments
    WHERE customer_since IS NOT NULL
),
last_mrr AS (
    SELECT
        l.account_id,
        coalesce(sum(s.mrr) FILTER (
            WHERE active_on(s.start_day, s.end_day, l.last_customer_day)), 0) AS mrr
    FROM lifetimes AS l
    JOIN subscriptions AS s USING (account_id)
    GROUP BY l.account_id
),
accounts AS (
    SELECT
        l.tenure,
        l.is_lost,
        'all' AS "all",
        coalesce(l.region, 'unknown') AS region,
        revenue_tier(12 * coalesce(m.mrr, 0), $mid_market_from, $enterprise_from) AS revenue_tier
    FROM lifetimes AS l
    LEFT JOIN last_mrr AS m USING (account_id)
),
account_cells AS (
    UNPIVOT accounts
    ON "all", region, revenue_tier
    INTO NAME segment_type VALUE segment
),
months AS (
    SELECT segment_type, segment, unnest(range(0, max(tenure) + 1)) AS month
    FROM account_cells
    GROUP BY segment_type, segment
),
life_table AS (
    SELECT
        m.segment_type,
        m.segment,
        m.month,
        count(a.tenure) FILTER (WHERE a.tenure >= m.month) AS at_risk,
        count(a.tenure) FILTER (WHERE a.tenure = m.month AND a.is_lost) AS lost,
        count(a.tenure) FILTER (WHERE a.tenure = m.month AND NOT a.is_lost) AS censored
    FROM months AS m
    JOIN account_cells AS a USING (segment_type, segment)
    GROUP BY m.segment_type, m.segment, m.month
)
SELECT
    segment_type,
    segment,
    month,
    at_risk,
    lost,
    censored,
    CASE WHEN bool_or(lost >= at_risk) OVER running THEN 0.0
         ELSE 100.0 * exp(sum(CASE WHEN lost < at_risk THEN ln(1.0 - lost / at_risk) END)
                          OVER running) END AS survival_pct
FROM life_table
WINDOW running AS (
    PARTITION BY segment_type, segment ORDER BY month
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
)
ORDER BY segment_type, segment, month;
