-- NPS per calendar quarter in the reporting timezone, by the same rules as marts.nps_by_month:
-- every response counts in the quarter it was submitted; a quarter without responses has a row
-- with 0 responses and a null NPS; the latest quarter runs up to the as-of date. The 95%
-- interval is the adjusted Wald one (rules.sql). The change from the previous quarter is tested
-- with the two-sample z-test in the same adjusted form (nps_difference_p_value in rules.sql),
-- null for the first quarter and whenever either quarter has no responses; the quarter-over-
-- quarter tests of the table are one Holm family (holm_step in rules.sql), and significant means
-- the adjusted p-value is below significance_level().
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
),
holm_steps AS (
    -- The family of the Holm adjustment: every quarter-over-quarter test of this table.
    SELECT
        *,
        holm_step(
            nps_change_p_value,
            row_number() OVER (ORDER BY nps_change_p_value NULLS LAST, quarter),
            count(nps_change_p_value) OVER ()
        ) AS holm_step
    FROM changes
),
adjusted AS (
    SELECT
        *,
        CASE WHEN nps_change_p_value IS NOT NULL THEN
            max(holm_step) OVER (ORDER BY nps_change_p_value NULLS LAST)
        END AS nps_change_p_value_holm
    FROM holm_steps
)
SELECT
    quarter,
    responses,
    promoters,
    passives,
    detractors,
    nps(promoters, detractors, responses) AS nps,
    nps_moe_95(promoters, detractors, responses) AS nps_moe_95,
    nps_low_95(promoters, detractors, responses) AS nps_low_95,
    nps_high_95(promoters, detractors, responses) AS nps_high_95,
    responses < $low_sample AS low_sample,
    nps_change,
    nps_change_p_value,
    nps_change_p_value_holm,
    nps_change_p_value_holm < significance_level() AS nps_change_significant
FROM adjusted
ORDER BY quarter;
