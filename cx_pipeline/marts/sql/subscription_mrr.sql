-- Every subscription of marts.subscription_days with its MRR as delivered and in the reporting
-- currency (CX_REPORTING_CURRENCY) side by side. The conversion itself (the rate of the start
-- day, and the run failing on a missing or ambiguous rate) is done once, in
-- marts.subscription_days, whose mrr every mart adds up; this table shows it per subscription.
CREATE OR REPLACE TABLE marts.subscription_mrr AS
SELECT
    subscription_id,
    account_id,
    start_day,
    end_day,
    currency,
    mrr_native AS mrr,
    rate_date,
    rate,
    mrr AS mrr_reporting
FROM marts.subscription_days
ORDER BY subscription_id;
