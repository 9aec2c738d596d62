-- NPS per calendar month in the reporting timezone. Every response counts in the month it was
-- submitted (response-level NPS). A month without responses still has a row: 0 responses and a
-- null NPS. Bands, NPS and its 95% interval (adjusted Wald: margin of error and bounds, centred
-- on the adjusted NPS) come from the rules in cx_pipeline/rules.sql.
-- The change from the previous calendar month is tested with a two-sample z-test on NPS in the
-- same adjusted Wald form (nps_difference_p_value in rules.sql); it is null for the first month
-- and whenever this or the previous month has no responses. The table makes one test per month,
-- so its p-values are adjusted together (Holm, holm_step in rules.sql; the family is every
-- month-over-month test of the table, so a month's adjusted p-value can rise as months are
-- added). Significant means the adjusted p-value is below significance_level(); the raw p-value
-- stays beside it.
CREATE OR REPLACE TABLE marts.nps_by_month AS
WITH responses AS (
    -- The answers up to the as-of date with their month in the reporting timezone and their
    -- band: marts.nps_answers, the one answers rule.
    SELECT month, category FROM marts.nps_answers
),
months AS (
    SELECT CAST(unnest(generate_series(
        min(month),
        CAST(date_trunc('month', CAST($as_of AS DATE)) AS DATE),
        INTERVAL 1 MONTH
    )) AS DATE) AS month
    FROM responses
),
counts AS (
    SELECT
        months.month,
        count(responses.category) AS responses,
        count(*) FILTER (WHERE responses.category = 'promoter') AS promoters,
        count(*) FILTER (WHERE responses.category = 'passive') AS passives,
        count(*) FILTER (WHERE responses.category = 'detractor') AS detractors
    FROM months
    LEFT JOIN responses USING (month)
    GROUP BY months.month
),
with_previous AS (
    SELECT
        *,
        lag(responses) OVER (ORDER BY month) AS previous_responses,
        lag(promoters) OVER (ORDER BY month) AS previous_promoters,
        lag(detractors) OVER (ORDER BY month) AS previous_detractors
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
    -- The family of the Holm adjustment: every month-over-month test of this table.
    SELECT
        *,
        holm_step(
            nps_change_p_value,
            row_number() OVER (ORDER BY nps_change_p_value NULLS LAST, month),
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
    month,
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
ORDER BY month;
