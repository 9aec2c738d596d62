-- Closed-loop work list: every detractor answer (score 0-6) submitted in the 90 days up to and
-- including the as-of date, with who answered, what they said, what their account is worth and
-- how many of its support tickets are still open (status new, open or pending).
-- followup_rank is the order to work the list in: biggest ARR first (accounts without ARR last),
-- then the newest answer first, because revenue at risk and fresh memories matter most.
-- The account is the response's own, else the respondent contact's account; influence level is
-- the respondent's, from marts.contact_segments ('unknown' without a contact).
CREATE OR REPLACE TABLE marts.detractor_followup AS
WITH rules AS (
    SELECT 90 AS window_days
),
detractors AS (
    SELECT
        r.response_id,
        r.submitted_at,
        local_day(r.submitted_at, $timezone) AS submitted_on,
        coalesce(r.account_id, c.account_id) AS account_id,
        r.contact_id,
        r.touchpoint,
        r.score,
        r.comment
    FROM staging.resolved_nps_responses AS r
    LEFT JOIN staging.contacts AS c ON c.contact_id = r.contact_id, rules
    WHERE nps_category(r.score) = 'detractor'
      AND local_day(r.submitted_at, $timezone) <= $as_of
      AND local_day(r.submitted_at, $timezone) > CAST($as_of AS DATE) - rules.window_days
),
open_tickets AS (
    SELECT account_id, count(*) AS open_tickets
    FROM staging.resolved_tickets
    WHERE status IN ('new', 'open', 'pending')
      AND local_day(created_at, $timezone) <= $as_of
    GROUP BY account_id
)
SELECT
    row_number() OVER (
        ORDER BY a.arr DESC NULLS LAST, d.submitted_at DESC, d.response_id
    ) AS followup_rank,
    d.response_id,
    d.submitted_on,
    d.account_id,
    a.name AS account_name,
    a.region,
    CASE WHEN a.account_id IS NULL THEN 'unknown'
         ELSE revenue_tier(a.arr, $mid_market_from, $enterprise_from) END AS revenue_tier,
    a.arr,
    d.contact_id,
    coalesce(cs.influence_level, 'unknown') AS influence_level,
    d.touchpoint,
    d.score,
    d.comment,
    coalesce(t.open_tickets, 0) AS open_tickets
FROM detractors AS d
LEFT JOIN staging.accounts AS a ON a.account_id = d.account_id
LEFT JOIN marts.contact_segments AS cs ON cs.contact_id = d.contact_id
LEFT JOIN open_tickets AS t ON t.account_id = d.account_id
ORDER BY followup_rank;
