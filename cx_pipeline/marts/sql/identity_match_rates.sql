-- How many rows of each person-bearing entity resolve to a contact, to an account only, to
-- several people (ambiguous) or to nobody, and by which rule (staging.identity_map). Counted on
-- the rows themselves (staging.resolved_<entity>), each row by its strongest link.
CREATE OR REPLACE TABLE marts.identity_match_rates AS
WITH resolved_rows AS (
    SELECT 'support' AS source, 'tickets' AS entity, identity_status, identity_rule
    FROM staging.resolved_tickets
    UNION ALL
    SELECT 'analytics', 'events', identity_status, identity_rule FROM staging.resolved_events
    UNION ALL
    SELECT 'surveys', 'nps_responses', identity_status, identity_rule
    FROM staging.resolved_nps_responses
    UNION ALL
    SELECT 'surveys', 'survey_answers', identity_status, identity_rule
    FROM staging.resolved_survey_answers
    UNION ALL
    SELECT 'surveys', 'interviews', identity_status, identity_rule
    FROM staging.resolved_interviews
)
SELECT
    source,
    entity,
    count(*) AS rows,
    count(*) FILTER (identity_status = 'linked') AS linked,
    count(*) FILTER (identity_status = 'account_only') AS account_only,
    count(*) FILTER (identity_status = 'ambiguous') AS ambiguous,
    count(*) FILTER (identity_status = 'unlinked') AS unlinked,
    round(count(*) FILTER (identity_status = 'linked') / count(*), 4) AS linked_share,
    count(*) FILTER (identity_rule = 'contact_id') AS by_contact_id,
    count(*) FILTER (identity_rule = 'email') AS by_email,
    count(*) FILTER (identity_rule = 'anonymous_id') AS by_anonymous_id,
    count(*) FILTER (identity_rule = 'account_id') AS by_account_id,
    count(*) FILTER (identity_rule = 'account_domain') AS by_account_domain
FROM resolved_rows
GROUP BY source, entity
ORDER BY source, entity;
