-- Own NPS and monthly logo churn against industry reference figures and the seed targets
-- (data/reference/industry_benchmarks.csv: every figure with its source and year).
-- Own NPS: responses in the 12 calendar months up to the as-of date, company-wide and per
-- account industry (an industry is compared only with a reference for the same industry).
-- Own churn: customers lost / customers at start, pooled over the latest 12 complete months,
-- compared with the all-industry and B2B references.
CREATE OR REPLACE TABLE marts.benchmarks AS
WITH responses AS (
    SELECT category, industry
    FROM marts.nps_answers
    WHERE month >= trailing_12_months_start($as_of)
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
        'responses, 12 months to ' || CAST($as_of AS DATE) AS own_basis
    FROM nps_counts
    WHERE company_wide OR scope <> 'all'
    UNION ALL
    SELECT
        'monthly_logo_churn_pct',
        'all',
        100.0 * sum(customers_lost) / nullif(sum(customers_at_start), 0),
        sum(customers_at_start),
        'customer-months, ' || count(*) || ' complete months to ' || max(month + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE
    FROM churn_window
)
SELECT
    own.metric,
    own.scope,
    own.own_value,
    own.own_sample,
    own.own_basis,
    ref.kind AS comparison,
    ref.industry AS reference_scope,
    ref.statistic AS reference_statistic,
    ref.value AS reference_value,
    own.own_value - ref.value AS gap,
    CASE WHEN ref.higher_is_better THEN own.own_value >= ref.value
         ELSE own.own_value <= ref.value END AS meets_reference,
    ref.source AS reference_source,
    ref.year AS reference_year,
    ref.notes AS reference_notes
FROM own
JOIN raw.industry_benchmarks AS ref
  ON ref.metric = own.metric
 AND (ref.industry = own.scope
      OR (own.scope = 'all' AND own.metric = 'monthly_logo_churn_pct' AND ref.industry = 'B2B'))
ORDER BY own.metric, own.scope = 'all' DESC, own.scope, ref.kind, ref.industry, ref.statistic;
