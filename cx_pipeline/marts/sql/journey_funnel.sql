-- The journey funnel: how many contacts reach each step, in order, and where they drop off.
--
-- Steps are product event names in the order of the funnel setting (CX_FUNNEL_STEPS, default
-- signup -> onboarding_completed -> first_report_created -> report_created). A contact
-- reaches step 1 with its first event of step 1, and step k when it has an event of step k at
-- or after the moment it reached step k-1 (a different event, so a step repeated in the
-- funnel needs a second event). Events after the as-of date are ignored.
--
-- Rows per dimension: 'all' (segment 'all'), 'cohort_month' (calendar month, in the reporting
-- timezone, when the contact reached step 1, as 'YYYY-MM'), 'region' and 'revenue_tier' (of
-- the contact's account in marts.account_segments; 'unknown' when it has none). Every step
-- has a row in every segment, with 0 contacts when nobody got there.
--   conversion_from_previous_pct   contacts / contacts at the previous step x 100 (null for
--                                  step 1, or when nobody reached the previous step)
--   conversion_from_first_pct      contacts / contacts at step 1 x 100
--   drop_off                       contacts at the previous step - contacts (null for step 1)
CREATE OR REPLACE TABLE marts.journey_funnel AS
WITH RECURSIVE steps AS (
    SELECT step, step_number
    FROM unnest(CAST($funnel_steps AS VARCHAR[])) WITH ORDINALITY AS s(step, step_number)
),
step_events AS (
    SELECT e.event_id, e.contact_id, e.account_id, e.event_name, e.occurred_at
    FROM staging.resolved_events AS e
    WHERE e.contact_id IS NOT NULL
      AND e.event_name IN (SELECT step FROM steps)
      AND local_day(e.occurred_at, $timezone) <= $as_of
),
reached (contact_id, step_number, reached_at, event_id) AS (
    SELECT
        e.contact_id,
        1,
        min(e.occurred_at),
        arg_min(e.event_id, (e.occurred_at, e.event_id))
    FROM step_events AS e
    JOIN steps AS s ON s.step_number = 1 AND s.step = e.event_name
    GROUP BY e.contact_id
    UNION ALL
    SELECT
        r.contact_id,
        r.step_number + 1,
        min(e.occurred_at),
        arg_min(e.event_id, (e.occurred_at, e.event_id))
    FROM reached AS r
    JOIN steps AS s ON s.step_number = r.step_number + 1
    JOIN step_events AS e
        ON e.contact_id = r.contact_id
       AND e.event_name = s.step
       AND e.occurred_at >= r.reached_at
       AND e.event_id <> r.event_id
    GROUP BY r.contact_id, r.step_number
),
funnel_contacts AS (
    SELECT
        r.contact_id,
        max(r.step_number) AS last_step,
        strftime(local_month(min(r.reached_at), $timezone), '%Y-%m') AS cohort_month
    FROM reached AS r
    GROUP BY r.contact_id
),
first_step_accounts AS (
    SELECT contact_id, arg_min(account_id, (occurred_at, event_id)) AS account_id
    FROM step_events
    WHERE event_name = (SELECT step FROM steps WHERE step_number = 1)
    GROUP BY contact_id
),
contact_segments AS (
    SELECT
        f.contact_id,
        f.last_step,
        f.cohort_month,
        coalesce(a.region, 'unknown') AS region,
        coalesce(a.revenue_tier, 'unknown') AS revenue_tier
    FROM funnel_contacts AS f
    LEFT JOIN staging.contacts AS c ON c.contact_id = f.contact_id
    LEFT JOIN first_step_accounts AS e ON e.contact_id = f.contact_id
    LEFT JOIN marts.account_segments AS a ON a.account_id = coalesce(c.account_id, e.account_id)
),
members AS (
    SELECT 'all' AS dimension, 'all' AS segment, last_step FROM contact_segments
    UNION ALL
    SELECT 'cohort_month', cohort_month, last_step FROM contact_segments
    UNION ALL
    SELECT 'region', region, last_step FROM contact_segments
    UNION ALL
    SELECT 'revenue_tier', revenue_tier, last_step FROM contact_segments
),
counts AS (
    SELECT
        m.dimension,
        m.segment,
        s.step_number,
        s.step,
        count(*) FILTER (WHERE m.last_step >= s.step_number) AS contacts
    FROM members AS m
    CROSS JOIN steps AS s
    GROUP BY m.dimension, m.segment, s.step_number, s.step
),
with_previous AS (
    SELECT
        *,
        lag(contacts) OVER (PARTITION BY dimension, segment ORDER BY step_number)
            AS previous_contacts,
        first_value(contacts) OVER (PARTITION BY dimension, segment ORDER BY step_number)
            AS first_contacts
    FROM counts
)
SELECT
    dimension,
    segment,
    step_number,
    step,
    contacts,
    100.0 * contacts / nullif(previous_contacts, 0) AS conversion_from_previous_pct,
    100.0 * contacts / nullif(first_contacts, 0) AS conversion_from_first_pct,
    previous_contacts - contacts AS drop_off
FROM with_previous
ORDER BY
    CASE dimension WHEN 'all' THEN 0 WHEN 'cohort_month' THEN 1 WHEN 'region' THEN 2 ELSE 3 END,
    segment,
    step_number;
