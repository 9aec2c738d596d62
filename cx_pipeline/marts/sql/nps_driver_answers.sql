-- The sample of the NPS driver analysis: every answer from a known account, as NPS points
-- (promoter +100, passive 0, detractor -100, so a mean is an NPS), with what the account had
-- lived up to the day before it (marts.account_features; its cut-off rule) and who answered.
CREATE OR REPLACE TABLE marts.nps_driver_answers AS
SELECT
    n.response_id,
    n.submitted_day,
    n.score,
    CASE n.category WHEN 'promoter' THEN 100 WHEN 'detractor' THEN -100 ELSE 0 END AS nps_points,
    n.influence_level,
    f.*
FROM marts.nps_answers AS n
JOIN marts.account_features AS f
  ON f.account_id = n.account_id AND f.feature_day = n.submitted_day - 1
ORDER BY n.response_id;
