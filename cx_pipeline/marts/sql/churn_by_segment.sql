-- Logo churn per calendar month and account segment, with exactly the churn rule of
-- marts.churn_by_month (the customer is the account; active_on() in rules.sql):
--   customers_at_start of month m : accounts active on the last day before m
--   customers_lost in m           : of those, accounts not active at the start of m+1 (its last day)
-- An ended_at after the as-of date has not happened yet; only complete months are reported.
--
-- Each account counted at the start of a month falls in exactly one segment of each type, taken
-- at that start, so the segments of one type add up to marts.churn_by_month:
--   region, industry  from the CRM account ('unknown' when missing)
--   revenue_tier      revenue_tier() of the account's ARR on the day before the month, measured
--                     as 12 x the MRR of its active subscriptions (in the reporting currency,
--                     converted in marts.subscription_days, like the cut-offs). (accounts.arr is today's figure:
--                     0 for every lost account, which would put every loss in SMB.)
--   tenure_band       spell_tenure_band() (rules.sql): the whole months from the start of the
--                     account's spell running on the day before the month (marts.customer_spells:
--                     a return after a gap starts a new spell) to the first day of the month
-- Every segment seen in any month has a row in every month (0 at start: null churn rate).
CREATE OR REPLACE TABLE marts.churn_by_segment AS
WITH months AS (
    SELECT DISTINCT month FROM marts.customer_months
),
customers AS (
    SELECT
        am.month,
        am.account_id,
        NOT am.active_at_end AS is_lost,
        coalesce(a.region, 'unknown') AS region,
        coalesce(a.industry, 'unknown') AS industry,
        revenue_tier(12 * am.mrr_at_start, $mid_market_from, $enterprise_from) AS revenue_tier,
        spell_tenure_band(sp.spell_start, am.month) AS tenure_band
    FROM marts.customer_months AS am
    LEFT JOIN staging.accounts AS a USING (account_id)
    LEFT JOIN marts.customer_spells AS sp
        ON sp.account_id = am.account_id
       AND active_on(sp.spell_start, sp.spell_end, CAST(am.month - INTERVAL 1 DAY AS DATE))
    WHERE am.active_at_start
),
customer_segments AS (
    UNPIVOT customers
    ON region, industry, revenue_tier, tenure_band
    INTO NAME segment_type VALUE segment
),
segments AS (
    SELECT DISTINCT segment_type, segment FROM customer_segments
),
counts AS (
    SELECT
        m.month,
        s.segment_type,
        s.segment,
        count(c.account_id) AS customers_at_start,
        count(c.account_id) FILTER (WHERE c.is_lost) AS customers_lost
    FROM months AS m
    CROSS JOIN segments AS s
    LEFT JOIN customer_segments AS c
        ON c.month = m.month AND c.segment_type = s.segment_type AND c.segment = s.segment
    GROUP BY m.month, s.segment_type, s.segment
)
SELECT
    month,
    segment_type,
    segment,
    customers_at_start,
    customers_lost,
    CASE WHEN customers_at_start > 0
         THEN 100.0 * customers_lost / customers_at_start END AS churn_rate_pct
FROM counts
ORDER BY month, segment_type, segment;
