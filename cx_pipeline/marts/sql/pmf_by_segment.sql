-- Product-market fit by segment: the Sean Ellis question ("How would you feel if you could no
-- longer use the product?") over every pmf answer up to the as-of date in
-- marts.survey_answer_segments, each with the segments of the answer when it was given.
--   very_disappointed_pct  very disappointed / answers x 100, with its 95% interval by the
--                          adjusted Wald method (share_low_95, share_high_95)
--   benchmark_pct          pmf_benchmark_pct(): 40% very disappointed (source in rules.sql)
--   verdict                'above' when the whole interval is at or over the benchmark,
--                          'below' when it is all under it, else 'inconclusive'
-- segment_type 'all' (segment 'all') is every answer. Each answer counts (response level).
CREATE OR REPLACE TABLE marts.pmf_by_segment AS
WITH answers AS (
    SELECT * FROM marts.survey_answer_segments WHERE question_type = 'pmf'
),
long AS (
    SELECT 'all' AS segment_type, 'all' AS segment, choice FROM answers
    UNION ALL SELECT 'region', region, choice FROM answers
    UNION ALL SELECT 'industry', industry, choice FROM answers
    UNION ALL SELECT 'revenue_tier', revenue_tier, choice FROM answers
    UNION ALL SELECT 'tenure_band', tenure_band, choice FROM answers
    UNION ALL SELECT 'touchpoint', touchpoint, choice FROM answers
    UNION ALL SELECT 'influence_level', influence_level, choice FROM answers
),
counts AS (
    SELECT
        segment_type,
        segment,
        count(choice) AS answers,
        count(*) FILTER (WHERE choice = 'very_disappointed') AS very_disappointed,
        count(*) FILTER (WHERE choice = 'somewhat_disappointed') AS somewhat_disappointed,
        count(*) FILTER (WHERE choice = 'not_disappointed') AS not_disappointed
    FROM long
    GROUP BY segment_type, segment
),
shares AS (
    SELECT
        *,
        100.0 * very_disappointed / answers AS very_disappointed_pct,
        share_low_95(very_disappointed, answers) AS very_disappointed_low_95,
        share_high_95(very_disappointed, answers) AS very_disappointed_high_95,
        pmf_benchmark_pct() AS benchmark_pct
    FROM counts
)
SELECT
    segment_type,
    segment,
    answers,
    very_disappointed,
    somewhat_disappointed,
    not_disappointed,
    very_disappointed_pct,
    very_disappointed_low_95,
    very_disappointed_high_95,
    benchmark_pct,
    CASE
        WHEN very_disappointed_low_95 >= benchmark_pct THEN 'above'
        WHEN very_disappointed_high_95 < benchmark_pct THEN 'below'
        ELSE 'inconclusive'
    END AS verdict,
    answers < $low_sample AS low_sample
FROM shares
ORDER BY segment_type, segment;
