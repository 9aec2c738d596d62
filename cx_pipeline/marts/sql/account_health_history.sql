-- A transparent health score for every active account, evaluated on the last day of each of the
-- 13 latest complete months and on the as-of date. Each evaluation reads the account's
-- point-in-time features of that day (marts.account_features: only what was known at the end of
-- the day, so the history can be scored against what happened next); every input below is
-- defined there once, shared with the driver analyses and the churn model.
--
-- Components, each 0-100 (higher is healthier), and their weights in the score:
--   usage    35%  half trend, half intensity: trend = events in the 30 days to the day over
--                 the 30 days before, capped at 100% (new usage counts as 100%); intensity =
--                 events per active user in the 30 days over the median of the accounts scored
--                 that day that have an active user, capped at 100% (an account whose events no
--                 contact was linked to has no active user and no intensity: 0). The median
--                 leaves out accounts without users: their zeros would lower the bar for all.
--                 No events in the 30 days scores 0 (dormant)
--   nps      30%  0 after a detractor answer in the 30 days to the day (the closed-loop red
--                 flag); else 10 x the latest answer in 180 days; no answer scores 50
--   support  20%  100 - 25 per high/urgent ticket open at the end of the day (however old) - 5
--                 per ticket opened in 90 days, >= 0
--   csat     15%  average CSAT of tickets solved in 180 days, (csat - 1) / 4 x 100; none: 50
-- Override: a recorded cancellation (marts.account_segments.cancels_on: every active
-- subscription has a recorded end after the as-of date) scores 0, band at_risk, whatever the
-- components say (they are still shown): the loss is booked, so the account heads the risk list.
-- It is applied on the as-of evaluation only: the CRM as delivered says what is booked now, not
-- since when, so reading today's end dates into past days would leak the outcome into the track
-- record. usage_fell (rules.sql, a new drop against the account's own baseline) is shown as a
-- signal beside the usage component.
-- A source the company does not deliver (product analytics, surveys, support) leaves its
-- component and its inputs null ("no usage data", not dormant): the score is the weighted mean
-- of the components there are.
-- Bands: healthy >= 70, watch 40-70, at_risk < 40.
CREATE OR REPLACE TABLE marts.account_health_history AS
WITH weights AS (
    SELECT 0.35 AS usage_weight, 0.30 AS nps_weight, 0.20 AS support_weight, 0.15 AS csat_weight
),
evaluation_days AS (
    SELECT DISTINCT CAST(day AS DATE) AS evaluated_on FROM (
        SELECT unnest(generate_series(
            CAST(date_trunc('month', CAST($as_of AS DATE)) - INTERVAL 13 MONTH AS DATE),
            CAST(date_trunc('month', CAST($as_of AS DATE)) - INTERVAL 1 MONTH AS DATE),
            INTERVAL 1 MONTH
        )) + INTERVAL 1 MONTH - INTERVAL 1 DAY AS day
        UNION ALL SELECT CAST($as_of AS DATE)
    )
),
active AS (
    SELECT DISTINCT d.evaluated_on, s.account_id
    FROM evaluation_days AS d
    JOIN marts.subscription_days AS s ON active_on(s.start_day, s.end_day, d.evaluated_on)
),
features AS (
    -- Every account active on an evaluation day has its features of that day (a cut-off of
    -- marts.account_features: a month's last day or the as-of date).
    SELECT
        a.evaluated_on,
        f.*,
        median(f.events_per_active_user_30d) FILTER (WHERE f.active_users_30d > 0)
            OVER (PARTITION BY a.evaluated_on) AS median_events_per_active_user
    FROM active AS a
    JOIN marts.account_features AS f
      ON f.account_id = a.account_id AND f.feature_day = a.evaluated_on
),
components AS (
    SELECT
        f.evaluated_on,
        f.account_id,
        CASE WHEN $has_events THEN f.events_last_30d END AS events_last_30d,
        CASE WHEN $has_events THEN f.events_previous_30d END AS events_previous_30d,
        CASE WHEN $has_events THEN f.events_baseline_90d END AS events_baseline_90d,
        CASE WHEN $has_events THEN f.usage_fell END AS usage_fell,
        CASE WHEN $has_events THEN f.active_users_30d END AS active_users_30d,
        CASE WHEN $has_events THEN f.events_per_active_user_30d END
            AS events_per_active_user_30d,
        f.last_nps_score,
        f.detractor_last_30d,
        CASE WHEN $has_tickets THEN f.open_escalations END AS open_escalations,
        CASE WHEN $has_tickets THEN f.tickets_90d END AS tickets_last_90d,
        f.avg_csat_180d,
        -- A recorded cancellation is today's news: it marks the as-of row only.
        CASE WHEN f.evaluated_on = CAST($as_of AS DATE) THEN g.cancels_on END AS cancels_on,
        CASE
            WHEN NOT $has_events THEN NULL
            WHEN f.events_last_30d = 0 THEN 0.0
            ELSE 50.0 * CASE WHEN f.events_previous_30d = 0 THEN 1.0
                             ELSE least(1.0, f.events_last_30d / f.events_previous_30d) END
               + 50.0 * CASE
                   WHEN f.active_users_30d = 0 THEN 0.0
                   WHEN coalesce(f.median_events_per_active_user, 0) = 0 THEN 1.0
                   ELSE least(1.0, f.events_per_active_user_30d / f.median_events_per_active_user)
                 END
        END AS usage_component,
        CASE
            WHEN NOT $has_nps_responses THEN NULL
            WHEN f.detractor_last_30d THEN 0.0
            ELSE coalesce(10.0 * f.last_nps_score, 50.0)
        END AS nps_component,
        CASE WHEN $has_tickets
             THEN greatest(0.0, 100.0 - 25 * f.open_escalations - 5 * f.tickets_90d)
        END AS support_component,
        CASE WHEN $has_tickets THEN coalesce((f.avg_csat_180d - 1) / 4 * 100, 50.0) END
            AS csat_component
    FROM features AS f
    LEFT JOIN marts.account_segments AS g ON g.account_id = f.account_id
)
SELECT
    c.*,
    -- A source the company does not deliver leaves its component null; the score is the
    -- weighted mean of the components there are (the weights of the rest are shared out).
    -- A recorded cancellation overrides it with 0 (header).
    CASE WHEN c.cancels_on IS NOT NULL THEN 0.0 ELSE round(
        (coalesce(w.usage_weight * c.usage_component, 0)
         + coalesce(w.nps_weight * c.nps_component, 0)
         + coalesce(w.support_weight * c.support_component, 0)
         + coalesce(w.csat_weight * c.csat_component, 0))
        / nullif(
            w.usage_weight * (c.usage_component IS NOT NULL)::INT
            + w.nps_weight * (c.nps_component IS NOT NULL)::INT
            + w.support_weight * (c.support_component IS NOT NULL)::INT
            + w.csat_weight * (c.csat_component IS NOT NULL)::INT,
            0
        ),
        2
    ) END AS health_score,
    CASE
        WHEN health_score >= 70 THEN 'healthy'
        WHEN health_score >= 40 THEN 'watch'
        WHEN health_score < 40 THEN 'at_risk'
    END AS health_band
FROM components AS c, weights AS w
ORDER BY c.evaluated_on, c.account_id;
