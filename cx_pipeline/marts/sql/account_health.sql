-- Who is at risk now: every active account's health score on the as-of date, with the
-- components behind it (rules and weights at the top of account_health_history.sql, its inputs
-- from marts.account_features: the score is computed once, there), riskiest first: a recorded
-- cancellation (score overridden to 0) heads the list, the soonest end first, then the lowest
-- scores, the larger MRR first on a tie. How well this score has ranked past
-- churners is in marts.health_track_record.
CREATE OR REPLACE TABLE marts.account_health AS
SELECT
    row_number() OVER (
        ORDER BY h.cancels_on NULLS LAST, h.health_score, s.mrr DESC, h.account_id
    ) AS risk_rank,
    h.account_id,
    s.name,
    s.region,
    s.revenue_tier,
    s.mrr,
    s.journey_stage,
    h.health_score,
    h.health_band,
    h.usage_component,
    h.nps_component,
    h.support_component,
    h.csat_component,
    h.events_last_30d,
    h.events_previous_30d,
    h.events_baseline_90d,
    h.usage_fell,
    h.active_users_30d,
    h.events_per_active_user_30d,
    h.last_nps_score,
    h.detractor_last_30d,
    h.open_escalations,
    h.tickets_last_90d,
    h.avg_csat_180d,
    h.cancels_on
FROM marts.account_health_history AS h
JOIN marts.account_segments AS s USING (account_id)
WHERE h.evaluated_on = $as_of
ORDER BY risk_rank;
