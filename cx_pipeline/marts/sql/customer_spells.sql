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
--   customer_since  : the first day the account was ever active, its first spell_start: the
--                     one definition of customer_since and the cohort (customer_months,
--                     account_segments and account_features read it here)
--   mrr_at_start    : the MRR (sum of mrr of the subscriptions active) on spell_start: the
--                     revenue tier a spell is counted in by survival_by_segment
--   mrr_at_end      : the MRR on the spell's last active day: the day before spell_end, or the
--                     as-of date while it runs
-- A subscription that ends on the day it starts is never active, so it makes no spell and
-- does not make the account a customer (nor its start a customer_since).
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
spell_starts AS (
    -- A spell starts on a subscription's start day when no subscription of the account is
    -- active on the day before.
    SELECT DISTINCT s.account_id, s.start_day AS spell_start
    FROM subscriptions AS s
    WHERE NOT EXISTS (
        SELECT 1
        FROM subscriptions AS o
        WHERE o.account_id = s.account_id
          AND active_on(o.start_day, o.end_day, CAST(s.start_day - INTERVAL 1 DAY AS DATE))
    )
),
numbered AS (
    SELECT
        account_id,
        spell_start,
        row_number() OVER (PARTITION BY account_id ORDER BY spell_start) AS spell_number,
        lead(spell_start) OVER (PARTITION BY account_id ORDER BY spell_start) AS next_spell_start
    FROM spell_starts
),
spells AS (
    -- Each subscription belongs to the spell it starts in, and the spell runs until the last of
    -- them ends (it has not ended while one of them runs).
    SELECT
        n.account_id,
        n.spell_number,
        n.spell_start,
        CASE WHEN bool_and(s.end_day IS NOT NULL) THEN max(s.end_day) END AS spell_end
    FROM numbered AS n
    JOIN subscriptions AS s
      ON s.account_id = n.account_id
     AND s.start_day >= n.spell_start
     AND (n.next_spell_start IS NULL OR s.start_day < n.next_spell_start)
    GROUP BY n.account_id, n.spell_number, n.spell_start
),
spell_ends AS (
    SELECT
        *,
        min(spell_start) OVER (PARTITION BY account_id) AS customer_since,
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
    e.customer_since,
    e.last_active_day,
    whole_months(e.spell_start, coalesce(e.spell_end, CAST($as_of AS DATE))) AS tenure_months,
    coalesce(sum(s.mrr) FILTER (WHERE active_on(s.start_day, s.end_day, e.spell_start)), 0)
        AS mrr_at_start,
    coalesce(sum(s.mrr) FILTER (WHERE active_on(s.start_day, s.end_day, e.last_active_day)), 0)
        AS mrr_at_end
FROM spell_ends AS e
JOIN subscriptions AS s USING (account_id)
GROUP BY ALL
ORDER BY e.account_id, e.spell_number;
