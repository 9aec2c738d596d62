-- Every subscription of marts.subscription_days with its MRR in the reporting currency
-- ($reporting_currency), the one place revenue is converted:
--   currency          the subscription's ISO 4217 code, upper-cased; empty means the reporting
--                     currency (extracts without the column load it as empty)
--   rate              for the reporting currency 1; otherwise the latest rate of
--                     raw.exchange_rates from that currency to the reporting currency dated on
--                     or before the subscription's start day
--   mrr_reporting     mrr x rate, rounded to the cent
-- One rate per subscription, fixed at its start, so a moving exchange rate never shows as
-- expansion or contraction. A subscription with an MRR in a currency that has no such rate
-- fails the run, with the currency, the first start day without a rate and the rows affected:
-- converting nothing (or at 1) would silently misstate revenue. Two different rates for a
-- subscription currency on one day fail it too: either choice would be arbitrary.
CREATE OR REPLACE TABLE marts.subscription_mrr AS
WITH subscriptions AS (
    SELECT
        d.subscription_id,
        d.account_id,
        d.start_day,
        d.end_day,
        coalesce(upper(nullif(trim(s.currency), '')), $reporting_currency) AS currency,
        d.mrr
    FROM marts.subscription_days AS d
    JOIN staging.subscriptions AS s USING (subscription_id)
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
    WHERE rate IS NULL AND mrr IS NOT NULL
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
    c.start_day,
    c.end_day,
    c.currency,
    c.mrr,
    c.rate_date,
    CAST(c.rate AS DECIMAL(18,8)) AS rate,
    CAST(round(c.mrr * c.rate, 2) AS DECIMAL(18,2)) AS mrr_reporting
FROM converted AS c
CROSS JOIN problems AS m
WHERE CASE WHEN m.message IS NULL THEN true ELSE error(m.message) END
ORDER BY c.subscription_id;
