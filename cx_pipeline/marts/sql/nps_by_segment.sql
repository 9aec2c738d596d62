-- NPS by segment over all responses up to the as-of date: the account's region, industry,
-- revenue tier and tenure band, the survey's touchpoint, and the respondent's influence level.
-- The account is the response's own, else the respondent contact's account; responses with no
-- known account, touchpoint or contact count under 'unknown', never dropped.
-- Revenue tier uses the account's current ARR; tenure band is the tenure when the answer was given;
-- influence level is the respondent contact's, from marts.contact_segments (job title rules in
-- rules.sql).
CREATE OR REPLACE TABLE marts.nps_by_segment AS
WITH customer_since AS (
    SELECT account_id, min(local_day(started_at, $timezone)) AS customer_since
    FROM staging.subscriptions
    GROUP BY account_id
),
responses AS (
    SELECT
        nps_category(r.score) AS category,
        coalesce(r.account_id, c.account_id) AS account_id,
        r.contact_id,
        r.touchpoint,
        local_day(r.submitted_at, $timezone) AS submitted_day
    FROM staging.nps_responses AS r
    LEFT JOIN staging.contacts AS c ON c.contact_id = r.contact_id
    WHERE local_day(r.submitted_at, $timezone) <= $as_of
),
enriched AS (
    SELECT
        r.category,
        coalesce(a.region, 'unknown') AS region,
        coalesce(a.industry, 'unknown') AS industry,
        CASE WHEN a.account_id IS NULL THEN 'unknown'
             ELSE revenue_tier(a.arr, $mid_market_from, $enterprise_from) END AS revenue_tier,
        tenure_band(whole_months(s.customer_since, r.submitted_day)) AS tenure_band,
        coalesce(r.touchpoint, 'unknown') AS touchpoint,
        coalesce(cs.influence_level, 'unknown') AS influence_level
    FROM responses AS r
    LEFT JOIN staging.accounts AS a ON a.account_id = r.account_id
    LEFT JOIN customer_since AS s ON s.account_id = r.account_id
    LEFT JOIN marts.contact_segments AS cs ON cs.contact_id = r.contact_id
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
    responses < $low_sample AS low_sample
FROM counts
ORDER BY segment_type, segment;
