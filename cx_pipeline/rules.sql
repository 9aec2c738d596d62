-- Business rules, defined once. Installed as temporary macros on every warehouse connection,
-- so staging, marts and ad-hoc queries all use the same definitions.

-- NPS bands: promoter 9-10, passive 7-8, detractor 0-6.
CREATE OR REPLACE TEMP MACRO nps_category(score) AS
    CASE
        WHEN score BETWEEN 9 AND 10 THEN 'promoter'
        WHEN score BETWEEN 7 AND 8 THEN 'passive'
        WHEN score BETWEEN 0 AND 6 THEN 'detractor'
    END;

-- NPS = 100 x (promoters - detractors) / responses; null when there are no responses.
CREATE OR REPLACE TEMP MACRO nps(promoters, detractors, responses) AS
    CASE WHEN responses > 0 THEN 100.0 * (promoters - detractors) / responses END;

-- 95% margin of error of NPS, in NPS points, from the adjusted Wald interval
-- (add 3/4 to promoters and detractors and 3 to the responses; Sauro & Lewis).
CREATE OR REPLACE TEMP MACRO nps_moe_95(promoters, detractors, responses) AS
    CASE WHEN responses > 0 THEN
        100.0 * 1.96 * sqrt(
            ((promoters + 0.75) / (responses + 3.0)
             + (detractors + 0.75) / (responses + 3.0)
             - pow((promoters + 0.75) / (responses + 3.0)
                   - (detractors + 0.75) / (responses + 3.0), 2))
            / (responses + 3.0))
    END;

-- Revenue tier from ARR with configurable cut-offs (defaults 10k and 100k).
CREATE OR REPLACE TEMP MACRO revenue_tier(arr, mid_market_from, enterprise_from) AS
    CASE
        WHEN arr IS NULL THEN 'unknown'
        WHEN arr >= enterprise_from THEN 'enterprise'
        WHEN arr >= mid_market_from THEN 'mid-market'
        ELSE 'SMB'
    END;

-- Tenure bands from whole months as a customer.
CREATE OR REPLACE TEMP MACRO tenure_band(months) AS
    CASE
        WHEN months IS NULL THEN 'unknown'
        WHEN months < 6 THEN '0-5 months'
        WHEN months < 12 THEN '6-11 months'
        WHEN months < 24 THEN '1-2 years'
        ELSE '2+ years'
    END;

-- The calendar day of a UTC timestamp in the reporting timezone.
CREATE OR REPLACE TEMP MACRO local_day(ts, tz) AS CAST(timezone(tz, ts) AS DATE);

-- The first day of the calendar month of a UTC timestamp in the reporting timezone.
CREATE OR REPLACE TEMP MACRO local_month(ts, tz) AS
    CAST(date_trunc('month', timezone(tz, ts)) AS DATE);
