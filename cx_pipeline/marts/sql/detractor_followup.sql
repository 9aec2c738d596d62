-- Closed-loop work list: every detractor answer (score 0-6) submitted in the 90 days up to and
-- including the as-of date, with who answered, what they said, what their account is worth and
-- how many of its support tickets are still open (status new, open or pending).
-- followup_rank is the order to work the list in: biggest ARR first (accounts without ARR last),
-- then the newest answer first, because revenue at risk and fresh memories matter most.
-- The answer with its account, the account's ARR and revenue tier, and the respondent's influence
-- level come from marts.nps_answers (the one answers rule); the comment from the response.
-- Who has been reached (the closed loop): the answer's follow-ups in marts.followup_outcomes
-- (linked by response_id, else by the contact's latest answer): how many, the latest opened
-- with its owner and outcome (arg_max_null: an open one has no outcome yet, not an older one's),
-- whether any reached the person, and whether in time (CX_FOLLOWUP_REACH_DAYS). Without the
-- followups extract ($has_followups false) these are null: not knowing is not nobody called.
CREATE OR REPLACE TABLE marts.detractor_followup AS
WITH rules AS (
    SELECT 90 AS window_days
),
detractors AS (
    SELECT n.*, r.comment
    FROM marts.nps_answers AS n
    JOIN staging.resolved_nps_responses AS r ON r.response_id = n.response_id, rules
    WHERE n.category = 'detractor'
      AND n.submitted_day > CAST($as_of AS DATE) - rules.window_days
),
open_tickets AS (
    SELECT account_id, count(*) AS open_tickets
    FROM staging.resolved_tickets
    WHERE is_open_status(status)
      AND local_day(created_at, $timezone) <= $as_of
    GROUP BY account_id
),
followups AS (
    SELECT
        response_id,
        count(*) AS followups,
        max(created_at) AS last_followup_at,
        arg_max_null(owner, (created_at, followup_id)) AS last_followup_owner,
        arg_max_null(outcome, (created_at, followup_id)) AS last_followup_outcome,
        bool_or(reached) AS reached,
        bool_or(reached_in_time) AS reached_in_time
    FROM marts.followup_outcomes
    WHERE response_id IS NOT NULL
    GROUP BY response_id
)
SELECT
    row_number() OVER (
        ORDER BY d.arr DESC NULLS LAST, d.submitted_at DESC, d.response_id
    ) AS followup_rank,
    d.response_id,
    d.submitted_day AS submitted_on,
    d.account_id,
    a.name AS account_name,
    a.region,
    d.revenue_tier,
    d.arr,
    d.contact_id,
    d.influence_level,
    d.touchpoint,
    d.score,
    d.comment,
    coalesce(t.open_tickets, 0) AS open_tickets,
    CASE WHEN $has_followups THEN coalesce(f.followups, 0) END AS followups,
    f.last_followup_at,
    f.last_followup_owner,
    f.last_followup_outcome,
    CASE WHEN $has_followups THEN coalesce(f.reached, false) END AS reached,
    CASE WHEN $has_followups THEN coalesce(f.reached_in_time, false) END AS reached_in_time
FROM detractors AS d
LEFT JOIN staging.accounts AS a ON a.account_id = d.account_id
LEFT JOIN open_tickets AS t ON t.account_id = d.account_id
LEFT JOIN followups AS f ON f.response_id = d.response_id
ORDER BY followup_rank;
