-- The health score's track record, out of time: the score each account had on the last day of
-- a month (marts.account_health_history, which only read what was known that day) against
-- whether the account was lost in the month after (the churn definition of churn_by_month).
--   auc                   probability that a lost account scored lower than a retained one
--                         (ties count half): 0.5 is a coin toss, 1.0 a perfect ranking
--   riskiest_decile_*     the 10% lowest-scored accounts: their churn rate, and its lift over
--                         the churn rate of all scored accounts (lift 1 = no better than random)
-- One row per outcome month (complete months only) and a pooled row (outcome_month null).
CREATE OR REPLACE TABLE marts.health_track_record AS
WITH subscriptions AS (
    SELECT
        account_id,
        local_day(started_at, $timezone) AS start_day,
        CASE WHEN local_day(ended_at, $timezone) <= $as_of
             THEN local_day(ended_at, $timezone) END AS end_day
    FROM staging.subscriptions
),
scored AS (
    SELECT
        h.evaluated_on,
        CAST(h.evaluated_on + INTERVAL 1 DAY AS DATE) AS outcome_month,
        CAST(h.evaluated_on + INTERVAL 1 DAY + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE)
            AS outcome_month_end,
        h.account_id,
        h.health_score
    FROM marts.account_health_history AS h
    WHERE h.evaluated_on = last_day(h.evaluated_on)
),
outcomes AS (
    SELECT
        s.*,
        NOT EXISTS (
            SELECT 1 FROM subscriptions AS x
            WHERE x.account_id = s.account_id
              AND active_on(x.start_day, x.end_day, s.outcome_month_end)
        ) AS lost
    FROM scored AS s
    WHERE s.outcome_month_end <= $as_of
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
