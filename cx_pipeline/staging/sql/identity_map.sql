-- One row per person identifier the support, analytics and survey extracts use, spelled as
-- delivered (source_value), with the CRM contact and account it resolves to and the rule that
-- made the link. Deterministic rules, strongest first:
--   contact_id      the id is a contact in the CRM
--   email           the normalised address (normal_email(): trimmed, lower-cased, +tag dropped
--                   when $plus_addressing) is exactly one CRM contact's; several -> ambiguous
--   anonymous_id    the device id was seen on events of exactly one CRM contact; several ->
--                   ambiguous (a shared device)
--   account_domain  no contact, but the address's domain is exactly one account's domain
--                   (public mail providers never count): the account only
-- status: linked (a contact), account_only, ambiguous or unlinked. Nothing is guessed.
CREATE OR REPLACE TABLE staging.identity_map AS
WITH crm_contacts AS (
    SELECT contact_id, account_id, normal_email(email, $plus_addressing) AS email
    FROM staging.contacts
),
crm_emails AS (
    SELECT email, min(contact_id) AS contact_id, min(account_id) AS account_id,
           count(DISTINCT contact_id) AS people
    FROM crm_contacts
    WHERE email IS NOT NULL
    GROUP BY email
),
crm_domains AS (
    SELECT normal_domain(domain) AS domain, min(account_id) AS account_id,
           count(DISTINCT account_id) AS accounts
    FROM staging.accounts
    WHERE normal_domain(domain) IS NOT NULL AND NOT is_public_mail_domain(normal_domain(domain))
    GROUP BY ALL
),
-- The events' (contact id, device id, account id) with how many events carry each, which the
-- devices and the events' identifiers below are counted from: kept by staging's step of events as
-- it changes staging.events (staging/identity.py), so an incremental day does not read every event.
event_pairs AS (
    SELECT contact_id, anonymous_id, rows FROM staging._event_pairs
    WHERE contact_id IS NOT NULL OR anonymous_id IS NOT NULL
),
devices AS (
    SELECT e.anonymous_id, min(e.contact_id) AS contact_id, count(DISTINCT e.contact_id) AS people
    FROM event_pairs AS e
    JOIN crm_contacts AS c ON c.contact_id = e.contact_id
    WHERE e.anonymous_id IS NOT NULL
    GROUP BY e.anonymous_id
),
identifiers AS (
    SELECT 'support' AS source, 'tickets' AS entity, 'contact_id' AS identifier_type,
           contact_id AS source_value, count(*) AS rows
    FROM staging.tickets WHERE contact_id IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'support', 'tickets', 'email', requester_email, count(*)
    FROM staging.tickets WHERE requester_email IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'analytics', 'events', 'contact_id', contact_id, CAST(sum(rows) AS BIGINT)
    FROM event_pairs WHERE contact_id IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'analytics', 'events', 'anonymous_id', anonymous_id, CAST(sum(rows) AS BIGINT)
    FROM event_pairs WHERE anonymous_id IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'surveys', 'nps_responses', 'contact_id', contact_id, count(*)
    FROM staging.nps_responses WHERE contact_id IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'surveys', 'nps_responses', 'email', respondent_email, count(*)
    FROM staging.nps_responses WHERE respondent_email IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'surveys', 'survey_answers', 'contact_id', contact_id, count(*)
    FROM staging.survey_answers WHERE contact_id IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'surveys', 'survey_answers', 'email', respondent_email, count(*)
    FROM staging.survey_answers WHERE respondent_email IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'surveys', 'survey_invitations', 'contact_id', contact_id, count(*)
    FROM staging.survey_invitations WHERE contact_id IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'surveys', 'survey_invitations', 'email', recipient_email, count(*)
    FROM staging.survey_invitations WHERE recipient_email IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'surveys', 'interviews', 'contact_id', contact_id, count(*)
    FROM staging.interviews WHERE contact_id IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'surveys', 'followups', 'contact_id', contact_id, count(*)
    FROM staging.followups WHERE contact_id IS NOT NULL GROUP BY ALL
),
-- Each identifier's lookup keys, null where its type does not apply: plain equality joins below
-- (a type test inside a join condition would make DuckDB compare every pair).
keyed AS (
    SELECT
        *,
        CASE WHEN identifier_type = 'contact_id' THEN source_value END AS contact_key,
        CASE WHEN identifier_type = 'email'
             THEN normal_email(source_value, $plus_addressing) END AS email_key,
        CASE WHEN identifier_type = 'anonymous_id' THEN source_value END AS device_key,
        CASE WHEN identifier_type = 'email' THEN email_domain(source_value) END AS domain_key
    FROM identifiers
),
matched AS (
    SELECT
        i.source,
        i.entity,
        i.identifier_type,
        i.source_value,
        i.rows,
        CASE i.identifier_type
            WHEN 'email' THEN coalesce(i.email_key, lower(trim(i.source_value)))
            ELSE i.source_value
        END AS identifier,
        c.contact_id AS id_contact,
        c.account_id AS id_account,
        m.contact_id AS email_contact,
        m.account_id AS email_account,
        m.people AS email_people,
        d.contact_id AS device_contact,
        d.people AS device_people,
        a.account_id AS domain_account,
        a.accounts AS domain_accounts
    FROM keyed AS i
    LEFT JOIN crm_contacts AS c ON c.contact_id = i.contact_key
    LEFT JOIN crm_emails AS m ON m.email = i.email_key
    LEFT JOIN devices AS d ON d.anonymous_id = i.device_key
    LEFT JOIN crm_domains AS a ON a.domain = i.domain_key
),
resolved AS (
    SELECT
        *,
        CASE
            WHEN id_contact IS NOT NULL THEN 'contact_id'
            WHEN email_people = 1 THEN 'email'
            WHEN device_people = 1 THEN 'anonymous_id'
            WHEN email_people > 1 OR device_people > 1 THEN NULL
            WHEN domain_accounts = 1 THEN 'account_domain'
        END AS rule,
        CASE
            WHEN id_contact IS NOT NULL OR email_people = 1 OR device_people = 1 THEN 'linked'
            WHEN email_people > 1 OR device_people > 1 OR domain_accounts > 1 THEN 'ambiguous'
            WHEN domain_accounts = 1 THEN 'account_only'
            ELSE 'unlinked'
        END AS status
    FROM matched
)
SELECT
    r.source,
    r.entity,
    r.identifier_type,
    r.source_value,
    r.identifier,
    CASE r.rule
        WHEN 'contact_id' THEN r.id_contact
        WHEN 'email' THEN r.email_contact
        WHEN 'anonymous_id' THEN r.device_contact
    END AS contact_id,
    CASE r.rule
        WHEN 'contact_id' THEN r.id_account
        WHEN 'email' THEN r.email_account
        WHEN 'anonymous_id' THEN c.account_id
        WHEN 'account_domain' THEN r.domain_account
    END AS account_id,
    r.rule,
    r.status,
    r.rows
FROM resolved AS r
LEFT JOIN crm_contacts AS c ON c.contact_id = r.device_contact
ORDER BY r.entity, r.identifier_type, r.source_value;
