-- When each account reached each onboarding milestone of CX_ONBOARDING_MILESTONES, in order:
--   an event name      the day of the account's first event of that name
--   any_event          the day of its first event of any kind (its first login)
--   active_users:N     the day its N-th user was first seen (users ordered by their first day)
-- Events are those of marts.usage_daily (staging.resolved_events up to the as-of date, by the
-- account they resolve to, on their day in the reporting timezone). An account is measured
-- from customer_since (its first day as a customer, marts.customer_spells); days_to_reach is
-- negative when the milestone came before it (during a trial) and null when not reached.
-- Reached early means within CX_ONBOARDING_WINDOW_DAYS (default 14) of customer_since, before it
-- included. Time to value is days_to_reach of the milestone CX_ONBOARDING_VALUE_MILESTONE
-- (is_value_milestone).
-- An account that became a customer before the first day of the event history cannot show its
-- onboarding: started_in_event_history is false, and milestone_retention leaves it out.
CREATE OR REPLACE TABLE marts.onboarding_milestones AS
WITH milestones AS (
    SELECT
        milestone,
        milestone_number,
        CASE
            WHEN milestone = 'any_event' THEN 'any_event'
            WHEN starts_with(milestone, 'active_users:') THEN 'active_users'
            ELSE 'event'
        END AS kind,
        TRY_CAST(split_part(milestone, ':', 2) AS BIGINT) AS users
    FROM unnest(CAST($milestones AS VARCHAR[])) WITH ORDINALITY AS m(milestone, milestone_number)
),
events AS (
    SELECT account_id, contact_id, event_name, day
    FROM marts.usage_daily
    WHERE account_id IS NOT NULL
),
first_by_name AS (
    SELECT account_id, event_name, min(day) AS reached_on FROM events GROUP BY ALL
),
first_any AS (
    SELECT account_id, min(day) AS reached_on FROM events GROUP BY ALL
),
user_firsts AS (
    SELECT
        account_id,
        first_day,
        row_number() OVER (PARTITION BY account_id ORDER BY first_day, contact_id) AS nth
    FROM (
        SELECT account_id, contact_id, min(day) AS first_day
        FROM events
        WHERE contact_id IS NOT NULL
        GROUP BY ALL
    )
),
history AS (
    SELECT min(day) AS first_event_day FROM events
),
accounts AS (
    SELECT account_id, min(customer_since) AS customer_since
    FROM marts.customer_spells
    GROUP BY account_id
),
-- The day each account reached each milestone, by the milestone's kind. Each kind is joined on
-- its own keys (a join whose condition tests the milestone's kind is a nested loop over every
-- account and milestone: minutes at scale).
reached_on AS (
    SELECT m.milestone_number, fa.account_id, fa.reached_on
    FROM milestones AS m
    JOIN first_any AS fa ON m.kind = 'any_event'
    UNION ALL
    SELECT m.milestone_number, fn.account_id, fn.reached_on
    FROM milestones AS m
    JOIN first_by_name AS fn ON fn.event_name = m.milestone
    WHERE m.kind = 'event'
    UNION ALL
    SELECT m.milestone_number, uf.account_id, uf.first_day
    FROM milestones AS m
    JOIN user_firsts AS uf ON uf.nth = m.users
    WHERE m.kind = 'active_users'
),
reached AS (
    SELECT
        a.account_id,
        a.customer_since,
        m.milestone,
        m.milestone_number,
        m.milestone = $value_milestone AS is_value_milestone,
        r.reached_on,
        coalesce(a.customer_since >= h.first_event_day, false) AS started_in_event_history
    FROM accounts AS a
    CROSS JOIN milestones AS m
    CROSS JOIN history AS h
    LEFT JOIN reached_on AS r
        ON r.account_id = a.account_id AND r.milestone_number = m.milestone_number
)
SELECT
    account_id,
    customer_since,
    milestone,
    milestone_number,
    is_value_milestone,
    reached_on,
    reached_on - customer_since AS days_to_reach,
    coalesce(reached_on - customer_since <= $onboarding_window_days, false) AS reached_early,
    started_in_event_history
FROM reached
ORDER BY account_id, milestone_number;
