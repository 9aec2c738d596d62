-- Which onboarding milestones go with retention ("cornerstone moments", found from data): per
-- milestone of marts.onboarding_milestones, the retention of accounts that reached it early
-- (within CX_ONBOARDING_WINDOW_DAYS of customer_since) against those that did not.
-- The accounts measured: customer_since in the event history (started_in_event_history), at
-- least CX_ONBOARDING_RETENTION_DAYS (default 180) before the as-of date, and still a customer
-- at the end of the window (an account lost inside it had no full chance to reach a milestone,
-- and would make "not reached" look worse than it is).
-- Retained: a customer spell runs (active_on(), marts.customer_spells) on customer_since +
-- CX_ONBOARDING_RETENTION_DAYS. Each retention share has its 95% adjusted Wald interval
-- (share_low_95, share_high_95); the difference is tested by the two-proportion z-test
-- (share_difference_z); the table's tests are one family, adjusted by Holm (holm_step). A
-- cornerstone moment is a milestone whose early reach goes with higher retention at an adjusted
-- p-value below significance_level(). An association, not proof that the milestone causes it.
CREATE OR REPLACE TABLE marts.milestone_retention AS
WITH accounts AS (
    SELECT
        a.account_id,
        EXISTS (
            SELECT 1 FROM marts.customer_spells AS s
            WHERE s.account_id = a.account_id
              AND active_on(s.spell_start, s.spell_end,
                            CAST(a.customer_since + $onboarding_window_days AS DATE))
        ) AS active_after_window,
        EXISTS (
            SELECT 1 FROM marts.customer_spells AS s
            WHERE s.account_id = a.account_id
              AND active_on(s.spell_start, s.spell_end,
                            CAST(a.customer_since + $onboarding_retention_days AS DATE))
        ) AS retained
    FROM (
        SELECT account_id, min(customer_since) AS customer_since
        FROM marts.customer_spells
        GROUP BY account_id
    ) AS a
    WHERE a.customer_since + $onboarding_retention_days <= CAST($as_of AS DATE)
),
measured AS (
    SELECT o.*, a.retained
    FROM marts.onboarding_milestones AS o
    JOIN accounts AS a ON a.account_id = o.account_id
    WHERE a.active_after_window AND o.started_in_event_history
),
counts AS (
    SELECT
        milestone,
        milestone_number,
        count(*) AS accounts,
        count(*) FILTER (WHERE reached_early) AS reached,
        median(days_to_reach) FILTER (WHERE reached_early) AS median_days_to_reach,
        count(*) FILTER (WHERE reached_early AND retained) AS retained_reached,
        count(*) FILTER (WHERE NOT reached_early) AS not_reached,
        count(*) FILTER (WHERE NOT reached_early AND retained) AS retained_not_reached
    FROM measured
    GROUP BY milestone, milestone_number
),
tested AS (
    SELECT
        *,
        two_sided_p_value(share_difference_z(
            retained_reached, reached, retained_not_reached, not_reached
        )) AS p_value
    FROM counts
),
holm_steps AS (
    SELECT
        *,
        holm_step(
            p_value,
            row_number() OVER (ORDER BY p_value NULLS LAST, milestone_number),
            count(p_value) OVER ()
        ) AS holm_step
    FROM tested
),
adjusted AS (
    SELECT
        *,
        CASE WHEN p_value IS NOT NULL THEN
            max(holm_step) OVER (ORDER BY p_value NULLS LAST)
        END AS p_value_holm
    FROM holm_steps
)
SELECT
    milestone,
    milestone_number,
    accounts,
    reached,
    100.0 * reached / accounts AS reached_pct,
    median_days_to_reach,
    retained_reached,
    CASE WHEN reached > 0 THEN 100.0 * retained_reached / reached END AS retention_reached_pct,
    share_low_95(retained_reached, reached) AS retention_reached_low_95,
    share_high_95(retained_reached, reached) AS retention_reached_high_95,
    not_reached,
    retained_not_reached,
    CASE WHEN not_reached > 0 THEN 100.0 * retained_not_reached / not_reached END
        AS retention_not_reached_pct,
    share_low_95(retained_not_reached, not_reached) AS retention_not_reached_low_95,
    share_high_95(retained_not_reached, not_reached) AS retention_not_reached_high_95,
    CASE WHEN reached > 0 AND not_reached > 0 THEN
        100.0 * retained_reached / reached - 100.0 * retained_not_reached / not_reached
    END AS retention_lift_points,
    p_value,
    p_value_holm,
    coalesce(
        p_value_holm < significance_level()
        AND retained_reached * not_reached > retained_not_reached * reached,
        false
    ) AS cornerstone
FROM adjusted
ORDER BY milestone_number;
