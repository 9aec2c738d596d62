-- Product usage per account, contact, day and event name: the one scan of the events that the
-- usage of every mart reads (account features, contact segments, invitations, onboarding
-- milestones, personas), instead of each scanning staging.resolved_events on its own.
--
-- The rules applied here, once:
--   identity  each event with the account and contact it resolves to (staging.resolved_events);
--             an event with no account or no contact keeps a null there (a row of its own), so
--             account totals still count events no contact could be linked to
--   day       the event's day in the reporting timezone (local_day() with $timezone)
--   as-of     events after the as-of date's day are left out: no mart reads them
-- events is how many events fell in the row; last_occurred_at the time of the latest of them
-- (what tells which account a contact's latest event went to, when it had several that day).
-- Marts that need each event (the funnel's order within a day, identity_match_rates' rules)
-- read staging.resolved_events themselves.
CREATE OR REPLACE TABLE marts.usage_daily AS
SELECT
    account_id,
    contact_id,
    local_day(occurred_at, $timezone) AS day,
    event_name,
    count(*) AS events,
    max(occurred_at) AS last_occurred_at
FROM staging.resolved_events
WHERE local_day(occurred_at, $timezone) <= CAST($as_of AS DATE)
GROUP BY ALL
ORDER BY account_id, contact_id, day, event_name;
