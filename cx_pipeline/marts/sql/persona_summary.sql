-- One row per behavioural persona of marts.contact_personas, described for a CX lead and with
-- what its members say and do:
--   usage       medians over the members: active days in 30 (active days x 30 /
--               persona_window_days()), events per active day, distinct features
--   typical title  the members' most frequent job title in the CRM (ties: the first by name)
--   NPS         every NPS answer of a member in the trailing 12 months (response level, as
--               nps_by_segment), with the adjusted Wald bounds and the low-sample flag
--   accounts lost  the members' distinct accounts with no customer spell running on the as-of
--               date (marts.customer_spells, active_on()): lost since the persona window began
--               or before; an account whose contacts are in several personas counts in each
--   top themes  the three themes (other than 'none') of the most feedback items (NPS comments,
--               survey reasons, tickets, interviews) of members in the trailing 12 months
CREATE OR REPLACE TABLE marts.persona_summary AS
WITH members AS (
    SELECT * FROM marts.contact_personas
),
usage AS (
    SELECT
        persona_id,
        any_value(persona) AS persona,
        any_value(persona_top_features) AS top_features,
        count(*) AS contacts,
        count(DISTINCT account_id) AS accounts,
        median(active_days * 30.0 / persona_window_days()) AS active_days_per_30,
        median(1.0 * events / active_days) AS events_per_active_day,
        median(features_used) AS features_used
    FROM members
    GROUP BY persona_id
),
titles AS (
    SELECT persona_id, job_title
    FROM (
        SELECT
            m.persona_id,
            c.job_title,
            row_number() OVER (
                PARTITION BY m.persona_id ORDER BY count(*) DESC, c.job_title
            ) AS rank
        FROM members AS m
        JOIN staging.contacts AS c ON c.contact_id = m.contact_id
        WHERE nullif(trim(c.job_title), '') IS NOT NULL
        GROUP BY m.persona_id, c.job_title
    )
    WHERE rank = 1
),
answers AS (
    SELECT
        m.persona_id,
        count(*) AS responses,
        count(*) FILTER (WHERE a.category = 'promoter') AS promoters,
        count(*) FILTER (WHERE a.category = 'detractor') AS detractors
    FROM members AS m
    JOIN marts.nps_answers AS a ON a.contact_id = m.contact_id
    WHERE a.submitted_day >= trailing_12_months_start($as_of) AND a.submitted_day <= $as_of
    GROUP BY m.persona_id
),
persona_accounts AS (
    SELECT DISTINCT persona_id, account_id FROM members WHERE account_id IS NOT NULL
),
lost AS (
    SELECT
        p.persona_id,
        count(*) FILTER (WHERE NOT EXISTS (
            SELECT 1 FROM marts.customer_spells AS s
            WHERE s.account_id = p.account_id
              AND active_on(s.spell_start, s.spell_end, CAST($as_of AS DATE))
        )) AS accounts_lost
    FROM persona_accounts AS p
    GROUP BY p.persona_id
),
theme_counts AS (
    SELECT m.persona_id, f.theme, count(DISTINCT (f.source, f.item_id)) AS items
    FROM members AS m
    JOIN marts.feedback_themes AS f ON f.contact_id = m.contact_id
    WHERE f.theme <> 'none'
      AND f.said_on >= trailing_12_months_start($as_of) AND f.said_on <= $as_of
    GROUP BY m.persona_id, f.theme
),
themes AS (
    SELECT
        persona_id,
        string_agg(theme || ' (' || items || ')', ', ' ORDER BY items DESC, theme) AS top_themes
    FROM (
        SELECT *, row_number() OVER (PARTITION BY persona_id ORDER BY items DESC, theme) AS rank
        FROM theme_counts
    )
    WHERE rank <= 3
    GROUP BY persona_id
),
joined AS (
    SELECT
        u.*,
        t.job_title AS typical_job_title,
        coalesce(a.responses, 0) AS responses,
        coalesce(a.promoters, 0) AS promoters,
        coalesce(a.detractors, 0) AS detractors,
        coalesce(l.accounts_lost, 0) AS accounts_lost,
        th.top_themes
    FROM usage AS u
    LEFT JOIN titles AS t USING (persona_id)
    LEFT JOIN answers AS a USING (persona_id)
    LEFT JOIN lost AS l USING (persona_id)
    LEFT JOIN themes AS th USING (persona_id)
)
SELECT
    persona_id,
    persona,
    persona || ': mostly ' || top_features
        || '; active on about ' || CAST(round(active_days_per_30) AS BIGINT)
        || ' days in 30 with ' || round(events_per_active_day, 1) || ' events a day, using '
        || CAST(round(features_used) AS BIGINT) || ' features; typical title: '
        || coalesce(typical_job_title, 'unknown') || '.' AS description,
    contacts,
    100.0 * contacts / sum(contacts) OVER () AS contacts_pct,
    accounts,
    top_features,
    active_days_per_30,
    events_per_active_day,
    features_used,
    typical_job_title,
    responses,
    promoters,
    detractors,
    nps(promoters, detractors, responses) AS nps,
    nps_low_95(promoters, detractors, responses) AS nps_low_95,
    nps_high_95(promoters, detractors, responses) AS nps_high_95,
    responses < $low_sample AS low_sample,
    accounts_lost,
    100.0 * accounts_lost / accounts AS accounts_lost_pct,
    share_low_95(accounts_lost, accounts) AS accounts_lost_low_95,
    share_high_95(accounts_lost, accounts) AS accounts_lost_high_95,
    top_themes
FROM joined
ORDER BY CAST(substr(persona_id, 2) AS BIGINT);
