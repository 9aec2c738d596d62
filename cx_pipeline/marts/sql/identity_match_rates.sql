-- How many rows of each person-bearing entity resolve to a contact, to an account only, to
-- several people (ambiguous) or to nobody, and by which rule (staging.identity_map). Counted on
-- the rows themselves (staging.resolved_<entity>), each row by its strongest link; the events
-- through their counted ids (staging.resolved_event_pairs: the same links, without reading
-- every event).
CREATE OR REPLACE TABLE marts.identity_match_rates AS
WITH resolved_rows AS (
    SELECT 'support' AS source, 'tickets' AS entity, identity_status, identity_rule, 1 AS rows
    FROM staging.resolved_tickets
    UNION ALL
    SELECT 'analytics', 'events', identity_status, identity_rule, rows
    FROM staging.resolved_event_pairs
    UNION ALL
    SELECT 'surveys', 'nps_responses', identity_status, identity_rule, 1
    FROM staging.resolved_nps_responses
    UNION ALL
    SELECT 'surveys', 'survey_answers', identity_status, identity_rule, 1
    FROM staging.resolved_survey_answers
    UNION ALL
    SELECT 'surveys', 'interviews', identity_status, identity_rule, 1
    FROM staging.resolved_interviews
),
counts AS (
    SELECT
        source,
        entity,
        sum(rows) AS rows,
        sum(rows) FILTER (identity_status = 'linked') AS linked,
        sum(rows) FILTER (identity_status = 'account_only') AS account_only,
        sum(rows) FILTER (identity_status = 'ambiguous') AS ambiguous,
        sum(rows) FILTER (identity_status = 'unlinked') AS unlinked,
        sum(rows) FILTER (identity_rule = 'contact_id') AS by_contact_id,
        sum(rows) FILTER (identity_rule = 'email') AS by_email,
        sum(rows) FILTER (identity_rule = 'anonymous_id') AS by_anonymous_id,
        sum(rows) FILTER (identity_rule = 'account_id') AS by_account_id,
        sum(rows) FILTER (identity_rule = 'account_domain') AS by_account_domain
    FROM resolved_rows
    GROUP BY source, entity
)
SELECT
    source,
    entity,
    CAST(rows AS BIGINT) AS rows,
    CAST(coalesce(linked, 0) AS BIGINT) AS linked,
    CAST(coalesce(account_only, 0) AS BIGINT) AS account_only,
    CAST(coalesce(ambiguous, 0) AS BIGINT) AS ambiguous,
    CAST(coalesce(unlinked, 0) AS BIGINT) AS unlinked,
    round(coalesce(linked, 0) / rows, 4) AS linked_share,
    CAST(coalesce(by_contact_id, 0) AS BIGINT) AS by_contact_id,
    CAST(coalesce(by_email, 0) AS BIGINT) AS by_email,
    CAST(coalesce(by_anonymous_id, 0) AS BIGINT) AS by_anonymous_id,
    CAST(coalesce(by_account_id, 0) AS BIGINT) AS by_account_id,
    CAST(coalesce(by_account_domain, 0) AS BIGINT) AS by_account_domain
FROM counts
ORDER BY source, entity;
