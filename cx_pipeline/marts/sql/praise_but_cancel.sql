-- Lost accounts that said good things before they left: the customers a detractor alert would
-- have missed. One row per lost account (no subscription active on the as-of date; lost_on is
-- the day its last subscription ended, as in marts.account_segments) whose latest NPS answer
-- submitted before that last subscription ended was a promoter or a passive (nps_category() in
-- rules.sql).
--   An answer belongs to its response's account, else to its contact's account.
--   cancel_reason is that of the subscription that ended last (ties: the one with a reason, then
--   the higher MRR, then the highest id).
--   mrr_lost is the account's MRR on the day before lost_on: the sum of mrr of its subscriptions
--   active on that day (active_on() in rules.sql).
--   revenue_tier is revenue_tier() of 12 x mrr_lost: accounts.arr is today's figure, 0 for every
--   lost account.
CREATE OR REPLACE TABLE marts.praise_but_cancel AS
WITH subscriptions AS (
    SELECT * FROM marts.subscription_days
),
lost_accounts AS (
    SELECT account_id, name, region, lost_on
    FROM marts.account_segments
    WHERE lost_on IS NOT NULL
),
last_subscription AS (
    SELECT s.account_id, s.ended_at AS lost_at, s.cancel_reason
    FROM subscriptions AS s
    JOIN lost_accounts AS l USING (account_id)
    WHERE s.end_day IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY s.account_id
        ORDER BY s.ended_at DESC, s.cancel_reason IS NOT NULL DESC, s.mrr DESC,
                 s.subscription_id DESC
    ) = 1
),
mrr_lost AS (
    SELECT
        l.account_id,
        coalesce(sum(s.mrr) FILTER (
            WHERE active_on(s.start_day, s.end_day, CAST(l.lost_on - INTERVAL 1 DAY AS DATE))
        ), 0) AS mrr_lost
    FROM lost_accounts AS l
    JOIN subscriptions AS s USING (account_id)
    GROUP BY l.account_id
),
last_answer_before_loss AS (
    SELECT
        x.account_id,
        r.score AS last_nps_score,
        nps_category(r.score) AS last_nps_category,
        local_day(r.submitted_at, $timezone) AS last_nps_on
    FROM staging.resolved_nps_responses AS r
    LEFT JOIN staging.contacts AS c ON c.contact_id = r.contact_id
    JOIN last_subscription AS x ON x.account_id = coalesce(r.account_id, c.account_id)
    WHERE r.submitted_at < x.lost_at
    QUALIFY row_number() OVER (
        PARTITION BY x.account_id ORDER BY r.submitted_at DESC, r.response_id DESC
    ) = 1
)
SELECT
    l.account_id,
    l.name,
    l.region,
    revenue_tier(12 * m.mrr_lost, $mid_market_from, $enterprise_from) AS revenue_tier,
    l.lost_on,
    n.last_nps_score,
    n.last_nps_category,
    n.last_nps_on,
    x.cancel_reason,
    m.mrr_lost
FROM lost_accounts AS l
JOIN last_subscription AS x USING (account_id)
JOIN last_answer_before_loss AS n USING (account_id)
JOIN mrr_lost AS m USING (account_id)
WHERE n.last_nps_category IN ('promoter', 'passive')
ORDER BY l.lost_on DESC, l.account_id;
