-- One row per account: B2B segments (region, industry, revenue tier, tenure band, products) and
-- a journey stage from onboarding to lost, as of the as-of date.
--
-- Revenue tier: the one revenue rule, marts.account_revenue (the CRM's ARR while a customer,
-- 12 x MRR when the CRM has none; for a lost account, 12 x its MRR on its last day as one).
--
-- Tenure: whole months of the account's latest spell (marts.customer_spells, where a day with no
-- active subscription ends a spell): from its start to the as-of date while a customer, and to
-- its end for a lost account, whose tenure stops at the loss. An account that left and came
-- back counts from the start of its current spell, as survival's every-spell basis and churn's
-- tenure bands do: a returning customer is at the start of a new relationship again.
-- customer_since is the first day the account was ever active (marts.customer_spells: a
-- subscription that ends the day it starts does not count). MRR and ARR from subscriptions are
-- in the reporting currency (converted in marts.subscription_days), like the tier cut-offs.
--
-- Journey stages, first match wins (thresholds in the `rules` CTE below):
--   prospect    never a customer: no subscription, or only ones that ended the day they
--               started (never active, so no customer_since)
--   lost        no subscription active on the as-of date
--   cancelling  a customer whose every active subscription has a recorded end after the as-of
--               date, with none booked to start later: the loss is in the CRM, not yet happened
--               (cancels_on is the day the last one ends)
--   at_risk     latest NPS answer is a recent detractor (nps_answer_is_recent() in rules.sql),
--               or usage fell (usage_fell() in rules.sql: a new drop against the account's own
--               baseline), or at least `escalations_at_risk` open high/urgent tickets
--   dormant     no product events in the last `window_days` days (only when product analytics
--               is delivered: without it the usage columns are null, never invented zeros)
--   onboarding  customer for fewer than `onboarding_days` days
--   champion    latest NPS answer is a recent promoter (same rule as the detractor's) and the
--               account has a power user
--   active      everything else
-- Why this order: a stage must never hide a risk. Risk stages come before the lifecycle ones,
-- the most certain loss first: a booked cancellation is a decision already taken; at_risk names
-- a warning the account gave (an answer, a drop, escalations) and so what to talk about;
-- dormant is silence, a risk without a reason (a dormant account that also fell or complained is
-- at_risk). Onboarding comes after them, since a new account that is silent or unhappy is a
-- failing onboarding that someone must call; champion, the one praising stage, comes last so it
-- can only describe an account with no risk at all.
-- Power users, the usage window and active_on() are defined in cx_pipeline/rules.sql; the
-- power-user flag itself is read from marts.contact_segments. Usage (events in the window, the
-- window before and the baseline; active users) and open escalations are the account's
-- point-in-time features of the as-of date (marts.account_features, where the health score
-- reads them too): a customer's only; null for a prospect or a lost account, whose stage does
-- not depend on them.
CREATE OR REPLACE TABLE marts.account_segments AS
WITH rules AS (
    SELECT
        90 AS onboarding_days,
        usage_window_days() AS window_days,
        2 AS escalations_at_risk
),
subscriptions AS (
    SELECT * FROM marts.subscription_days
),
account_subscriptions AS (
    SELECT
        account_id,
        count(*) FILTER (WHERE end_day IS NULL OR end_day > $as_of) AS active_subscriptions,
        coalesce(sum(mrr) FILTER (WHERE end_day IS NULL OR end_day > $as_of), 0) AS mrr,
        list_sort(list_distinct(list(product) FILTER (WHERE end_day IS NULL OR end_day > $as_of)))
            AS active_products,
        list_sort(list_distinct(list(product))) AS products_ever,
        max(end_day) AS last_end_day,
        -- Active subscriptions without a recorded end, and the last recorded future end.
        count(*) FILTER (WHERE end_day IS NULL AND ended_at IS NULL) AS open_ended_subscriptions,
        max(local_day(ended_at, $timezone)) FILTER (WHERE end_day IS NULL) AS last_recorded_end
    FROM subscriptions
    GROUP BY account_id
),
latest_spells AS (
    SELECT account_id, customer_since, spell_start, tenure_months
    FROM marts.customer_spells
    QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY spell_number DESC) = 1
),
booked_later AS (
    -- Subscriptions booked to start after the as-of date (a renewal or a plan change): an account
    -- whose booking starts by its last recorded end continues without a gap, so it is not
    -- cancelling; one booked only after a gap still lapses first (the churn rule counts it).
    SELECT account_id, min(local_day(started_at, $timezone)) AS first_booked_start
    FROM staging.subscriptions
    WHERE local_day(started_at, $timezone) > $as_of
    GROUP BY account_id
),
latest_nps AS (
    SELECT
        coalesce(r.account_id, c.account_id) AS account_id,
        r.score,
        nps_category(r.score) AS category,
        local_day(r.submitted_at, $timezone) AS submitted_day
    FROM staging.resolved_nps_responses AS r
    LEFT JOIN staging.contacts AS c ON c.contact_id = r.contact_id
    WHERE local_day(r.submitted_at, $timezone) <= $as_of
    QUALIFY row_number() OVER (
        PARTITION BY coalesce(r.account_id, c.account_id)
        ORDER BY r.submitted_at DESC, r.response_id DESC
    ) = 1
),
features AS (
    SELECT
        account_id,
        events_last_30d,
        events_previous_30d,
        events_baseline_90d,
        active_users_30d,
        open_escalations
    FROM marts.account_features
    WHERE feature_day = $as_of
),
power_users AS (
    SELECT account_id, count(*) FILTER (WHERE is_power_user) AS power_users
    FROM marts.contact_segments
    GROUP BY account_id
),
accounts AS (
    SELECT
        a.account_id,
        a.name,
        a.industry,
        a.region,
        a.country,
        a.arr,
        r.revenue_tier,
        t.customer_since,
        t.spell_start,
        t.tenure_months,
        coalesce(s.active_subscriptions, 0) AS active_subscriptions,
        coalesce(s.active_subscriptions, 0) > 0 AS is_active,
        coalesce(s.mrr, 0) AS mrr,
        CASE WHEN coalesce(s.active_subscriptions, 0) > 0
             THEN s.active_products ELSE s.products_ever END AS products,
        CASE WHEN coalesce(s.active_subscriptions, 0) = 0 THEN s.last_end_day END AS lost_on,
        CASE WHEN s.active_subscriptions > 0 AND s.open_ended_subscriptions = 0
              AND coalesce(b.first_booked_start > s.last_recorded_end, true)
             THEN s.last_recorded_end END AS cancels_on,
        n.score AS last_nps_score,
        n.category AS last_nps_category,
        n.submitted_day AS last_nps_on,
        CASE WHEN $has_events THEN u.events_last_30d END AS events_last_30d,
        CASE WHEN $has_events THEN u.events_previous_30d END AS events_previous_30d,
        CASE WHEN $has_events THEN u.events_baseline_90d END AS events_baseline_90d,
        CASE WHEN $has_events THEN u.active_users_30d END AS active_users_last_30d,
        CASE WHEN $has_events THEN coalesce(p.power_users, 0) END AS power_users,
        CASE WHEN $has_tickets THEN u.open_escalations END AS open_escalations
    FROM staging.accounts AS a
    LEFT JOIN account_subscriptions AS s ON s.account_id = a.account_id
    LEFT JOIN marts.account_revenue AS r ON r.account_id = a.account_id
    LEFT JOIN latest_spells AS t ON t.account_id = a.account_id
    LEFT JOIN booked_later AS b ON b.account_id = a.account_id
    LEFT JOIN latest_nps AS n ON n.account_id = a.account_id
    LEFT JOIN features AS u ON u.account_id = a.account_id
    LEFT JOIN power_users AS p ON p.account_id = a.account_id
)
SELECT
    a.*,
    tenure_band(a.tenure_months) AS tenure_band,
    CASE
        WHEN a.customer_since IS NULL THEN 'prospect'
        WHEN NOT a.is_active THEN 'lost'
        WHEN a.cancels_on IS NOT NULL THEN 'cancelling'
        WHEN (a.last_nps_category = 'detractor'
              AND nps_answer_is_recent(a.last_nps_on, CAST($as_of AS DATE)))
          OR usage_fell(a.events_last_30d, a.events_previous_30d, a.events_baseline_90d)
          OR coalesce(a.open_escalations >= r.escalations_at_risk, false) THEN 'at_risk'
        WHEN a.events_last_30d = 0 THEN 'dormant'
        WHEN CAST($as_of AS DATE) - a.customer_since < r.onboarding_days THEN 'onboarding'
        WHEN a.last_nps_category = 'promoter'
          AND nps_answer_is_recent(a.last_nps_on, CAST($as_of AS DATE))
          AND a.power_users > 0 THEN 'champion'
        ELSE 'active'
    END AS journey_stage
FROM accounts AS a, rules AS r
ORDER BY a.account_id;
