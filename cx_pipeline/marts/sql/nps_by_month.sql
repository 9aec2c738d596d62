-- NPS per calendar month in the reporting timezone. Every response counts in the month it was
-- submitted (response-level NPS). A month without responses still has a row: 0 responses and a
-- null NPS. Bands, NPS and its margin of error come from the rules in cx_pipeline/rules.sql.
CREATE OR REPLACE TABLE marts.nps_by_month AS
WITH responses AS (
    SELECT
        local_month(submitted_at, $timezone) AS month,
        nps_category(score) AS category
    FROM staging.nps_responses
    WHERE local_day(submitted_at, $timezone) <= $as_of
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
)
SELECT
    month,
    responses,
    promoters,
    passives,
    detractors,
    nps(promoters, detractors, responses) AS nps,
    nps_moe_95(promoters, detractors, responses) AS nps_moe_95,
    responses < $low_sample AS low_sample
FROM counts
ORDER BY month;
