-- Subscriptions as the days they run in the reporting timezone, as known on the as-of date, with
-- their MRR in the reporting currency: the one place the churn, revenue, segment, NPS and health
-- tables read them from, and the one place revenue is converted. A subscription runs from its
-- start day until its end day; an end after the as-of date has not happened yet (end_day is null,
-- as for a running one), and one that starts after the as-of date is left out.
--   currency    the subscription's ISO 4217 code, upper-cased; empty means the reporting
--               currency ($reporting_currency; extracts without the column load it as empty)
--   rate        for the reporting currency 1; otherwise the latest rate of raw.exchange_rates
--               from that currency to the reporting currency dated on or before the start day
--   mrr         mrr_native x rate, rounded to the cent: the MRR every mart adds up, in the
--               currency of the revenue tier cut-offs
--   mrr_native  the MRR as delivered, in currency
-- One rate per subscription, fixed at its start, so a moving exchange rate never shows as
-- expansion or contraction. A subscription with an MRR in a currency that has no such rate
-- fails the run, with the currency, the first start day without a rate and the rows affected:
-- converting nothing (or at 1) would silently misstate revenue. Two different rates for a
-- subscription currency on one day fail it too: either choice would be arbitrary.
CREATE OR REPLACE TABLE marts.subscription_days AS
WITH subscriptions AS (
    SELECT
        subscription_id,
        account_id,
        product,
        plan,
        mrr AS mrr_native,
        coalesce(upper(nullif(trim(currency), '')), $reporting_currency) AS currency,
        started_at,
        ended_at,
        cancel_reason,
        local_day(started_at, $timezone) AS start_day,
        CASE WHEN local_day(ended_at, $timezone) <= $as_of
             THEN local_day(ended_at, $timezone) END AS end_day
    FROM staging.subscriptions
    WHERE local_day(started_at, $timezone) <= $as_of
),
rates AS (
    SELECT upper(trim(currency)) AS currency, rate_date, rate
    FROM raw.exchange_rates
    WHERE upper(trim(to_currency)) = $reporting_currency
),
converted AS (
    SELECT
        s.*,
        CASE WHEN s.currency <> $reporting_currency THEN r.rate_date END AS rate_date,
        CASE WHEN s.currency = $reporting_currency THEN 1 ELSE r.rate END AS rate
    FROM subscriptions AS s
    ASOF LEFT JOIN rates AS r
        ON s.currency = r.currency AND s.start_day >= r.rate_date
),
missing_rates AS (
    SELECT
        currency,
        format(
            'no {} to {} exchange rate dated on or before {} in exchange_rates.csv '
            '({} subscription rows without a rate)',
            currency, $reporting_currency, min(start_day), count(*)
        ) AS problem
    FROM converted
    WHERE rate IS NULL AND mrr_native IS NOT NULL
    GROUP BY currency
),
ambiguous_rates AS (
    SELECT
        currency,
        format(
            'exchange_rates.csv has {} different {} to {} rates dated {}',
            count(DISTINCT rate), currency, $reporting_currency, rate_date
        ) AS problem
    FROM rates
    WHERE currency IN (SELECT currency FROM subscriptions)
    GROUP BY currency, rate_date
    HAVING count(DISTINCT rate) > 1
),
problems AS (
    SELECT string_agg(problem, '; ' ORDER BY currency, problem) AS message
    FROM (SELECT * FROM missing_rates UNION ALL SELECT * FROM ambiguous_rates)
)
SELECT
    c.subscription_id,
    c.account_id,
    c.product,
    c.plan,
    CAST(round(c.mrr_native * c.rate, 2) AS DECIMAL(18,2)) AS mrr,
    c.started_at,
    c.ended_at,
    c.cancel_reason,
    c.start_day,
    c.end_day,
    c.currency,
    c.mrr_native,
    c.rate_date,
    CAST(c.rate AS DECIMAL(18,8)) AS rate
FROM converted AS c
CROSS JOIN problems AS m
WHERE CASE WHEN m.message IS NULL THEN true ELSE error(m.message) END
ORDER BY c.subscription_id;
