-- How long customers stay: survival by whole months of tenure, for all accounts and by region
-- and revenue tier, over the customer spells of marts.customer_spells (the rule of what a spell
-- is lives there: a day with no active subscription ends a spell, a return starts the next).
-- Two bases, each a complete table:
--   first_spell  each account's first spell: how long until a customer first leaves
--   every_spell  every spell of every account, a return counting as a new start: its losses
--                are every spell end, so on data where each end falls in a monthly count they
--                equal the losses of churn_by_month. Spells of one account are treated as
--                independent (the interval below assumes so).
-- For each spell:
--   t = tenure_months: whole months from spell_start to spell_end (lost: the spell ended on or
--       before the as-of date), or to the as-of date (censored: we do not know yet when it ends).
--   For month t: at_risk = spells whose tenure reached t whole months (lost or censored at t or
--   later), lost = spells lost at t, censored = running spells censored at t.
-- The estimator is the actuarial life table (Cutler-Ederer), not the month-grouped product-limit:
-- a spell censored at t was watched for only part of month t (on average half of it: the as-of
-- date falls anywhere in the month), so counting it at risk for the whole month, as the
-- product-limit on whole months does, inflates the denominator of month t's losses and biases
-- survival upwards. It counts half:
--   effective_at_risk(t) = at_risk - censored / 2
--   survival_pct(t)      = 100 x the product over months 0..t of (1 - lost / effective_at_risk):
--                          the estimated share still customers after t + 1 whole months,
--                          computed as exp(sum(ln(...))), 0 from the first month in which every
--                          spell at risk was lost.
--   95% bounds           Greenwood's variance, sum over months 0..t of
--                        lost / (effective_at_risk x (effective_at_risk - lost)), on the log-log
--                        scale (Kalbfleisch & Prentice; lifelines' default), so the bounds stay
--                        within 0-100: survival^exp(+/- 1.959964 x sqrt(variance) / ln survival).
--                        Null while nothing has been lost (survival 100, ln 0) and once survival
--                        is 0: the log-log interval is not defined there.
-- Spells that start and end inside one month are losses at t = 0 here (they are in no monthly
-- churn count). Revenue tier is revenue_tier() of the ARR at the spell's start, 12 x its MRR on
-- spell_start (mrr_at_start): the segment a customer was in when the spell began, not where it
-- drifted by its end (a tier at the end would sort a customer by an outcome of its survival:
-- a downgrade before leaving). accounts.arr is today's figure, 0 for every lost account.
-- Region from the CRM account ('unknown' when missing).
CREATE OR REPLACE TABLE marts.survival_by_segment AS
WITH spells AS (
    SELECT
        s.spell_number,
        s.tenure_months AS tenure,
        s.lost AS is_lost,
        'all' AS "all",
        coalesce(a.region, 'unknown') AS region,
        revenue_tier(12 * s.mrr_at_start, $mid_market_from, $enterprise_from) AS revenue_tier
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
),
effective AS (
    SELECT *, at_risk - censored / 2.0 AS effective_at_risk
    FROM life_table
),
running AS (
    SELECT
        *,
        bool_or(lost >= effective_at_risk) OVER w AS all_lost,
        sum(CASE WHEN lost < effective_at_risk THEN ln(1.0 - lost / effective_at_risk) END)
            OVER w AS log_survival,
        sum(CASE WHEN lost < effective_at_risk
                 THEN lost / (effective_at_risk * (effective_at_risk - lost)) END)
            OVER w AS greenwood
    FROM effective
    WINDOW w AS (
        PARTITION BY spell_basis, segment_type, segment ORDER BY month
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
)
SELECT
    spell_basis,
    segment_type,
    segment,
    month,
    at_risk,
    lost,
    censored,
    effective_at_risk,
    CASE WHEN all_lost THEN 0.0 ELSE 100.0 * exp(log_survival) END AS survival_pct,
    CASE WHEN NOT all_lost AND log_survival < 0 THEN
        100.0 * exp(log_survival * exp(1.959964 * sqrt(greenwood) / -log_survival))
    END AS survival_low_95,
    CASE WHEN NOT all_lost AND log_survival < 0 THEN
        100.0 * exp(log_survival * exp(-1.959964 * sqrt(greenwood) / -log_survival))
    END AS survival_high_95
FROM running
ORDER BY spell_basis, segment_type, segment, month;
