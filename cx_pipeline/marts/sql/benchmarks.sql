-- Own NPS and monthly logo churn against industry reference figures and the seed targets
-- (data/reference/industry_benchmarks.csv: every figure with what it measures and its source;
-- docs/benchmarks.md).
-- Own NPS: responses in the 12 calendar months up to the as-of date, company-wide and per
-- account industry, of our survey type only: relationship NPS is the answers to relationship
-- surveys (touchpoint 'relationship'), transactional NPS the answers at the other touchpoints
-- (onboarding, support, renewal, in-app; an answer without one is neither), so a
-- relationship reference never meets a figure made mostly of answers given right after a
-- support ticket. Own churn: customers lost / customers at start, pooled over the latest 12
-- complete months, company-wide.
-- Which references a figure meets: the company-wide figures meet the cross-industry ones
-- (industry 'all') and those for the company's own industry ($own_industry); an account
-- industry meets the references for that industry.
-- Like for like: a reference is compared (comparable, gap, meets_reference) only when it
-- measures the same thing as ours:
--   audience     the reference's audience is ours ($own_audience, default B2B): 'mixed' or
--                another audience is not;
--   survey type  for NPS, the reference's survey type is ours ($own_survey_type, default
--                relationship);
--   subject      the reference rates companies of an industry; a figure for our customers IN
--                that industry (they rate us) is not the same subject, so per-industry rows are
--                kept for reading but never compared.
-- An unlike reference keeps its row, with comparable false, every reason in `comparability`,
-- and no gap. Targets are goals we set: always compared.
CREATE OR REPLACE TABLE marts.benchmarks AS
WITH responses AS (
    SELECT category, industry
    FROM marts.nps_answers
    WHERE month >= trailing_12_months_start($as_of)
      AND CASE $own_survey_type
              WHEN 'relationship' THEN touchpoint = 'relationship'
              WHEN 'transactional' THEN touchpoint NOT IN ('relationship', 'unknown')
              ELSE true
          END
),
nps_counts AS (
    SELECT
        GROUPING(industry) = 1 AS company_wide,
        coalesce(industry, 'all') AS scope,
        count(*) AS responses,
        count(*) FILTER (WHERE category = 'promoter') AS promoters,
        count(*) FILTER (WHERE category = 'detractor') AS detractors
    FROM responses
    GROUP BY GROUPING SETS ((), (industry))
),
churn_window AS (
    SELECT *
    FROM marts.churn_by_month
    WHERE month > (SELECT max(month) FROM marts.churn_by_month) - INTERVAL 12 MONTH
),
own AS (
    SELECT
        'nps' AS metric,
        scope,
        nps(promoters, detractors, responses) AS own_value,
        responses AS own_sample,
        $own_survey_type || ' responses, 12 months to ' || CAST($as_of AS DATE) AS own_basis,
        $own_survey_type AS own_survey_type
    FROM nps_counts
    WHERE company_wide OR scope <> 'all'
    UNION ALL
    SELECT
        'monthly_logo_churn_pct',
        'all',
        100.0 * sum(customers_lost) / nullif(sum(customers_at_start), 0),
        sum(customers_at_start),
        'customer-months, ' || count(*) || ' complete months to ' || max(month + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE,
        NULL
    FROM churn_window
),
paired AS (
    SELECT
        own.*,
        ref.* EXCLUDE (metric),
        -- Every way the reference differs from ours; '' when it is like for like.
        concat_ws('; ',
            CASE WHEN ref.audience IS DISTINCT FROM $own_audience
                 THEN 'audience: reference ' || coalesce(ref.audience, 'not stated')
                      || ', ours ' || $own_audience END,
            CASE WHEN own.metric = 'nps' AND ref.survey_type IS DISTINCT FROM own.own_survey_type
                 THEN 'survey: reference ' || coalesce(ref.survey_type, 'not stated')
                      || ' NPS, ours ' || own.own_survey_type || ' NPS' END,
            CASE WHEN own.scope <> 'all'
                 THEN 'subject: reference rates ' || ref.industry || ' companies, ours is our '
                      || own.scope || ' customers rating us' END
        ) AS differences
    FROM own
    JOIN raw.industry_benchmarks AS ref
      ON ref.metric = own.metric
     AND (ref.industry = own.scope OR (own.scope = 'all' AND ref.industry = $own_industry))
),
judged AS (
    SELECT
        *,
        kind = 'target' OR differences = '' AS comparable,
        CASE WHEN kind = 'target' THEN 'target: a goal we set, always compared'
             WHEN differences = '' THEN 'like for like: ' || $own_audience
                  || CASE WHEN metric = 'nps' THEN ' ' || own_survey_type || ' NPS'
                          ELSE ' churn' END
             ELSE 'not compared: ' || differences END AS comparability
    FROM paired
)
SELECT
    metric,
    scope,
    own_value,
    own_sample,
    own_basis,
    $own_audience AS own_audience,
    own_survey_type,
    kind AS comparison,
    industry AS reference_scope,
    statistic AS reference_statistic,
    value AS reference_value,
    audience AS reference_audience,
    survey_type AS reference_survey_type,
    region AS reference_region,
    sample_size AS reference_sample_size,
    sample_unit AS reference_sample_unit,
    comparable,
    comparability,
    CASE WHEN comparable THEN own_value - value END AS gap,
    CASE WHEN NOT comparable THEN NULL
         WHEN higher_is_better THEN own_value >= value
         ELSE own_value <= value END AS meets_reference,
    source AS reference_source,
    source_url AS reference_url,
    year AS reference_year,
    licence AS reference_licence,
    notes AS reference_notes
FROM judged
ORDER BY metric, scope = 'all' DESC, scope, comparable DESC, comparison, reference_scope,
    reference_audience, reference_statistic, reference_source;
