-- Promoters against power users, among contacts of active accounts (marts.contact_segments): the
-- latest NPS answer's category (or 'no answer') crossed with the power-user flag, so teams see
-- promoters who hardly use the product (fans to activate) and power users who would not
-- recommend it (power users at risk).
CREATE OR REPLACE TABLE marts.promoter_power_matrix AS
WITH contacts AS (
    SELECT
        coalesce(last_nps_category, 'no answer') AS nps_category,
        is_power_user,
        contact_id,
        account_id,
        events_last_30d
    FROM marts.contact_segments
    WHERE account_is_active
)
SELECT
    nps_category,
    is_power_user,
    CASE
        WHEN nps_category = 'promoter' AND is_power_user THEN 'champions'
        WHEN nps_category = 'promoter' THEN 'fans to activate'
        WHEN nps_category = 'detractor' AND is_power_user THEN 'power users at risk'
        WHEN nps_category = 'detractor' THEN 'unhappy and disengaged'
        WHEN is_power_user THEN 'engaged, not yet fans'
        ELSE 'the quiet middle'
    END AS quadrant,
    count(*) AS contacts,
    100.0 * count(*) / sum(count(*)) OVER () AS share_of_contacts_pct,
    count(DISTINCT account_id) AS accounts,
    avg(events_last_30d) AS avg_events_last_30d
FROM contacts
GROUP BY nps_category, is_power_user
ORDER BY nps_category, is_power_user;
