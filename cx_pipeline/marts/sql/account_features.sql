-- What was known about an account at the end of a cut-off day: the candidate drivers of the NPS
-- and churn driver analyses and the inputs of the churn model.
--
-- THE CUT-OFF RULE. A row describes account_id at the end of feature_day and reads only rows
-- whose own timestamp falls on or before that day (reporting timezone): events that occurred,
-- answers submitted, tickets created (a ticket's response time counts once it was answered by
-- the day, its resolution time and CSAT once it was solved by the day), subscriptions started
-- and ended by the day. Nothing recorded after the cut-off can move a feature (the leakage test
-- in cx_pipeline_tests/marts/test_drivers.py plants such rows). The CRM's static attributes
-- (region, employees) are taken as delivered.
--
-- Cut-off days:
--   the last day before each complete month, for the accounts active that day (the churn
--     model's prediction dates: it predicts who is lost in that month)
--   the as-of date, for the accounts active on it (the current prediction)
--   the day before each NPS answer, for the answering account (what the customer had lived)
--
-- Windows: usage over the usage window (30 days, rules.sql) and the window before it; ticket
-- volume and escalations (high/urgent) created in the 90 days to the day; response times,
-- resolution times and CSAT of the tickets created in the 180 days to the day; a detractor
-- answer in the 30 days to the day; the latest answer within 180 days.
CREATE OR REPLACE TABLE marts.account_features AS
WITH subscriptions AS (
    SELECT * FROM marts.subscription_days
),
cutoffs AS (
    SELECT DISTINCT account_id, feature_day FROM (
        SELECT account_id, CAST(month - INTERVAL 1 DAY AS DATE) AS feature_day
        FROM marts.customer_months
        WHERE active_at_start
        UNION ALL
        SELECT account_id, CAST($as_of AS DATE)
        FROM subscriptions
        WHERE active_on(start_day, end_day, CAST($as_of AS DATE))
        UNION ALL
        SELECT account_id, submitted_day - 1
        FROM marts.nps_answers
        WHERE account_id IS NOT NULL
    )
),
subscription_state AS (
    SELECT
        c.account_id,
        c.feature_day,
        min(s.start_day) AS customer_since,
        count(DISTINCT s.product) FILTER (WHERE active_on(s.start_day, s.end_day, c.feature_day))
            AS products_active,
        coalesce(
            arg_max(s.plan, s.start_day) FILTER (
                WHERE s.product = 'Core' AND active_on(s.start_day, s.end_day, c.feature_day)
            ),
            arg_max(s.plan, s.start_day) FILTER (
                WHERE active_on(s.start_day, s.end_day, c.feature_day)
            ),
            'none'
        ) AS plan
    FROM cutoffs AS c
    LEFT JOIN subscriptions AS s ON s.account_id = c.account_id AND s.start_day <= c.feature_day
    GROUP BY ALL
),
event_days AS (
    SELECT
        account_id,
        local_day(occurred_at, $timezone) AS day,
        contact_id,
        event_name,
        count(*) AS events
    FROM staging.resolved_events
    WHERE account_id IS NOT NULL
    GROUP BY ALL
),
usage AS (
    SELECT
        c.account_id,
        c.feature_day,
        CAST(coalesce(sum(e.events) FILTER (
            WHERE e.day > c.feature_day - usage_window_days()), 0) AS BIGINT) AS events_last_30d,
        CAST(coalesce(sum(e.events) FILTER (
            WHERE e.day <= c.feature_day - usage_window_days()), 0) AS BIGINT)
            AS events_previous_30d,
        count(DISTINCT e.contact_id) FILTER (WHERE e.day > c.feature_day - usage_window_days())
            AS active_users_30d,
        count(DISTINCT e.event_name) FILTER (WHERE e.day > c.feature_day - usage_window_days())
            AS features_used_30d
    FROM cutoffs AS c
    LEFT JOIN event_days AS e
      ON e.account_id = c.account_id
     AND e.day > c.feature_day - 2 * usage_window_days()
     AND e.day <= c.feature_day
    GROUP BY ALL
),
tickets AS (
    SELECT
        account_id,
        local_day(created_at, $timezone) AS created_day,
        local_day(first_response_at, $timezone) AS responded_day,
        local_day(solved_at, $timezone) AS solved_day,
        epoch(first_response_at - created_at) / 3600.0 AS first_response_hours,
        epoch(solved_at - created_at) / 3600.0 AS resolution_hours,
        priority IN ('high', 'urgent') AS escalation,
        csat_score
    FROM staging.resolved_tickets
    WHERE account_id IS NOT NULL
),
support AS (
    SELECT
        c.account_id,
        c.feature_day,
        count(t.created_day) FILTER (WHERE t.created_day > c.feature_day - 90) AS tickets_90d,
        count(t.created_day) FILTER (WHERE t.created_day > c.feature_day - 90 AND t.escalation)
            AS escalations_90d,
        count(t.created_day) FILTER (WHERE t.responded_day <= c.feature_day)
            AS answered_tickets_180d,
        median(t.first_response_hours) FILTER (WHERE t.responded_day <= c.feature_day)
            AS median_first_response_hours_180d,
        median(t.resolution_hours) FILTER (WHERE t.solved_day <= c.feature_day)
            AS median_resolution_hours_180d,
        avg(t.csat_score) FILTER (WHERE t.solved_day <= c.feature_day) AS avg_csat_180d
    FROM cutoffs AS c
    LEFT JOIN tickets AS t
      ON t.account_id = c.account_id
     AND t.created_day > c.feature_day - 180
     AND t.created_day <= c.feature_day
    GROUP BY ALL
),
answers AS (
    SELECT
        c.account_id,
        c.feature_day,
        bool_or(n.category = 'detractor' AND n.submitted_day > c.feature_day - 30) OVER w
            AS detractor_last_30d,
        n.score
    FROM cutoffs AS c
    JOIN marts.nps_answers AS n
      ON n.account_id = c.account_id
     AND n.submitted_day > c.feature_day - 180
     AND n.submitted_day <= c.feature_day
    WINDOW w AS (PARTITION BY c.account_id, c.feature_day)
    QUALIFY row_number() OVER (
        PARTITION BY c.account_id, c.feature_day ORDER BY n.submitted_day DESC, n.response_id DESC
    ) = 1
)
SELECT
    c.account_id,
    c.feature_day,
    coalesce(a.region, 'unknown') AS region,
    a.employees,
    s.customer_since,
    whole_months(s.customer_since, c.feature_day) AS tenure_months,
    tenure_band(whole_months(s.customer_since, c.feature_day)) AS tenure_band,
    s.plan,
    s.products_active,
    u.events_last_30d,
    u.events_previous_30d,
    usage_fell(u.events_last_30d, u.events_previous_30d) AS usage_fell,
    u.active_users_30d,
    CASE WHEN u.active_users_30d > 0 THEN u.events_last_30d / u.active_users_30d ELSE 0 END
        AS events_per_active_user_30d,
    u.features_used_30d,
    t.tickets_90d,
    t.escalations_90d,
    t.answered_tickets_180d,
    t.median_first_response_hours_180d,
    coalesce(t.median_first_response_hours_180d > slow_first_response_hours(), false)
        AS slow_first_response,
    t.median_resolution_hours_180d,
    t.avg_csat_180d,
    coalesce(n.detractor_last_30d, false) AS detractor_last_30d,
    n.score AS last_nps_score
FROM cutoffs AS c
LEFT JOIN subscription_state AS s ON s.account_id = c.account_id AND s.feature_day = c.feature_day
LEFT JOIN usage AS u ON u.account_id = c.account_id AND u.feature_day = c.feature_day
LEFT JOIN support AS t ON t.account_id = c.account_id AND t.feature_day = c.feature_day
LEFT JOIN answers AS n ON n.account_id = c.account_id AND n.feature_day = c.feature_day
LEFT JOIN staging.accounts AS a ON a.account_id = c.account_id
ORDER BY c.account_id, c.feature_day;
