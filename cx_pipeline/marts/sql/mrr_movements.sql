-- MRR movements per calendar month (reporting timezone) and account segment, in the reporting
-- currency, on the churn rule of marts.customer_months (active_on() in rules.sql): an account is
-- a customer at the start of month m when active on the day before m, and at its end when
-- active on m's last day. Its MRR on a day is the sum of mrr of its subscriptions active that
-- day (marts.subscription_days, converted there). Each account moves at most once per month, from
-- its start MRR s to its end MRR e:
--   customer at start and at end      expansion   e - s when e > s
--                                     contraction s - e when e < s
--   customer at start, not at end     churned     s
--   not at start, customer at end     new         e, when it was first ever active in m
--                                                 (cohort_month = m, marts.customer_spells)
--                                     reactivation e, when it had started before m: it was a
--                                                 customer before and had left
-- so, every month and segment:
--   opening + new + expansion + reactivation - contraction - churned = closing.
-- A same-day plan change (one subscription ends the day the next starts) is no movement but
-- the MRR difference; a return inside the month is no churn. An account that starts and leaves
-- within one month is at neither boundary: it is in no movement (marts.cohort_retention counts
-- it in its cohort, which is 100% at month 0 by definition, and not active at month 1), and if
-- it comes back later that is a reactivation. A subscription that ends the day it starts was
-- never active: it makes no cohort, so a later real start is new, not a reactivation.
--   quick_ratio     = (new + expansion + reactivation) / (contraction + churned)
--   arpa            = closing MRR / customers at the end
--   mrr_churn_pct   = 100 x (churned + contraction) / opening (revenue_retention_by_month's
--                     gross_revenue_churn_pct)
--   ltv_estimate    = arpa / (the pooled monthly MRR churn rate of the 12 months to m:
--                     sum of churned + contraction / sum of opening MRR)
-- Segments as in marts.churn_by_segment, plus 'all': region and industry from the CRM account;
-- revenue_tier from 12 x the start MRR (12 x the end MRR for a new or returning account);
-- tenure_band spell_tenure_band() (rules.sql), as in marts.churn_by_segment: the whole months
-- from the start of the spell running on the day before m to m's first day (marts.customer_spells,
-- so a return after a gap starts again at 0); for a new or returning account, of the spell
-- running on m's last day, to that day. Each account is in
-- one segment of each type per month, so the segments of a type add up to 'all'. Every segment
-- seen in any month has a row in every complete month.
CREATE OR REPLACE TABLE marts.mrr_movements AS
WITH account_months AS (
    SELECT
        cm.month,
        cm.account_id,
        cm.customer_since,
        cm.cohort_month,
        cm.active_at_start,
        cm.active_at_end,
        CAST(cm.month - INTERVAL 1 DAY AS DATE) AS day_before,
        CAST(cm.month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS last_day,
        coalesce(sum(s.mrr) FILTER (
            WHERE cm.active_at_start
              AND active_on(s.start_day, s.end_day, CAST(cm.month - INTERVAL 1 DAY AS DATE))
        ), 0) AS mrr_at_start,
        coalesce(sum(s.mrr) FILTER (
            WHERE cm.active_at_end
              AND active_on(s.start_day, s.end_day,
                            CAST(cm.month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE))
        ), 0) AS mrr_at_end
    FROM marts.customer_months AS cm
    JOIN marts.subscription_days AS s USING (account_id)
    WHERE cm.active_at_start OR cm.active_at_end
    GROUP BY ALL
),
movements AS (
    SELECT
        am.*,
        CASE WHEN am.active_at_start AND NOT am.active_at_end THEN 'churned'
             WHEN NOT am.active_at_start AND am.cohort_month = am.month THEN 'new'
             WHEN NOT am.active_at_start THEN 'reactivation'
             WHEN am.mrr_at_end > am.mrr_at_start THEN 'expansion'
             WHEN am.mrr_at_end < am.mrr_at_start THEN 'contraction'
             ELSE 'unchanged'
        END AS movement
    FROM account_months AS am
),
customers AS (
    SELECT
        mv.month,
        mv.account_id,
        mv.active_at_start,
        mv.active_at_end,
        mv.mrr_at_start,
        mv.mrr_at_end,
        mv.movement,
        'all' AS "all",
        coalesce(a.region, 'unknown') AS region,
        coalesce(a.industry, 'unknown') AS industry,
        revenue_tier(
            12 * CASE WHEN mv.active_at_start THEN mv.mrr_at_start ELSE mv.mrr_at_end END,
            $mid_market_from, $enterprise_from
        ) AS revenue_tier,
        CASE WHEN mv.active_at_start
             THEN spell_tenure_band(sp.spell_start, mv.month)
             ELSE spell_tenure_band(sp.spell_start, mv.last_day)
        END AS tenure_band
    FROM movements AS mv
    LEFT JOIN staging.accounts AS a USING (account_id)
    LEFT JOIN marts.customer_spells AS sp
        ON sp.account_id = mv.account_id
       AND active_on(sp.spell_start, sp.spell_end,
                     CASE WHEN mv.active_at_start THEN mv.day_before ELSE mv.last_day END)
),
customer_segments AS (
    UNPIVOT customers
    ON "all", region, industry, revenue_tier, tenure_band
    INTO NAME segment_type VALUE segment
),
months AS (
    SELECT DISTINCT month FROM marts.customer_months
),
segments AS (
    SELECT DISTINCT segment_type, segment FROM customer_segments
    UNION
    SELECT 'all', 'all'
),
totals AS (
    SELECT
        m.month,
        s.segment_type,
        s.segment,
        count(c.account_id) FILTER (WHERE c.active_at_start) AS customers_at_start,
        count(c.account_id) FILTER (WHERE c.movement = 'new') AS new_customers,
        count(c.account_id) FILTER (WHERE c.movement = 'expansion') AS expansion_customers,
        count(c.account_id) FILTER (WHERE c.movement = 'contraction') AS contraction_customers,
        count(c.account_id) FILTER (WHERE c.movement = 'churned') AS churned_customers,
        count(c.account_id) FILTER (WHERE c.movement = 'reactivation') AS reactivated_customers,
        count(c.account_id) FILTER (WHERE c.active_at_end) AS customers_at_end,
        coalesce(sum(c.mrr_at_start), 0) AS opening_mrr,
        coalesce(sum(c.mrr_at_end) FILTER (WHERE c.movement = 'new'), 0) AS new_mrr,
        coalesce(sum(c.mrr_at_end - c.mrr_at_start) FILTER (WHERE c.movement = 'expansion'), 0)
            AS expansion_mrr,
        coalesce(sum(c.mrr_at_start - c.mrr_at_end) FILTER (WHERE c.movement = 'contraction'), 0)
            AS contraction_mrr,
        coalesce(sum(c.mrr_at_start) FILTER (WHERE c.movement = 'churned'), 0) AS churned_mrr,
        coalesce(sum(c.mrr_at_end) FILTER (WHERE c.movement = 'reactivation'), 0)
            AS reactivation_mrr,
        coalesce(sum(c.mrr_at_end), 0) AS closing_mrr
    FROM months AS m
    CROSS JOIN segments AS s
    LEFT JOIN customer_segments AS c
        ON c.month = m.month AND c.segment_type = s.segment_type AND c.segment = s.segment
    GROUP BY m.month, s.segment_type, s.segment
),
with_trailing AS (
    SELECT
        *,
        sum(churned_mrr + contraction_mrr) OVER last_12_months AS lost_mrr_12m,
        sum(opening_mrr) OVER last_12_months AS opening_mrr_12m
    FROM totals
    WINDOW last_12_months AS (
        PARTITION BY segment_type, segment ORDER BY month
        ROWS BETWEEN 11 PRECEDING AND CURRENT ROW
    )
)
SELECT
    month,
    segment_type,
    segment,
    customers_at_start,
    new_customers,
    expansion_customers,
    contraction_customers,
    churned_customers,
    reactivated_customers,
    customers_at_end,
    CAST(opening_mrr AS DECIMAL(38,2)) AS opening_mrr,
    CAST(new_mrr AS DECIMAL(38,2)) AS new_mrr,
    CAST(expansion_mrr AS DECIMAL(38,2)) AS expansion_mrr,
    CAST(contraction_mrr AS DECIMAL(38,2)) AS contraction_mrr,
    CAST(churned_mrr AS DECIMAL(38,2)) AS churned_mrr,
    CAST(reactivation_mrr AS DECIMAL(38,2)) AS reactivation_mrr,
    CAST(closing_mrr AS DECIMAL(38,2)) AS closing_mrr,
    CAST(closing_mrr - opening_mrr AS DECIMAL(38,2)) AS net_new_mrr,
    CASE WHEN contraction_mrr + churned_mrr > 0
         THEN CAST((new_mrr + expansion_mrr + reactivation_mrr)
                   / (contraction_mrr + churned_mrr) AS DOUBLE)
    END AS quick_ratio,
    CASE WHEN customers_at_end > 0 THEN CAST(closing_mrr / customers_at_end AS DOUBLE)
    END AS arpa,
    CASE WHEN opening_mrr > 0
         THEN CAST(100 * (churned_mrr + contraction_mrr) / opening_mrr AS DOUBLE)
    END AS mrr_churn_pct,
    CASE WHEN opening_mrr_12m > 0
         THEN CAST(100 * lost_mrr_12m / opening_mrr_12m AS DOUBLE)
    END AS mrr_churn_12m_pct,
    CASE WHEN customers_at_end > 0 AND lost_mrr_12m > 0
         THEN CAST(closing_mrr / customers_at_end * opening_mrr_12m / lost_mrr_12m AS DOUBLE)
    END AS ltv_estimate
FROM with_trailing
ORDER BY month, segment_type, segment;
