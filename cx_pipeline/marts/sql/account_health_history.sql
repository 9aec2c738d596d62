-- A transparent health score for every active account, evaluated on the last day of each of the
-- 13 latest complete months and on the as-of date. Each evaluation only reads what was known on
-- its day (events, answers and tickets up to that day; ticket state from its timestamps, not
-- from today's status), so the history can be scored against what happened next.
--
-- Components, each 0-100 (higher is healthier), and their weights in the score:
--   usage    35%  half trend, half intensity: trend = events in the 30 days to the day over
--                 the 30 days before, capped at 100% (new usage counts as 100%); intensity =
--                 events per active user in the 30 days over the median of all active accounts
--                 that day, capped at 100%. No events in the 30 days scores 0 (dormant)
--   nps      30%  0 after a detractor answer in the 30 days to the day (the closed-loop red
--                 flag); else 10 x the latest answer in 180 days; no answer scores 50
--   support  20%  100 - 25 per open high/urgent ticket - 5 per ticket opened in 90 days, >= 0
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
subscriptions AS (
    SELECT * FROM marts.subscription_days
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
    JOIN subscriptions AS s ON active_on(s.start_day, s.end_day, d.evaluated_on)
),
daily_events AS (
    SELECT account_id, local_day(occurred_at, $timezone) AS day, count(*) AS events
    FROM staging.resolved_events
    WHERE account_id IS NOT NULL
    GROUP BY ALL
),
usage AS (
    SELECT
        a.evaluated_on,
        a.account_id,
        coalesce(sum(e.events) FILTER (WHERE e.day > a.evaluated_on - 30), 0) AS events_last_30d,
        coalesce(sum(e.events) FILTER (WHERE e.day <= a.evaluated_on - 30
                                         AND e.day > a.evaluated_on - 60), 0)
            AS events_previous_30d,
        coalesce(sum(e.events) FILTER (WHERE e.day <= a.evaluated_on - 30), 0)
            AS events_baseline_90d
    FROM active AS a
    LEFT JOIN daily_events AS e
      ON e.account_id = a.account_id
     AND e.day > a.evaluated_on - (1 + usage_baseline_windows()) * usage_window_days()
     AND e.day <= a.evaluated_on
    GROUP BY ALL
),
active_users AS (
    SELECT a.evaluated_on, a.account_id, count(DISTINCT e.contact_id) AS users
    FROM active AS a
    JOIN staging.resolved_events AS e
      ON e.account_id = a.account_id
     AND local_day(e.occurred_at, $timezone) > a.evaluated_on - 30
     AND local_day(e.occurred_at, $timezone) <= a.evaluated_on
    GROUP BY ALL
),
intensity AS (
    SELECT
        u.evaluated_on,
        u.account_id,
        -- Events no contact could be linked to have no user: no per-user figure, not infinity.
        u.events_last_30d / nullif(n.users, 0) AS events_per_active_user_30d,
        median(u.events_last_30d / nullif(n.users, 0)) OVER (PARTITION BY u.evaluated_on)
            AS median_events_per_active_user
    FROM usage AS u
    JOIN active_users AS n USING (evaluated_on, account_id)
),
answers AS (
    SELECT
        coalesce(r.account_id, c.account_id) AS account_id,
        local_day(r.submitted_at, $timezone) AS day,
        r.submitted_at,
        r.response_id,
        r.score
    FROM staging.resolved_nps_responses AS r
    LEFT JOIN staging.contacts AS c ON c.contact_id = r.contact_id
),
latest_answer AS (
    SELECT
        a.evaluated_on,
        a.account_id,
        n.score,
        bool_or(nps_category(n.score) = 'detractor' AND n.day > a.evaluated_on - 30) OVER (
            PARTITION BY a.evaluated_on, a.account_id
        ) AS recent_detractor
    FROM active AS a
    JOIN answers AS n
      ON n.account_id = a.account_id
     AND nps_answer_is_recent(n.day, a.evaluated_on)
    QUALIFY row_number() OVER (
        PARTITION BY a.evaluated_on, a.account_id ORDER BY n.submitted_at DESC, n.response_id DESC
    ) = 1
),
tickets AS (
    SELECT
        account_id,
        local_day(created_at, $timezone) AS created_day,
        local_day(solved_at, $timezone) AS solved_day,
        status,
        is_escalation(priority) AS escalation,
        csat_score
    FROM staging.resolved_tickets
    WHERE account_id IS NOT NULL
),
support AS (
    SELECT
        a.evaluated_on,
        a.account_id,
        count(*) FILTER (
            WHERE t.escalation
              AND ticket_open_on(t.created_day, t.solved_day, t.status, a.evaluated_on)
        ) AS open_escalations,
        count(*) FILTER (WHERE t.created_day > a.evaluated_on - 90) AS tickets_last_90d,
        avg(t.csat_score) FILTER (
            WHERE t.solved_day > a.evaluated_on - 180 AND t.solved_day <= a.evaluated_on
        ) AS avg_csat_180d
    FROM active AS a
    JOIN tickets AS t ON t.account_id = a.account_id AND t.created_day <= a.evaluated_on
    GROUP BY ALL
),
components AS (
    SELECT
        a.evaluated_on,
        a.account_id,
        CASE WHEN $has_events THEN u.events_last_30d END AS events_last_30d,
        CASE WHEN $has_events THEN u.events_previous_30d END AS events_previous_30d,
        CASE WHEN $has_events THEN u.events_baseline_90d END AS events_baseline_90d,
        CASE WHEN $has_events
             THEN usage_fell(u.events_last_30d, u.events_previous_30d, u.events_baseline_90d)
        END AS usage_fell,
        i.events_per_active_user_30d,
        n.score AS last_nps_score,
        coalesce(n.recent_detractor, false) AS detractor_last_30d,
        CASE WHEN $has_tickets THEN coalesce(s.open_escalations, 0) END AS open_escalations,
        CASE WHEN $has_tickets THEN coalesce(s.tickets_last_90d, 0) END AS tickets_last_90d,
        s.avg_csat_180d,
        g.cancels_on,
        CASE
            WHEN NOT $has_events THEN NULL
            WHEN u.events_last_30d = 0 THEN 0.0
            ELSE 50.0 * CASE WHEN u.events_previous_30d = 0 THEN 1.0
                             ELSE least(1.0, u.events_last_30d / u.events_previous_30d) END
               -- least() skips a null, so the missing cases are spelt out.
               + 50.0 * CASE
                   WHEN i.events_per_active_user_30d IS NULL THEN 0.0
                   WHEN coalesce(i.median_events_per_active_user, 0) = 0 THEN 1.0
                   ELSE least(1.0, i.events_per_active_user_30d / i.median_events_per_active_user)
                 END
        END AS usage_component,
        CASE
            WHEN NOT $has_nps_responses THEN NULL
            WHEN n.recent_detractor THEN 0.0
            ELSE coalesce(10.0 * n.score, 50.0)
        END AS nps_component,
        CASE WHEN $has_tickets THEN greatest(
            0.0,
            100.0 - 25 * coalesce(s.open_escalations, 0) - 5 * coalesce(s.tickets_last_90d, 0)
        ) END AS support_component,
        CASE WHEN $has_tickets THEN coalesce((s.avg_csat_180d - 1) / 4 * 100, 50.0) END
            AS csat_component
    FROM active AS a
    JOIN usage AS u USING (evaluated_on, account_id)
    LEFT JOIN intensity AS i USING (evaluated_on, account_id)
    LEFT JOIN latest_answer AS n USING (evaluated_on, account_id)
    LEFT JOIN support AS s USING (evaluated_on, account_id)
    LEFT JOIN marts.account_segments AS g
      ON g.account_id = a.account_id AND a.evaluated_on = CAST($as_of AS DATE)
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
