-- CSAT by calendar month and segment, and over all months (month null), from the csat answers
-- of marts.survey_answer_segments (1-5 scale). CSAT = satisfied answers (4 or 5,
-- csat_satisfied()) / answers x 100, with its 95% interval by the adjusted Wald method
-- (share_low_95, share_high_95) and the mean score beside it. segment_type 'all' (segment
-- 'all') is every answer; the other types are the segments of the answer when it was given.
-- A month or segment without csat answers has no row.
CREATE OR REPLACE TABLE marts.csat_by_segment AS
WITH answers AS (
    SELECT * FROM marts.survey_answer_segments WHERE question_type = 'csat'
),
long AS (
    SELECT month, 'all' AS segment_type, 'all' AS segment, score FROM answers
    UNION ALL SELECT month, 'region', region, score FROM answers
    UNION ALL SELECT month, 'industry', industry, score FROM answers
    UNION ALL SELECT month, 'revenue_tier', revenue_tier, score FROM answers
    UNION ALL SELECT month, 'tenure_band', tenure_band, score FROM answers
    UNION ALL SELECT month, 'touchpoint', touchpoint, score FROM answers
    UNION ALL SELECT month, 'influence_level', influence_level, score FROM answers
),
counts AS (
    SELECT
        month,
        segment_type,
        segment,
        count(score) AS answers,
        count(*) FILTER (WHERE csat_satisfied(score)) AS satisfied,
        avg(score) AS mean_score
    FROM long
    GROUP BY GROUPING SETS ((month, segment_type, segment), (segment_type, segment))
)
SELECT
    month,
    segment_type,
    segment,
    answers,
    satisfied,
    100.0 * satisfied / answers AS csat_pct,
    share_low_95(satisfied, answers) AS csat_low_95,
    share_high_95(satisfied, answers) AS csat_high_95,
    mean_score,
    answers < $low_sample AS low_sample
FROM counts
ORDER BY segment_type, segment, month NULLS FIRST;
