-- Subscriptions as the days they run in the reporting timezone, as known on the as-of date: the
-- one place the churn, segment and health tables read them from. A subscription runs from its
-- start day until its end day; an end after the as-of date has not happened yet (end_day is null,
-- as for a running one), and one that starts after the as-of date is left out.
CREATE OR REPLACE TABLE marts.subscription_days AS
SELECT
    subscription_id,
    account_id,
    product,
    plan,
    mrr,
    started_at,
    ended_at,
    cancel_reason,
    local_day(started_at, $timezone) AS start_day,
    CASE WHEN local_day(ended_at, $timezone) <= $as_of
         THEN local_day(ended_at, $timezone) END AS end_day
FROM staging.subscriptions
WHERE local_day(started_at, $timezone) <= $as_of
ORDER BY subscription_id;
