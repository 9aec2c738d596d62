-- Closed loop, one row per follow-up opened up to the as-of date (staging.resolved_followups):
--   answer          the NPS answer followed up: the follow-up's own response_id, else the latest
--                   answer of its contact submitted up to its opening (linked_by says which);
--                   score and category from marts.nps_answers (the one answers rule)
--   started_at      when the clock starts: the answer's submission, else the follow-up's
--                   opening when no answer is linked; month is its calendar month (reporting
--                   timezone), the month closed_loop_by_month counts it in
--   as of           a first contact or a closing after the as-of date has not happened yet
--   reached         the person was first reached (first_contact_at); reached_in_time: within
--                   $followup_reach_days x 24 hours of started_at (reached_within(), rules.sql)
--   hours           calendar hours from the follow-up's opening to its first contact and to its
--                   closing, and from started_at (the answer) to the first contact
--   next answer     the respondent's first NPS answer after the one followed up, up to the as-of
--                   date; band_improved: its band is better (nps_band_improved(), rules.sql:
--                   detractor < passive < promoter); score_change in points; null without one
--   account stayed  the account is a customer (marts.customer_spells, the rule of churn) on
--                   retention_day, $followup_retention_days after the day of started_at; null
--                   when retention_day is after the as-of date, or the account was no customer
--                   on the day of started_at
CREATE OR REPLACE TABLE marts.followup_outcomes AS
WITH followups AS (
    SELECT
        f.followup_id,
        f.response_id AS own_response_id,
        f.contact_id,
        f.account_id,
        f.owner,
        f.outcome,
        f.root_cause,
        f.created_at,
        CASE WHEN local_day(f.first_contact_at, $timezone) <= $as_of
             THEN f.first_contact_at END AS first_contact_at,
        CASE WHEN local_day(f.closed_at, $timezone) <= $as_of THEN f.closed_at END AS closed_at
    FROM staging.resolved_followups AS f
    WHERE local_day(f.created_at, $timezone) <= $as_of
),
linked AS (
    -- The contact's latest answer up to the opening, for a follow-up that names none.
    SELECT f.*, latest.response_id AS latest_response_id
    FROM followups AS f
    ASOF LEFT JOIN marts.nps_answers AS latest
        ON latest.contact_id = f.contact_id AND latest.submitted_at <= f.created_at
),
answered AS (
    SELECT
        l.*,
        coalesce(l.own_response_id, l.latest_response_id) AS response_id,
        CASE WHEN l.own_response_id IS NOT NULL THEN 'response_id'
             WHEN l.latest_response_id IS NOT NULL THEN 'contact' END AS linked_by,
        a.contact_id AS respondent_id,
        a.account_id AS answer_account_id,
        a.submitted_at AS answered_at,
        a.score AS answer_score,
        a.category AS answer_category,
        coalesce(a.submitted_at, l.created_at) AS started_at
    FROM linked AS l
    LEFT JOIN marts.nps_answers AS a
        ON a.response_id = coalesce(l.own_response_id, l.latest_response_id)
),
with_next AS (
    SELECT
        a.*,
        nxt.response_id AS next_response_id,
        nxt.score AS next_score,
        nxt.category AS next_category
    FROM answered AS a
    ASOF LEFT JOIN marts.nps_answers AS nxt
        ON nxt.contact_id = a.respondent_id AND nxt.submitted_at > a.answered_at
),
dated AS (
    SELECT
        *,
        coalesce(account_id, answer_account_id) AS followed_account_id,
        local_day(started_at, $timezone) AS started_day,
        local_day(started_at, $timezone) + CAST($followup_retention_days AS INTEGER)
            AS retention_day
    FROM with_next
)
SELECT
    d.followup_id,
    d.response_id,
    d.linked_by,
    d.contact_id,
    d.followed_account_id AS account_id,
    d.owner,
    d.outcome,
    d.root_cause,
    d.created_at,
    d.first_contact_at,
    d.closed_at,
    d.answered_at,
    d.answer_score,
    d.answer_category,
    d.started_at,
    local_month(d.started_at, $timezone) AS month,
    d.first_contact_at IS NOT NULL AS reached,
    reached_within(d.started_at, d.first_contact_at, $followup_reach_days) AS reached_in_time,
    d.closed_at IS NOT NULL AS closed,
    round((epoch(d.first_contact_at) - epoch(d.created_at)) / 3600.0, 2)
        AS hours_to_first_contact,
    round((epoch(d.closed_at) - epoch(d.created_at)) / 3600.0, 2) AS hours_to_close,
    round((epoch(d.first_contact_at) - epoch(d.answered_at)) / 3600.0, 2)
        AS hours_from_answer_to_first_contact,
    d.next_response_id,
    d.next_score,
    d.next_category,
    d.next_score - d.answer_score AS score_change,
    nps_band_improved(d.answer_score, d.next_score) AS band_improved,
    d.retention_day,
    CASE
        WHEN d.followed_account_id IS NULL OR d.retention_day > $as_of THEN NULL
        WHEN NOT EXISTS (
            SELECT 1 FROM marts.customer_spells AS sp
            WHERE sp.account_id = d.followed_account_id
              AND active_on(sp.spell_start, sp.spell_end, d.started_day)
        ) THEN NULL
        ELSE EXISTS (
            SELECT 1 FROM marts.customer_spells AS sp
            WHERE sp.account_id = d.followed_account_id
              AND active_on(sp.spell_start, sp.spell_end, d.retention_day)
        )
    END AS account_stayed
FROM dated AS d
ORDER BY d.followup_id;
