-- The building block of CSAT, CES and product-market fit: every survey answer (surveys.
-- survey_answers) up to the as-of date with the segments of whoever gave it, each taken when
-- the answer was given, by the same rules as marts.nps_answers:
--   account          the answer's own account, else the respondent contact's
--   region, industry the account's, from the CRM
--   revenue_tier     revenue_tier() of the account's ARR on the answer day = 12 x MRR of its
--                    subscriptions active that day; today's CRM ARR when none was active
--   tenure_band      tenure_band() of the whole months from the first subscription start
--   influence_level  the respondent contact's (marts.contact_segments)
-- Anything unknown is 'unknown', never dropped. Scores and choices were checked against their
-- question type's scale on the way in (quarantine rules range:score, required:choice).
CREATE OR REPLACE TABLE marts.survey_answer_segments AS
WITH subscriptions AS (
    SELECT * FROM marts.subscription_days
),
customer_since AS (
    SELECT account_id, min(start_day) AS customer_since
    FROM subscriptions
    GROUP BY account_id
),
answers AS (
    SELECT
        r.answer_id,
        r.response_id,
        r.contact_id,
        coalesce(r.account_id, c.account_id) AS account_id,
        local_day(r.submitted_at, $timezone) AS submitted_day,
        local_month(r.submitted_at, $timezone) AS month,
        r.touchpoint,
        r.question_id,
        r.question_type,
        r.score,
        r.choice
    FROM staging.resolved_survey_answers AS r
    LEFT JOIN staging.contacts AS c ON c.contact_id = r.contact_id
    WHERE local_day(r.submitted_at, $timezone) <= $as_of
),
arr_on_answer_day AS (
    SELECT n.answer_id, 12 * sum(s.mrr) AS arr
    FROM answers AS n
    JOIN subscriptions AS s
      ON s.account_id = n.account_id AND active_on(s.start_day, s.end_day, n.submitted_day)
    GROUP BY n.answer_id
)
SELECT
    n.answer_id,
    n.response_id,
    n.submitted_day,
    n.month,
    n.contact_id,
    n.account_id,
    n.question_id,
    n.question_type,
    n.score,
    n.choice,
    coalesce(n.touchpoint, 'unknown') AS touchpoint,
    coalesce(a.region, 'unknown') AS region,
    coalesce(a.industry, 'unknown') AS industry,
    CASE WHEN a.account_id IS NULL THEN 'unknown'
         ELSE revenue_tier(coalesce(x.arr, a.arr), $mid_market_from, $enterprise_from)
    END AS revenue_tier,
    tenure_band(whole_months(s.customer_since, n.submitted_day)) AS tenure_band,
    coalesce(cs.influence_level, 'unknown') AS influence_level
FROM answers AS n
LEFT JOIN staging.accounts AS a ON a.account_id = n.account_id
LEFT JOIN customer_since AS s ON s.account_id = n.account_id
LEFT JOIN arr_on_answer_day AS x ON x.answer_id = n.answer_id
LEFT JOIN marts.contact_segments AS cs ON cs.contact_id = n.contact_id
ORDER BY n.answer_id;
