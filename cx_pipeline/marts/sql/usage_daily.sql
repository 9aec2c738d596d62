-- Product usage per account, contact, day and event name: the one scan of the events that the
-- usage of every mart reads (account features, contact segments, invitations, onboarding
-- milestones, personas), instead of each scanning staging.resolved_events on its own.
--
-- The rules applied here, once:
--   identity  each event with the account and contact it resolves to (staging.resolved_events);
--             an event with no account or no contact keeps a null there (a row of its own), so
--             account totals still count events no contact could be linked to
--   day       the event's day in the reporting timezone (local_day() with the timezone setting)
--   as-of     events after the as-of date's day are left out: no mart reads them
-- events is how many events fell in the row; last_occurred_at the time of the latest of them
-- (what tells which account a contact's latest event went to, when it had several that day).
-- Marts that need each event (the funnel's order within a day, identity_match_rates' rules)
-- read staging.resolved_events themselves.
--
-- Maintained by day (marts/incremental.py): a row depends only on the events of its own day, so
-- a run replaces the days in days_to_build (a temporary table: the days its changed events,
-- changed identity links and the moved as-of date can affect) and keeps the others. With full
-- true every day is replaced: a first build, and after an erasure, a purge, a full staging
-- rebuild, a change of this file or the shared rules, a new timezone, or an as-of date moved
-- backwards (audit.mart_builds says which). Both paths run these two statements.
DELETE FROM marts.usage_daily
WHERE $full OR day IN (SELECT day FROM days_to_build);

INSERT INTO marts.usage_daily (account_id, contact_id, day, event_name, events, last_occurred_at)
SELECT
    account_id,
    contact_id,
    local_day(occurred_at, $timezone) AS day,
    event_name,
    count(*) AS events,
    max(occurred_at) AS last_occurred_at
FROM staging.resolved_events
WHERE local_day(occurred_at, $timezone) <= CAST($as_of AS DATE)
  AND ($full OR (
      -- since: a day before the first day to replace began (no timezone is 24 hours ahead of
      -- UTC); a plain comparison that lets DuckDB skip the older events before any join
      occurred_at >= $since
      AND local_day(occurred_at, $timezone) IN (SELECT day FROM days_to_build)
  ))
GROUP BY ALL
ORDER BY account_id, contact_id, day, event_name;
