-- The answers rule, built once: every NPS answer up to the as-of date with its account, revenue
-- tier and influence level. Every NPS mart reads the answers here instead of re-deriving them.
--   account          the response's own account, else the respondent contact's
--   region, industry the account's, from the CRM
--   arr, revenue_tier the account's ARR and tier as of the as-of date (marts.account_revenue,
--                    the one revenue rule): one tier per account, so 'enterprise' is the same
--                    accounts in every NPS mart, the survey marts and marts.account_segments
--   tenure_band      spell_tenure_band() (rules.sql) on the answer day: the whole months from the
--                    start of the account's spell running that day (marts.customer_spells, the
--                    rule of churn_by_segment and mrr_movements) to it, how long the account had
--                    been a customer without a break; 'not a customer' for an answer given
--                    before the first subscription or in a gap between spells
--   influence_level  influence_level() of the respondent's job title (rules.sql), a contact
--                    attribute read from the CRM, so no NPS mart waits on product events
-- Anything unknown is 'unknown', never dropped.
CREATE OR REPLACE TABLE marts.nps_answers AS
-- Each title's level once: the rule tries many patterns, and contacts share titles.
WITH title_levels AS (
    SELECT job_title, influence_level(job_title) AS influence_level
    FROM (SELECT DISTINCT job_title FROM staging.contacts)
),
accounts AS (
    SELECT a.account_id, a.region, a.industry, r.arr, r.revenue_tier
    FROM staging.accounts AS a
    JOIN marts.account_revenue AS r USING (account_id)
),
answers AS (
    SELECT
        r.response_id,
        r.submitted_at,
        r.contact_id,
        coalesce(r.account_id, c.account_id) AS account_id,
        local_day(r.submitted_at, $timezone) AS submitted_day,
        local_month(r.submitted_at, $timezone) AS month,
        r.touchpoint,
        r.score,
        c.contact_id IS NOT NULL AS contact_known,
        t.influence_level
    FROM staging.resolved_nps_responses AS r
    LEFT JOIN staging.contacts AS c ON c.contact_id = r.contact_id
    LEFT JOIN title_levels AS t ON t.job_title IS NOT DISTINCT FROM c.job_title
    WHERE local_day(r.submitted_at, $timezone) <= $as_of
)
SELECT
    n.response_id,
    n.submitted_at,
    n.submitted_day,
    n.month,
    n.contact_id,
    n.account_id,
    n.score,
    nps_category(n.score) AS category,
    coalesce(n.touchpoint, 'unknown') AS touchpoint,
    coalesce(a.region, 'unknown') AS region,
    coalesce(a.industry, 'unknown') AS industry,
    a.arr,
    coalesce(a.revenue_tier, 'unknown') AS revenue_tier,
    CASE WHEN a.account_id IS NULL THEN 'unknown'
         ELSE spell_tenure_band(sp.spell_start, n.submitted_day)
    END AS tenure_band,
    CASE WHEN n.contact_known THEN n.influence_level ELSE 'unknown' END
        AS influence_level
FROM answers AS n
LEFT JOIN accounts AS a ON a.account_id = n.account_id
LEFT JOIN marts.customer_spells AS sp
    ON sp.account_id = n.account_id
   AND active_on(sp.spell_start, sp.spell_end, n.submitted_day)
ORDER BY n.response_id;
