-- The sample of the churn driver analysis and the churn model: one row per account and
-- prediction date, with the account's features at the end of that day (marts.account_features;
-- its cut-off rule) and whether it was lost in the month after (the churn rule of
-- marts.customer_months). Prediction dates: the last day before each complete month, for the
-- customers at its start (lost known), and the as-of date for the active accounts (outcome month
-- and lost null: what follows has not happened yet).
CREATE OR REPLACE TABLE marts.churn_examples AS
WITH examples AS (
    SELECT
        CAST(month - INTERVAL 1 DAY AS DATE) AS prediction_date,
        month AS outcome_month,
        account_id,
        NOT active_at_end AS lost
    FROM marts.customer_months
    WHERE active_at_start
    UNION ALL
    SELECT DISTINCT
        CAST($as_of AS DATE),
        CAST(NULL AS DATE),
        account_id,
        CAST(NULL AS BOOLEAN)
    FROM marts.subscription_days
    WHERE active_on(start_day, end_day, CAST($as_of AS DATE))
)
SELECT e.prediction_date, e.outcome_month, e.lost, f.*
FROM examples AS e
JOIN marts.account_features AS f
  ON f.account_id = e.account_id AND f.feature_day = e.prediction_date
ORDER BY e.prediction_date, e.account_id;
