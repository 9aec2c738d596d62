-- Customer spells: the one definition of an account's continuous time as a customer, which
-- survival, cohorts and tenure read (DESIGN.md, "Customer spells").
--   active on day d : some subscription started on or before d and has not ended by d
--                     (active_on() in rules.sql, the rule of churn in customer_months.sql)
--   spell           : a maximal run of days on which the account is active. Subscriptions that
--                     overlap or follow each other without a day between them (a same-day plan
--                     change) are one spell; a day on which no subscription is active ends it,
--                     and a return after that starts the next spell.
--   spell_end       : the first day the account is no longer active; null while the spell
--                     runs, also when its end is scheduled after the as-of date (not yet happened)
--   lost            : the spell ended on or before the as-of date
--   tenure_months   : whole months (whole_months() in rules.sql) from spell_start to spell_end,
--                     or to the as-of date while the spell runs
--   mrr_at_end      : the MRR (sum of mrr of the subscriptions active) on the spell's last
--                     active day: the day before spell_end, or the as-of date while it runs
-- A subscription that ends on the day it starts is never active, so it makes no spell.
-- Every loss in churn_by_month is the end of one spell: the one running at the month's start,
-- when no spell of the account runs on the month's last day. Not every spell end is such a loss:
-- a return before the month's end, or a spell that starts and ends inside one month, is in no
-- monthly count.
CREATE OR REPLACE TABLE marts.customer_spells AS
WITH subscriptions AS (
    SELECT account_id, start_day, end_day, mrr
    FROM marts.subscription_days
    WHERE end_day IS NULL OR end_day > start_day
),
covered AS (
    -- Up to which day the account's earlier subscriptions (in order of start) keep it active:
    -- the first day none of them is (9999-12-31 while one of them still runs).
    SELECT
        account_id,
        start_day,
        end_day,
        max(coalesce(end_day, DATE '9999-12-31')) OVER (
            PARTITION BY account_id ORDER BY start_day, end_day NULLS LAST
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS covered_until
    FROM subscriptions
),
numbered AS (
    -- A subscription that starts after that day (at least one day with nothing active) starts
    -- a new spell; one that starts on or before it continues the spell.
    SELECT
        account_id,
        start_day,
        end_day,
        sum(CASE WHEN covered_until IS NULL OR start_day > covered_until THEN 1 ELSE 0 END)
            OVER (
                PARTITION BY account_id ORDER BY start_day, end_day NULLS LAST
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) AS spell_number
    FROM covered
),
spells AS (
    SELECT
        account_id,
        CAST(spell_number AS BIGINT) AS spell_number,
        min(start_day) AS spell_start,
        CASE WHEN bool_and(end_day IS NOT NULL) THEN max(end_day) END AS spell_end
    FROM numbered
    GROUP BY account_id, numbered.spell_number
),
spell_ends AS (
    SELECT
        *,
        coalesce(CAST(spell_end - INTERVAL 1 DAY AS DATE), CAST($as_of AS DATE))
            AS last_active_day
    FROM spells
)
SELECT
    e.account_id,
    e.spell_number,
    e.spell_start,
    e.spell_end,
    e.spell_end IS NOT NULL AS lost,
    e.last_active_day,
    whole_months(e.spell_start, coalesce(e.spell_end, CAST($as_of AS DATE))) AS tenure_months,
    coalesce(sum(s.mrr) FILTER (WHERE active_on(s.start_day, s.end_day, e.last_active_day)), 0)
        AS mrr_at_end
FROM spell_ends AS e
JOIN subscriptions AS s USING (account_id)
GROUP BY ALL
ORDER BY e.account_id, e.spell_number;
