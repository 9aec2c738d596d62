-- B2B account-level NPS over the responses of the trailing 12 months: the 12 calendar months that
-- end with the as-of date's month (trailing_12_months_start in rules.sql), up to the as-of date.
-- One row per account with at least one response in that window; answers, their account (the
-- response's own, else the respondent contact's; answers with neither are left out: no account),
-- revenue tier, ARR and influence level all come from marts.nps_answers, the one answers rule,
-- so an account's tier here is the tier its answers count under in marts.nps_by_segment.
-- Three ways to roll responses up to one account, side by side because they answer different
-- questions:
--   nps_all_responses       response-level: every answer counts once (the company-wide rule)
--   nps_latest_per_contact  relationship view: each contact's latest answer in the window counts
--                           once; an answer without a contact counts on its own
--   nps_decision_weighted   every answer weighted by its respondent's influence_weight() (C-level
--                           3, senior manager 2.5, decision maker 2, influencer 1.5, else 1):
--                           100 x (sum of promoter weights - sum of detractor weights) / sum of
--                           weights
-- account_category is nps_account_category() of the decision-weighted NPS (rules.sql): promoter
-- above 0, detractor below 0, passive at 0, because the people who decide the renewal count most.
-- low_sample uses the same threshold as every NPS cell (default 30 responses).
CREATE OR REPLACE TABLE marts.nps_by_account AS
WITH responses AS (
    SELECT
        response_id,
        account_id,
        contact_id,
        score,
        category,
        submitted_day AS submitted_on,
        revenue_tier,
        arr,
        influence_weight(influence_level) AS weight,
        contact_id IS NULL OR row_number() OVER (
            PARTITION BY account_id, contact_id
            ORDER BY submitted_at DESC, response_id DESC
        ) = 1 AS is_latest_of_respondent
    FROM marts.nps_answers
    WHERE month >= trailing_12_months_start($as_of)
      AND account_id IS NOT NULL
),
per_account AS (
    SELECT
        account_id,
        count(*) AS responses,
        count(*) FILTER (WHERE category = 'promoter') AS promoters,
        count(*) FILTER (WHERE category = 'passive') AS passives,
        count(*) FILTER (WHERE category = 'detractor') AS detractors,
        count(*) FILTER (WHERE is_latest_of_respondent) AS respondents,
        count(*) FILTER (WHERE is_latest_of_respondent AND category = 'promoter')
            AS latest_promoters,
        count(*) FILTER (WHERE is_latest_of_respondent AND category = 'detractor')
            AS latest_detractors,
        avg(score) AS mean_score,
        sum(weight) AS total_weight,
        coalesce(sum(weight) FILTER (WHERE category = 'promoter'), 0) AS promoter_weight,
        coalesce(sum(weight) FILTER (WHERE category = 'detractor'), 0) AS detractor_weight,
        max(submitted_on) AS last_response_on,
        -- One value per account in marts.nps_answers.
        any_value(revenue_tier) AS revenue_tier,
        any_value(arr) AS arr
    FROM responses
    GROUP BY account_id
),
scored AS (
    SELECT
        *,
        nps(promoters, detractors, responses) AS nps_all_responses,
        nps(latest_promoters, latest_detractors, respondents) AS nps_latest_per_contact,
        100.0 * (promoter_weight - detractor_weight) / total_weight AS nps_decision_weighted
    FROM per_account
)
SELECT
    s.account_id,
    a.name,
    a.region,
    a.industry,
    s.revenue_tier,
    s.arr,
    s.responses,
    s.promoters,
    s.passives,
    s.detractors,
    s.nps_all_responses,
    s.respondents,
    s.nps_latest_per_contact,
    s.mean_score,
    s.nps_decision_weighted,
    nps_account_category(s.nps_decision_weighted) AS account_category,
    s.last_response_on,
    s.responses < $low_sample AS low_sample
FROM scored AS s
LEFT JOIN staging.accounts AS a ON a.account_id = s.account_id
ORDER BY s.account_id;
