-- Response rates of survey invitations sent up to the as-of date, per calendar month of sending
-- (month null: every month together) and segment, from marts.invitation_outcomes (its SQL says
-- how each segment is taken on the sent day):
--   all                one row, every invitation
--   survey, touchpoint, channel
--   region, revenue_tier                the invited account's
--   last_nps_category  the contact's latest answer before the invitation: do detractors answer
--                      less than promoters?
-- Rates are over delivered invitations (sent minus bounced): response rate = answered /
-- delivered, open rate = opened / delivered, unsubscribe rate = unsubscribed / delivered; null
-- when nothing was delivered. Months without invitations have no row.
CREATE OR REPLACE TABLE marts.survey_response_rates AS
WITH invitations AS (
    SELECT * FROM marts.invitation_outcomes
),
long AS (
    SELECT 'all' AS segment_type, 'all' AS segment, * FROM invitations
    UNION ALL BY NAME SELECT 'survey' AS segment_type, survey_id AS segment, * FROM invitations
    UNION ALL BY NAME SELECT 'touchpoint' AS segment_type, touchpoint AS segment, * FROM invitations
    UNION ALL BY NAME SELECT 'channel' AS segment_type, channel AS segment, * FROM invitations
    UNION ALL BY NAME SELECT 'region' AS segment_type, region AS segment, * FROM invitations
    UNION ALL BY NAME
    SELECT 'revenue_tier' AS segment_type, revenue_tier AS segment, * FROM invitations
    UNION ALL BY NAME
    SELECT 'last_nps_category' AS segment_type, last_nps_category AS segment, * FROM invitations
),
counts AS (
    SELECT
        month,
        segment_type,
        segment,
        count(*) AS sent,
        count(*) FILTER (WHERE NOT delivered) AS bounced,
        count(*) FILTER (WHERE delivered) AS delivered,
        count(*) FILTER (WHERE delivered AND opened) AS opened,
        count(*) FILTER (WHERE delivered AND answered) AS answered,
        count(*) FILTER (WHERE delivered AND unsubscribed) AS unsubscribed
    FROM long
    GROUP BY GROUPING SETS ((month, segment_type, segment), (segment_type, segment))
)
SELECT
    month,
    segment_type,
    segment,
    sent,
    bounced,
    delivered,
    opened,
    answered,
    unsubscribed,
    CASE WHEN delivered > 0 THEN 100.0 * answered / delivered END AS response_rate_pct,
    CASE WHEN delivered > 0 THEN 100.0 * opened / delivered END AS open_rate_pct,
    CASE WHEN delivered > 0 THEN 100.0 * unsubscribed / delivered END AS unsubscribe_rate_pct
FROM counts
ORDER BY month NULLS FIRST, segment_type, segment;
