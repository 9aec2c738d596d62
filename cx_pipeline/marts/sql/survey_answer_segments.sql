-- The building block of CSAT, CES and product-market fit: every survey answer (surveys.
-- survey_answers) up to the as-of date with the segments of whoever gave it, by the same rules
-- as marts.nps_answers:
--   account          the answer's own account, else the respondent contact's
--   region, industry the account's, from the CRM
--   revenue_tier     the account's tier as of the as-of date (marts.account_revenue, the one
--                    revenue rule), so a tier is the same accounts here as in the NPS marts
--   tenure_band      spell_tenure_band() (rules.sql) on the answer day: whole months since the
--                    start of the account's spell running that day (marts.customer_spells);
--                    'not a customer' before the first subscription or in a gap
--   influence_level  influence_level() of the respondent's job title (rules.sql), from the CRM
-- Anything unknown is 'unknown', never dropped. Scores and choices were checked against their
-- question type's scale on the way in (quarantine rules range:score, required:choice).
CREATE OR REPLACE TABLE marts.survey_answer_segments AS
-- Each title's level once: the rule tries many patterns, and contacts share titles.
WITH title_levels AS (
    SELECT job_title, influence_level(job_title) AS influence_level
    FROM (SELECT DISTINCT job_title FROM staging.contacts)
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
        r.choice,
        c.contact_id IS NOT NULL AS contact_known,
        t.influence_level
    FROM staging.resolved_survey_answers AS r
    LEFT JOIN staging.contacts AS c ON c.contact_id = r.contact_id
    LEFT JOIN title_levels AS t ON t.job_title IS NOT DISTINCT FROM c.job_title
    WHERE local_day(r.submitted_at, $timezone) <= $as_of
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
         ELSE coalesce(r.revenue_tier, 'unknown')
    END AS revenue_tier,
    CASE WHEN a.account_id IS NULL THEN 'unknown'
         ELSE spell_tenure_band(sp.spell_start, n.submitted_day)
    END AS tenure_band,
    CASE WHEN n.contact_known THEN n.influence_level ELSE 'unknown' END
        AS influence_level
FROM answers AS n
LEFT JOIN staging.accounts AS a ON a.account_id = n.account_id
LEFT JOIN marts.account_revenue AS r ON r.account_id = n.account_id
LEFT JOIN marts.customer_spells AS sp
    ON sp.account_id = n.account_id
   AND active_on(sp.spell_start, sp.spell_end, n.submitted_day)
ORDER BY n.answer_id;
