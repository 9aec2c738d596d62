-- CES by calendar month and segment, and over all months (month null), from the ces answers
-- of marts.survey_answer_segments (1-7 scale, 7 = strongly agree it was easy).
--   mean_ces     the mean answer, with its 95% interval mean +/- t_975(n - 1) x s / sqrt(n)
--                (s the sample standard deviation); no interval below 2 answers
--   easy_pct     answers of 5-7 (ces_easy()) / answers x 100, with its 95% interval by the
--                adjusted Wald method (share_low_95, share_high_95)
-- segment_type 'all' (segment 'all') is every answer; the other types are the segments of the
-- answer when it was given. A month or segment without ces answers has no row.
CREATE OR REPLACE TABLE marts.ces_by_segment AS
WITH answers AS (
    SELECT * FROM marts.survey_answer_segments WHERE question_type = 'ces'
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
        avg(score) AS mean_ces,
        stddev_samp(score) AS sd,
        count(*) FILTER (WHERE ces_easy(score)) AS easy
    FROM long
    GROUP BY GROUPING SETS ((month, segment_type, segment), (segment_type, segment))
)
SELECT
    month,
    segment_type,
    segment,
    answers,
    mean_ces,
    mean_ces - t_975(answers - 1) * sd / sqrt(answers) AS mean_ces_low_95,
    mean_ces + t_975(answers - 1) * sd / sqrt(answers) AS mean_ces_high_95,
    easy,
    100.0 * easy / answers AS easy_pct,
    share_low_95(easy, answers) AS easy_low_95,
    share_high_95(easy, answers) AS easy_high_95,
    answers < $low_sample AS low_sample
FROM counts
ORDER BY segment_type, segment, month NULLS FIRST;
