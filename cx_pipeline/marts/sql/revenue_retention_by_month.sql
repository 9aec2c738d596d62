-- Revenue churn and retention per calendar month (reporting timezone), on the customers the
-- month started with, from marts.customer_months (where the churn rule lives):
--   customers at the start of month m : accounts active on the last day before m
--   lost in m                         : of those, accounts not active on m's last day
--   MRR of an account on day d        : the sum of mrr of its subscriptions active on d
--   mrr_at_start    : MRR of the customers at start, on the last day before m
--   churned_mrr     : the start MRR of the accounts lost in m
--   contraction_mrr : of the accounts kept, the decreases from start MRR to MRR on m's last day
--   expansion_mrr   : of the accounts kept, the increases from start MRR to MRR on m's last day
--   gross_revenue_churn_pct = 100 x (churned + contraction) / start
--   grr_pct                 = 100 x (start - churned - contraction) / start
--   nrr_pct                 = 100 x (start - churned - contraction + expansion) / start
-- New customers of the month (not active on the day before it) and their MRR are in none of
-- these. An ended_at after the as-of date has not happened yet; only complete months are
-- reported; percentages are null when the month started with no MRR.
CREATE OR REPLACE TABLE marts.revenue_retention_by_month AS
WITH counts AS (
    SELECT
        a.month,
        count(*) FILTER (WHERE a.active_at_start) AS customers_at_start,
        coalesce(sum(a.mrr_at_start) FILTER (WHERE a.active_at_start), 0) AS mrr_at_start,
        coalesce(sum(a.mrr_at_start) FILTER (WHERE a.active_at_start AND NOT a.active_at_end), 0)
            AS churned_mrr,
        coalesce(sum(a.mrr_at_start - a.mrr_at_end)
            FILTER (WHERE a.active_at_start AND a.active_at_end
                    AND a.mrr_at_end < a.mrr_at_start), 0) AS contraction_mrr,
        coalesce(sum(a.mrr_at_end - a.mrr_at_start)
            FILTER (WHERE a.active_at_start AND a.active_at_end
                    AND a.mrr_at_end > a.mrr_at_start), 0) AS expansion_mrr
    FROM marts.customer_months AS a
    GROUP BY a.month
)
SELECT
    month,
    customers_at_start,
    mrr_at_start,
    churned_mrr,
    contraction_mrr,
    expansion_mrr,
    CASE WHEN mrr_at_start > 0
         THEN CAST(100 * (churned_mrr + contraction_mrr) / mrr_at_start AS DOUBLE)
    END AS gross_revenue_churn_pct,
    CASE WHEN mrr_at_start > 0
         THEN CAST(100 * (mrr_at_start - churned_mrr - contraction_mrr) / mrr_at_start AS DOUBLE)
    END AS grr_pct,
    CASE WHEN mrr_at_start > 0
         THEN CAST(100 * (mrr_at_start - churned_mrr - contraction_mrr + expansion_mrr)
                   / mrr_at_start AS DOUBLE)
    END AS nrr_pct
FROM counts
ORDER BY month;
