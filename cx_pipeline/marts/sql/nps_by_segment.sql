-- NPS by segment over all answers up to the as-of date: the account's region, industry and
-- revenue tier (as of the as-of date: one tier per account, the same accounts as in
-- marts.nps_by_account), its tenure band when the answer was given, the survey's touchpoint, and
-- the respondent's influence level, all from marts.nps_answers (the one answers rule; its SQL
-- states how each is taken). The 95% interval is the adjusted Wald one (rules.sql): its margin
-- and its bounds. Answers with no known account, touchpoint or contact count under 'unknown'.
CREATE OR REPLACE TABLE marts.nps_by_segment AS
WITH enriched AS (
    SELECT * FROM marts.nps_answers
),
long AS (
    SELECT 'region' AS segment_type, region AS segment, category FROM enriched
    UNION ALL SELECT 'industry', industry, category FROM enriched
    UNION ALL SELECT 'revenue_tier', revenue_tier, category FROM enriched
    UNION ALL SELECT 'tenure_band', tenure_band, category FROM enriched
    UNION ALL SELECT 'touchpoint', touchpoint, category FROM enriched
    UNION ALL SELECT 'influence_level', influence_level, category FROM enriched
),
counts AS (
    SELECT
        segment_type,
        segment,
        count(category) AS responses,
        count(*) FILTER (WHERE category = 'promoter') AS promoters,
        count(*) FILTER (WHERE category = 'passive') AS passives,
        count(*) FILTER (WHERE category = 'detractor') AS detractors
    FROM long
    GROUP BY segment_type, segment
)
SELECT
    segment_type,
    segment,
    responses,
    promoters,
    passives,
    detractors,
    nps(promoters, detractors, responses) AS nps,
    nps_moe_95(promoters, detractors, responses) AS nps_moe_95,
    nps_low_95(promoters, detractors, responses) AS nps_low_95,
    nps_high_95(promoters, detractors, responses) AS nps_high_95,
    responses < $low_sample AS low_sample
FROM counts
ORDER BY segment_type, segment;
