-- NPS per calendar quarter in the reporting timezone, by the same rules as marts.nps_by_month:
-- every response counts in the quarter it was submitted; a quarter without responses has a row
-- with 0 responses and a null NPS; the latest quarter runs up to the as-of date. The change from
-- the previous quarter is tested with a two-sample z-test on NPS (nps_difference_p_value in
-- rules.sql), null for the first quarter and whenever either quarter has no responses.
CREATE OR REPLACE TABLE marts.nps_by_quarter AS
WITH counts AS (
    -- A quarter's answers are its three months' answers (marts.nps_by_month), which also gives
    -- every quarter from the first answer to the as-of date a row, empty ones included.
    SELECT
        CAST(date_trunc('quarter', month) AS DATE) AS quarter,
        CAST(sum(responses) AS BIGINT) AS responses,
        CAST(sum(promoters) AS BIGINT) AS promoters,
        CAST(sum(passives) AS BIGINT) AS passives,
        CAST(sum(detractors) AS BIGINT) AS detractors
    FROM marts.nps_by_month
    GROUP BY ALL
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
