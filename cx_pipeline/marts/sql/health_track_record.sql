-- The health score's track record, out of time: the score each account had on the last day of
-- a month (marts.account_health_history, which only read what was known that day) against
-- whether the account was lost in the month after (the churn rule of marts.customer_months).
--   auc                   probability that a lost account scored lower than a retained one
--                         (ties count half): 0.5 is a coin toss, 1.0 a perfect ranking
--   riskiest_decile_*     the 10% lowest-scored accounts: their churn rate, and its lift over
--                         the churn rate of all scored accounts (lift 1 = no better than random)
-- One row per outcome month (complete months only) and a pooled row (outcome_month null).
CREATE OR REPLACE TABLE marts.health_track_record AS
WITH outcomes AS (
    -- Scored on a month's last day, judged on the next month (marts.customer_months holds the
    -- churn rule; an account scored that day is a customer at the next month's start).
    SELECT m.month AS outcome_month, h.account_id, h.health_score, NOT m.active_at_end AS lost
    FROM marts.account_health_history AS h
    JOIN marts.customer_months AS m
      ON m.account_id = h.account_id AND m.month = h.evaluated_on + INTERVAL 1 DAY
    WHERE h.evaluated_on = last_day(h.evaluated_on)
),
pooled AS (
    SELECT outcome_month, account_id, health_score, lost FROM outcomes
    UNION ALL
    SELECT NULL, account_id, health_score, lost FROM outcomes
),
ranked AS (
    SELECT
        *,
        -- Average rank by risk (lowest score = highest rank), ties sharing their mean rank.
        rank() OVER (PARTITION BY outcome_month ORDER BY health_score DESC)
            + (count(*) OVER (PARTITION BY outcome_month, health_score) - 1) / 2.0 AS risk_rank,
        ntile(10) OVER (PARTITION BY outcome_month ORDER BY health_score, account_id) AS decile
    FROM pooled
),
summary AS (
    SELECT
        outcome_month,
        count(*) AS accounts_scored,
        count(*) FILTER (WHERE lost) AS accounts_lost,
        sum(risk_rank) FILTER (WHERE lost) AS lost_rank_sum,
        count(*) FILTER (WHERE decile = 1) AS riskiest_decile_accounts,
        count(*) FILTER (WHERE decile = 1 AND lost) AS riskiest_decile_lost
    FROM ranked
    GROUP BY outcome_month
)
SELECT
    outcome_month,
    accounts_scored,
    accounts_lost,
    100.0 * accounts_lost / accounts_scored AS churn_rate_pct,
    CASE WHEN accounts_lost > 0 AND accounts_lost < accounts_scored THEN
        (lost_rank_sum - accounts_lost * (accounts_lost + 1) / 2.0)
        / (accounts_lost * (accounts_scored - accounts_lost))
    END AS auc,
    100.0 * riskiest_decile_lost / riskiest_decile_accounts AS riskiest_decile_churn_pct,
    CASE WHEN accounts_lost > 0 THEN
        (1.0 * riskiest_decile_lost / riskiest_decile_accounts)
        / (1.0 * accounts_lost / accounts_scored)
    END AS riskiest_decile_lift
FROM summary
ORDER BY outcome_month NULLS LAST;
