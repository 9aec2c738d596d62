-- High-value promoters: contacts whose latest NPS answer (in the 12 months to the as-of date) is
-- a promoter, at active accounts in the top revenue tier (enterprise). The people to ask for a
-- reference, a case study or a review; power users and senior contacts first.
CREATE OR REPLACE TABLE marts.high_value_promoters AS
SELECT
    c.contact_id,
    c.account_id,
    a.name AS account_name,
    a.region,
    a.revenue_tier,
    a.mrr,
    c.job_title,
    c.influence_level,
    c.last_nps_score,
    c.last_nps_on,
    c.is_power_user
FROM marts.contact_segments AS c
JOIN marts.account_segments AS a USING (account_id)
WHERE c.last_nps_category = 'promoter'
  AND c.last_nps_on >= trailing_12_months_start($as_of)
  AND a.is_active
  AND a.revenue_tier = 'enterprise'
ORDER BY c.is_power_user DESC, influence_weight(c.influence_level) DESC, a.mrr DESC, c.contact_id;
