-- NPS per calendar quarter in the reporting timezone, by the same rules as marts.nps_by_month:
-- every response counts in the quarter it was submitted; a quarter without responses has a row
-- with 0 responses and a null NPS; the latest quarter runs up to the as-of date. The change from
-- the previous quarter is tested with a two-sample z-test on NPS (nps_difference_p_value in
-- rules.sql), null for the first quarter and whenever either quarter has no responses.
CREATE OR REPLACE TABLE marts.nps_by_quarter AS
WITH responses AS (
    SELECT
        local_quarter(submitted_at, $timezone) AS quarter,
        nps_category(score) AS category
    FROM staging.nps_responses
    WHERE local_day(submitted_at, $timezone) <= $as_of
),
quarters AS (
    SELECT CAST(unnest(generate_series(
        min(quarter),
        CAST(date_trunc('quarter', CAST($as_of AS DATE)) AS DATE),
        INTERVAL 3 MONTH
    )) AS DATE) AS quarter
    FROM responses
),
counts AS (
    SELECT
        quarters.quarter,
        count(responses.category) AS responses,
        count(*) FILTER (WHERE responses.category = 'promoter') AS promoters,
        count(*) FILTER (WHERE responses.category = 'passive') AS passives,
        count(*) FILTER (WHERE responses.category = 'detractor') AS detractors
    FROM quarters
    LEFT JOIN responses USING (quarter)
    GROUP BY quarters.quarter
),
with_previous AS (
    SELECT
        *,
        lag(responses) OVER (ORDER BY quarter) AS previous_responses,
        lag(promoters) OVER (ORDER BY quarter) AS previous_promoters,
        lag(detractors) OVER (ORDER BY quarter) AS previous_detractors
    FROM counts
),
changes AS (
    SELECT
        *,
        nps(promoters, detractors, responses)
            - nps(previous_promoters, previous_detractors, previous_responses) AS nps_change,
        nps_difference_p_value(
            promoters, detractors, responses,
            previous_promoters, previous_detractors, previous_responses
        ) AS nps_change_p_value
    FROM with_previous
)
SELECT
    quarter,
    responses,
    promoters,
    passives,
    detractors,
    nps(promoters, detractors, responses) AS nps,
    nps_moe_95(promoters, detractors, responses) AS nps_moe_95,
    responses < $low_sample AS low_sample,
    nps_change,
    nps_change_p_value,
    nps_change_p_value < significance_level() AS nps_change_significant
FROM changes
ORDER BY quarter;
