-- One row per contact: influence level from the job title, product usage in the usage window,
-- the power-user flag, the latest NPS answer and an engagement stage, as of the as-of date.
-- Influence levels, the usage window and the power-user rule are in cx_pipeline/rules.sql;
-- usage is read from marts.usage_daily (events up to the as-of date, by local day).
--
-- Engagement stage, first match wins:
--   lost        the contact's account has no active subscription
--   onboarding  created in the last 30 days
--   at_risk     latest NPS answer in the last 180 days is a detractor
--   champion    latest NPS answer is a promoter and the contact is a power user
--   dormant     no product events in the usage window (only when product analytics is
--               delivered: without it the usage columns are null)
--   engaged     everything else
CREATE OR REPLACE TABLE marts.contact_segments AS
WITH active_accounts AS (
    SELECT DISTINCT account_id
    FROM marts.subscription_days
    WHERE active_on(start_day, end_day, CAST($as_of AS DATE))
),
usage AS (
    SELECT
        contact_id,
        CAST(sum(events) AS BIGINT) AS events_in_window,
        count(DISTINCT day) AS active_days,
        count(DISTINCT event_name) AS features_used,
        max(day) AS last_active_on
    FROM marts.usage_daily
    WHERE day > CAST($as_of AS DATE) - usage_window_days()
      AND contact_id IS NOT NULL
    GROUP BY contact_id
),
latest_nps AS (
    SELECT
        contact_id,
        score,
        nps_category(score) AS category,
        local_day(submitted_at, $timezone) AS submitted_on
    FROM staging.resolved_nps_responses
    WHERE local_day(submitted_at, $timezone) <= $as_of AND contact_id IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY contact_id ORDER BY submitted_at DESC, response_id DESC
    ) = 1
),
contacts AS (
    SELECT
        c.contact_id,
        c.account_id,
        c.job_title,
        influence_level(c.job_title) AS influence_level,
        local_day(c.created_at, $timezone) AS created_on,
        CASE WHEN $has_events THEN coalesce(u.events_in_window, 0) END AS events_last_30d,
        CASE WHEN $has_events THEN coalesce(u.active_days, 0) END AS active_days_last_30d,
        CASE WHEN $has_events THEN coalesce(u.features_used, 0) END AS features_last_30d,
        u.last_active_on,
        CASE WHEN $has_events THEN coalesce(is_power_user(u.active_days, u.features_used), false)
        END AS is_power_user,
        n.score AS last_nps_score,
        n.category AS last_nps_category,
        n.submitted_on AS last_nps_on,
        a.account_id IS NOT NULL AS account_is_active
    FROM staging.contacts AS c
    LEFT JOIN usage AS u ON u.contact_id = c.contact_id
    LEFT JOIN latest_nps AS n ON n.contact_id = c.contact_id
    LEFT JOIN active_accounts AS a ON a.account_id = c.account_id
    WHERE local_day(c.created_at, $timezone) <= $as_of
)
SELECT
    *,
    CASE
        WHEN NOT account_is_active THEN 'lost'
        WHEN CAST($as_of AS DATE) - created_on < 30 THEN 'onboarding'
        WHEN last_nps_category = 'detractor' AND CAST($as_of AS DATE) - last_nps_on <= 180
            THEN 'at_risk'
        WHEN last_nps_category = 'promoter' AND is_power_user THEN 'champion'
        WHEN events_last_30d = 0 THEN 'dormant'
        ELSE 'engaged'
    END AS engagement_stage
FROM contacts
ORDER BY contact_id;
