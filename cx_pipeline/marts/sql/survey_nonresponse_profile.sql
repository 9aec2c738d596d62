-- Who answers and who does not: the delivered invitations sent up to the as-of date, split into
-- responders (answered) and non-responders (did not), each profiled as it was on the sent day
-- (marts.invitation_outcomes): revenue tier mix, product usage in the 30 days before, and the
-- NPS of their latest earlier answer where they gave one. When the non-responders' earlier NPS
-- is lower than the responders', detractors are under-represented among today's answers and the
-- raw NPS flatters (marts.nps_weighted corrects the segment mix, not this).
CREATE OR REPLACE TABLE marts.survey_nonresponse_profile AS
WITH delivered AS (
    SELECT
        CASE WHEN answered THEN 'responders' ELSE 'non-responders' END AS respondent_group,
        *
    FROM marts.invitation_outcomes
    WHERE delivered
),
counts AS (
    SELECT
        respondent_group,
        count(*) AS invitations,
        count(*) FILTER (WHERE revenue_tier = 'SMB') AS smb,
        count(*) FILTER (WHERE revenue_tier = 'mid-market') AS mid_market,
        count(*) FILTER (WHERE revenue_tier = 'enterprise') AS enterprise,
        avg(events_30d_before) AS avg_events_30d_before,
        100.0 * count(*) FILTER (WHERE events_30d_before > 0)
            / nullif(count(events_30d_before), 0) AS active_30d_before_pct,
        count(*) FILTER (WHERE last_nps_category <> 'unknown') AS with_earlier_answer,
        count(*) FILTER (WHERE last_nps_category = 'promoter') AS earlier_promoters,
        count(*) FILTER (WHERE last_nps_category = 'passive') AS earlier_passives,
        count(*) FILTER (WHERE last_nps_category = 'detractor') AS earlier_detractors
    FROM delivered
    GROUP BY respondent_group
)
SELECT
    respondent_group,
    invitations,
    100.0 * smb / invitations AS smb_pct,
    100.0 * mid_market / invitations AS mid_market_pct,
    100.0 * enterprise / invitations AS enterprise_pct,
    avg_events_30d_before,
    active_30d_before_pct,
    with_earlier_answer,
    earlier_promoters,
    earlier_passives,
    earlier_detractors,
    CASE WHEN with_earlier_answer > 0
         THEN 100.0 * earlier_detractors / with_earlier_answer END AS earlier_detractor_pct,
    nps(earlier_promoters, earlier_detractors, with_earlier_answer) AS earlier_nps
FROM counts
ORDER BY respondent_group DESC;
