-- How long customers stay: Kaplan-Meier survival by whole months of tenure, for all accounts and
-- by region and revenue tier, over the customer spells of marts.customer_spells (the rule of
-- what a spell is lives there: a day with no active subscription ends a spell, a return starts
-- the next). Two bases, each a complete table:
--   first_spell  each account's first spell: how long until a customer first leaves
--   every_spell  every spell of every account, a return counting as a new start: its losses
--                are every spell end, so on data where each end falls in a monthly count they
--                equal the losses of churn_by_month. Spells of one account are treated as
--                independent (no interval is published that would need otherwise).
-- For each spell:
--   t = tenure_months: whole months from spell_start to spell_end (lost: the spell ended on or
--       before the as-of date), or to the as-of date (censored: we do not know yet when it ends).
--   For month t: at_risk = spells whose tenure reached t whole months (lost or censored at t or
--   later), lost = spells lost at t, censored = running spells censored at t.
--   survival_pct(t) = 100 x the product over months 0..t of (1 - lost / at_risk): the estimated
--   share still customers after t + 1 whole months. It is computed as
--   exp(sum(ln(1 - lost / at_risk))), and is 0 from the first month in which every spell at
--   risk was lost.
-- Spells that start and end inside one month are losses at t = 0 here (they are in no monthly
-- churn count). Revenue tier is revenue_tier() of the ARR on the spell's last active day,
-- measured as 12 x its MRR then (mrr_at_end): accounts.arr is today's figure, 0 for every lost
-- account. Region from the CRM account ('unknown' when missing).
CREATE OR REPLACE TABLE marts.survival_by_segment AS
WITH spells AS (
    SELECT
        s.spell_number,
        s.tenure_months AS tenure,
        s.lost AS is_lost,
        'all' AS "all",
        coalesce(a.region, 'unknown') AS region,
        revenue_tier(12 * s.mrr_at_end, $mid_market_from, $enterprise_from) AS revenue_tier
    FROM marts.customer_spells AS s
    LEFT JOIN staging.accounts AS a USING (account_id)
),
bases AS (
    SELECT 'first_spell' AS spell_basis, tenure, is_lost, "all", region, revenue_tier
    FROM spells
    WHERE spell_number = 1
    UNION ALL
    SELECT 'every_spell' AS spell_basis, tenure, is_lost, "all", region, revenue_tier
    FROM spells
),
spell_cells AS (
    UNPIVOT bases
    ON "all", region, revenue_tier
    INTO NAME segment_type VALUE segment
),
months AS (
    SELECT spell_basis, segment_type, segment, unnest(range(0, max(tenure) + 1)) AS month
    FROM spell_cells
    GROUP BY spell_basis, segment_type, segment
),
life_table AS (
    SELECT
        m.spell_basis,
        m.segment_type,
        m.segment,
        m.month,
        count(a.tenure) FILTER (WHERE a.tenure >= m.month) AS at_risk,
        count(a.tenure) FILTER (WHERE a.tenure = m.month AND a.is_lost) AS lost,
        count(a.tenure) FILTER (WHERE a.tenure = m.month AND NOT a.is_lost) AS censored
    FROM months AS m
    JOIN spell_cells AS a USING (spell_basis, segment_type, segment)
    GROUP BY m.spell_basis, m.segment_type, m.segment, m.month
)
SELECT
    spell_basis,
    segment_type,
    segment,
    month,
    at_risk,
    lost,
    censored,
    CASE WHEN bool_or(lost >= at_risk) OVER running THEN 0.0
         ELSE 100.0 * exp(sum(CASE WHEN lost < at_risk THEN ln(1.0 - lost / at_risk) END)
                          OVER running) END AS survival_pct
FROM life_table
WINDOW running AS (
    PARTITION BY spell_basis, segment_type, segment ORDER BY month
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
)
ORDER BY spell_basis, segment_type, segment, month;
