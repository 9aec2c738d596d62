-- Each segment against the company as a whole, and against the seed targets.
--
-- NPS: answers in the trailing 12 months (the 12 calendar months that end with the as-of date's
-- month, as in marts.benchmarks) from marts.nps_answers (the one answers rule): the account's
-- region, industry and revenue tier (as of the as-of date), its tenure band when the answer was
-- given, and the respondent's influence level; 'unknown' without a known account or contact.
-- nps_gap = segment NPS - company NPS. Whether the gap is real is tested by the two-sample z-test
-- between the segment and the REST of the company (the segment is part of the company, so it is
-- not tested against itself): nps_difference_p_value in rules.sql (adjusted Wald form, like the
-- interval nps_low_95..nps_high_95), significant when p < 0.05.
--
-- Logo churn (region, industry and revenue tier): marts.churn_by_segment (the churn_by_month
-- rule per segment: customers at the start of a month = accounts active on the day before it;
-- lost = of those, not active on its last day; revenue tier from 12 x MRR at the month's start),
-- pooled over the latest 12 complete months of marts.churn_by_month: 100 x accounts lost /
-- customer-months. The company figure is the same pooled rate of marts.churn_by_month.
--
-- Targets are the seed targets in raw.industry_benchmarks (kind 'target'): NPS >= 70, monthly
-- churn <= 5%.
CREATE OR REPLACE TABLE marts.segment_benchmarks AS
WITH enriched AS (
    SELECT * FROM marts.nps_answers WHERE month >= trailing_12_months_start($as_of)
),
nps_long AS (
    SELECT 'region' AS segment_type, region AS segment, category FROM enriched
    UNION ALL SELECT 'industry', industry, category FROM enriched
    UNION ALL SELECT 'revenue_tier', revenue_tier, category FROM enriched
    UNION ALL SELECT 'tenure_band', tenure_band, category FROM enriched
    UNION ALL SELECT 'influence_level', influence_level, category FROM enriched
),
nps_cells AS (
    SELECT
        segment_type,
        segment,
        count(*) AS responses,
        count(*) FILTER (WHERE category = 'promoter') AS promoters,
        count(*) FILTER (WHERE category = 'detractor') AS detractors
    FROM nps_long
    GROUP BY segment_type, segment
),
company_nps AS (
    SELECT
        count(*) AS responses,
        count(*) FILTER (WHERE category = 'promoter') AS promoters,
        count(*) FILTER (WHERE category = 'detractor') AS detractors
    FROM enriched
),
churn_months AS (
    SELECT month, customers_at_start, customers_lost
    FROM marts.churn_by_month
    WHERE month > (SELECT max(month) FROM marts.churn_by_month) - INTERVAL 12 MONTH
),
churn_cells AS (
    SELECT
        segment_type,
        segment,
        sum(customers_at_start) AS customer_months,
        sum(customers_lost) AS customers_lost
    FROM marts.churn_by_segment
    WHERE month IN (SELECT month FROM churn_months)
      AND segment_type IN ('region', 'industry', 'revenue_tier')
    GROUP BY segment_type, segment
),
company_churn AS (
    SELECT 100.0 * sum(customers_lost) / nullif(sum(customers_at_start), 0) AS churn_pct
    FROM churn_months
),
targets AS (
    SELECT
        max(value) FILTER (WHERE metric = 'nps') AS nps_target,
        max(value) FILTER (WHERE metric = 'monthly_logo_churn_pct') AS churn_target_pct
    FROM raw.industry_benchmarks
    WHERE kind = 'target' AND industry = 'all'
),
segments AS (
    SELECT segment_type, segment FROM nps_cells
    UNION
    SELECT segment_type, segment FROM churn_cells
),
cells AS (
    SELECT
        g.segment_type,
        g.segment,
        coalesce(n.responses, 0) AS responses,
        coalesce(n.promoters, 0) AS promoters,
        coalesce(n.detractors, 0) AS detractors,
        g.segment_type IN ('region', 'industry', 'revenue_tier') AS has_churn,
        coalesce(c.customer_months, 0) AS customer_months,
        coalesce(c.customers_lost, 0) AS customers_lost
    FROM segments AS g
    LEFT JOIN nps_cells AS n USING (segment_type, segment)
    LEFT JOIN churn_cells AS c USING (segment_type, segment)
),
compared AS (
    SELECT
        cells.segment_type,
        cells.segment,
        cells.responses,
        nps(cells.promoters, cells.detractors, cells.responses) AS nps,
        nps_moe_95(cells.promoters, cells.detractors, cells.responses) AS nps_moe_95,
        nps_low_95(cells.promoters, cells.detractors, cells.responses) AS nps_low_95,
        nps_high_95(cells.promoters, cells.detractors, cells.responses) AS nps_high_95,
        cells.responses < $low_sample AS low_sample,
        co.responses AS company_responses,
        nps(co.promoters, co.detractors, co.responses) AS company_nps,
        nps_difference_p_value(
            cells.promoters, cells.detractors, cells.responses,
            co.promoters - cells.promoters, co.detractors - cells.detractors,
            co.responses - cells.responses
        ) AS nps_gap_p_value,
        CASE WHEN cells.has_churn THEN cells.customer_months END AS customer_months,
        CASE WHEN cells.has_churn THEN cells.customers_lost END AS customers_lost,
        CASE WHEN cells.has_churn AND cells.customer_months > 0
             THEN 100.0 * cells.customers_lost / cells.customer_months END AS churn_rate_pct,
        CASE WHEN cells.has_churn THEN cc.churn_pct END AS company_churn_pct
    FROM cells, company_nps AS co, company_churn AS cc
)
SELECT
    c.segment_type,
    c.segment,
    c.responses,
    c.nps,
    c.nps_moe_95,
    c.nps_low_95,
    c.nps_high_95,
    CASE WHEN c.nps IS NOT NULL THEN rank() OVER (
        PARTITION BY c.segment_type ORDER BY c.nps DESC NULLS LAST
    ) END AS nps_rank,
    c.low_sample,
    c.company_responses,
    c.company_nps,
    c.nps - c.company_nps AS nps_gap,
    c.nps_gap_p_value,
    c.nps_gap_p_value < significance_level() AS gap_significant,
    t.nps_target,
    c.nps >= t.nps_target AS meets_nps_target,
    c.customer_months,
    c.customers_lost,
    c.churn_rate_pct,
    c.company_churn_pct,
    c.churn_rate_pct - c.company_churn_pct AS churn_gap,
    t.churn_target_pct,
    c.churn_rate_pct <= t.churn_target_pct AS meets_churn_target
FROM compared AS c, targets AS t
ORDER BY segment_type, nps_rank NULLS LAST, segment;
