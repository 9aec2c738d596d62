-- The closed loop per calendar month of the detractor answers (reporting timezone): how many
-- detractors were followed up and reached, how many in time, how fast, and what came after.
--   detractors      every detractor answer (marts.nps_answers) of the month, up to the as-of date
--   followed up     a follow-up counts for the answer it is linked to (marts.followup_outcomes:
--                   its response_id, else its contact's latest answer); an answer is reached
--                   when any of its follow-ups reached the person, in time when the first
--                   contact came within CX_FOLLOWUP_REACH_DAYS of the answer
--   measured        answers whose reach window is over: submitted CX_FOLLOWUP_REACH_DAYS days or
--                   more before the as-of date; reached_in_time_pct is over these (an answer of
--                   yesterday is not yet late), with its adjusted Wald 95% bounds
--   hours           medians over the month's follow-ups of detractors: answer to first contact
--                   (reached ones), opening to first contact, opening to close (closed ones)
--   recovery        over followed-up detractors, apart for those reached and those not reached:
--                   with a next answer, and how many of those are in a better band; with their
--                   account measured (retention day passed), and how many of those stayed
--                   (marts.followup_outcomes: next answer and customer spells)
-- A month with no detractor answer has no row.
CREATE OR REPLACE TABLE marts.closed_loop_by_month AS
WITH detractors AS (
    SELECT response_id, month, submitted_at, submitted_day
    FROM marts.nps_answers
    WHERE category = 'detractor'
),
followups AS (
    SELECT * FROM marts.followup_outcomes WHERE answer_category = 'detractor'
),
per_answer AS (
    -- One row per detractor answer; what its follow-ups say about the answer (the next answer
    -- and the account's fate are the answer's, the same on each of its follow-ups).
    SELECT
        d.response_id,
        d.month,
        d.submitted_day + CAST($followup_reach_days AS INTEGER) <= $as_of AS measured,
        count(f.followup_id) > 0 AS followed_up,
        coalesce(bool_or(f.reached), false) AS reached,
        coalesce(bool_or(f.reached_in_time), false) AS reached_in_time,
        min(f.hours_from_answer_to_first_contact) AS hours_from_answer_to_first_contact,
        any_value(f.band_improved) AS band_improved,
        any_value(f.account_stayed) AS account_stayed
    FROM detractors AS d
    LEFT JOIN followups AS f ON f.response_id = d.response_id
    GROUP BY ALL
),
by_answer AS (
    SELECT
        month,
        count(*) AS detractors,
        count(*) FILTER (followed_up) AS followed_up,
        count(*) FILTER (reached) AS reached,
        count(*) FILTER (measured) AS measured,
        count(*) FILTER (measured AND reached_in_time) AS reached_in_time,
        median(hours_from_answer_to_first_contact) AS median_hours_from_answer_to_first_contact,
        count(band_improved) FILTER (reached) AS reached_with_next_answer,
        count(*) FILTER (reached AND band_improved) AS reached_improved,
        count(band_improved) FILTER (followed_up AND NOT reached)
            AS not_reached_with_next_answer,
        count(*) FILTER (followed_up AND NOT reached AND band_improved) AS not_reached_improved,
        count(account_stayed) FILTER (reached) AS reached_accounts_measured,
        count(*) FILTER (reached AND account_stayed) AS reached_accounts_stayed,
        count(account_stayed) FILTER (followed_up AND NOT reached)
            AS not_reached_accounts_measured,
        count(*) FILTER (followed_up AND NOT reached AND account_stayed)
            AS not_reached_accounts_stayed
    FROM per_answer
    GROUP BY month
),
by_followup AS (
    SELECT
        f.month,
        count(*) AS followups,
        count(*) FILTER (f.closed) AS closed_followups,
        median(f.hours_to_first_contact) AS median_hours_to_first_contact,
        median(f.hours_to_close) AS median_hours_to_close,
        count(*) FILTER (f.outcome = 'recovered') AS recovered_outcomes,
        count(*) FILTER (f.outcome = 'lost') AS lost_outcomes
    FROM followups AS f
    GROUP BY f.month
)
SELECT
    a.month,
    a.detractors,
    a.followed_up,
    a.reached,
    a.measured,
    a.reached_in_time,
    CASE WHEN a.measured > 0 THEN 100.0 * a.reached_in_time / a.measured END
        AS reached_in_time_pct,
    share_low_95(a.reached_in_time, a.measured) AS reached_in_time_low_95,
    share_high_95(a.reached_in_time, a.measured) AS reached_in_time_high_95,
    coalesce(f.followups, 0) AS followups,
    coalesce(f.closed_followups, 0) AS closed_followups,
    a.median_hours_from_answer_to_first_contact,
    f.median_hours_to_first_contact,
    f.median_hours_to_close,
    coalesce(f.recovered_outcomes, 0) AS recovered_outcomes,
    coalesce(f.lost_outcomes, 0) AS lost_outcomes,
    a.reached_with_next_answer,
    a.reached_improved,
    CASE WHEN a.reached_with_next_answer > 0
         THEN 100.0 * a.reached_improved / a.reached_with_next_answer END AS reached_improved_pct,
    a.not_reached_with_next_answer,
    a.not_reached_improved,
    CASE WHEN a.not_reached_with_next_answer > 0
         THEN 100.0 * a.not_reached_improved / a.not_reached_with_next_answer END
        AS not_reached_improved_pct,
    a.reached_accounts_measured,
    a.reached_accounts_stayed,
    CASE WHEN a.reached_accounts_measured > 0
         THEN 100.0 * a.reached_accounts_stayed / a.reached_accounts_measured END
        AS reached_stayed_pct,
    a.not_reached_accounts_measured,
    a.not_reached_accounts_stayed,
    CASE WHEN a.not_reached_accounts_measured > 0
         THEN 100.0 * a.not_reached_accounts_stayed / a.not_reached_accounts_measured END
        AS not_reached_stayed_pct
FROM by_answer AS a
LEFT JOIN by_followup AS f USING (month)
ORDER BY a.month;
