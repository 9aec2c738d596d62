-- One row per survey invitation sent up to the as-of date, with what became of it and who it
-- went to, each taken on the day it was sent: the building block of response rates and of the
-- responders' and non-responders' profiles.
--   delivered          not bounced (the base of every rate: a bounce never reached anyone)
--   answered           it carries the response_id of the answer it brought
--   opened             it has an opened_at, or was answered (an answer was opened: in-app and
--                      link surveys often record no open)
--   account, contact   as resolved by staging.resolved_survey_invitations: the invitation's own
--                      account, else the contact's (by id or e-mail), else its e-mail's domain
--   revenue_tier       the account's tier as of the as-of date (marts.account_revenue, the one
--                      revenue rule), as on its answers in marts.nps_answers, so the responders
--                      and the silent are split by the same rule
--   events_30d_before  the invited contact's product events on the usage_window_days() days
--                      before the sent day (the sent day itself not included), from
--                      marts.usage_daily; null when product analytics is not delivered or the
--                      invitation has no contact
--   last_nps_category  nps_category() of the contact's latest answer submitted before the
--                      invitation was sent; 'unknown' when they never answered before
-- Anything unknown is 'unknown', never dropped. An invitation sent shortly before the as-of date
-- may still be answered: recent months' rates can rise on later deliveries.
--
-- MAINTAINED BY INVITATION (marts/incremental.py, kind "keys", key invitation_id). A row reads
-- only its invitation, its account's region and tier, the contact's answers before the send and
-- the contact's usage on the window's days. So a run compares a digest of all but the usage
-- (audit.invitation_outcomes_inputs) with the last build's, and rewrites the invitations added,
-- changed or gone, and those whose usage window holds a day marts.usage_daily replaced since
-- (days_to_build). With full every row is rebuilt: a first build, after an erasure, a purge, a
-- full rebuild of usage_daily, a change of this file, the shared rules or what it reads, a
-- setting it reads, a new timezone, an as-of date moved backwards, or CX_FULL_REBUILD=true
-- (audit.mart_builds says which). Both paths run the same statements.

-- 1. Every invitation with all it reads but the usage.
CREATE OR REPLACE TEMP TABLE invitation_rows AS
WITH invitations AS (
    SELECT
        i.invitation_id,
        i.contact_id,
        i.account_id,
        i.survey_id,
        i.touchpoint,
        i.channel,
        i.sent_at,
        local_day(i.sent_at, $timezone) AS sent_day,
        local_month(i.sent_at, $timezone) AS month,
        NOT coalesce(i.bounced, false) AS delivered,
        i.opened_at IS NOT NULL OR i.response_id IS NOT NULL AS opened,
        i.response_id IS NOT NULL AS answered,
        coalesce(i.unsubscribed, false) AS unsubscribed,
        i.response_id
    FROM staging.resolved_survey_invitations AS i
    WHERE local_day(i.sent_at, $timezone) <= $as_of
),
-- The contact's latest answer before the send (ties at one instant: the last response id),
-- by ASOF join: ranking every earlier answer of the contact was most of this query's time.
answers AS (
    SELECT contact_id, submitted_at, arg_max(score, response_id) AS score
    FROM staging.resolved_nps_responses
    WHERE contact_id IS NOT NULL
    GROUP BY contact_id, submitted_at
),
answer_before AS (
    SELECT i.invitation_id, nps_category(r.score) AS category
    FROM invitations AS i
    ASOF JOIN answers AS r ON r.contact_id = i.contact_id AND r.submitted_at < i.sent_at
)
SELECT
    i.*,
    coalesce(a.region, 'unknown') AS region,
    CASE WHEN a.account_id IS NULL THEN 'unknown'
         ELSE coalesce(r.revenue_tier, 'unknown')
    END AS revenue_tier,
    coalesce(b.category, 'unknown') AS last_nps_category
FROM invitations AS i
LEFT JOIN staging.accounts AS a ON a.account_id = i.account_id
LEFT JOIN marts.account_revenue AS r ON r.account_id = i.account_id
LEFT JOIN answer_before AS b ON b.invitation_id = i.invitation_id;

-- 2. The invitations to (re)write: every one in a full build, or when no digest of the last
-- build is kept (the table is then rewritten whole); else those added, changed or gone since
-- the last build (both versions of a changed one count), and those whose usage window
-- (usage_window_days() days before the sent day) holds a day usage_daily replaced.
CREATE TABLE IF NOT EXISTS audit.invitation_outcomes_inputs (invitation_id VARCHAR, digest UBIGINT);
CREATE OR REPLACE TEMP TABLE rewrite_all AS
SELECT $full OR NOT EXISTS (SELECT 1 FROM audit.invitation_outcomes_inputs) AS yes;
CREATE OR REPLACE TEMP TABLE invitation_digests AS
SELECT invitation_id, hash(r) AS digest FROM invitation_rows AS r;  -- the whole row
CREATE OR REPLACE TEMP TABLE keys_to_build AS
SELECT invitation_id FROM invitation_rows WHERE (SELECT yes FROM rewrite_all)
UNION
SELECT invitation_id FROM (
    (SELECT * FROM invitation_digests EXCEPT SELECT * FROM audit.invitation_outcomes_inputs)
    UNION ALL
    (SELECT * FROM audit.invitation_outcomes_inputs EXCEPT SELECT * FROM invitation_digests)
)
UNION
SELECT invitation_id FROM invitation_rows
WHERE contact_id IS NOT NULL
  AND EXISTS (
      SELECT 1 FROM days_to_build AS d
      WHERE d.day >= sent_day - usage_window_days() AND d.day < sent_day
  );
-- The digests kept for the next build: those of the keys rewritten replaced, the rest as
-- they were (rewriting the whole table cost more than the rows it changed).
DELETE FROM audit.invitation_outcomes_inputs
WHERE (SELECT yes FROM rewrite_all) OR invitation_id IN (SELECT invitation_id FROM keys_to_build);
INSERT INTO audit.invitation_outcomes_inputs
SELECT * FROM invitation_digests
WHERE (SELECT yes FROM rewrite_all) OR invitation_id IN (SELECT invitation_id FROM keys_to_build);

-- 3. The mart: those invitations with their usage before the send.
DELETE FROM marts.invitation_outcomes
WHERE (SELECT yes FROM rewrite_all) OR invitation_id IN (SELECT invitation_id FROM keys_to_build);

INSERT INTO marts.invitation_outcomes (
    invitation_id, sent_day, month, contact_id, account_id, survey_id, touchpoint, channel,
    region, revenue_tier, delivered, opened, answered, unsubscribed, response_id,
    events_30d_before, last_nps_category
)
WITH rebuilt AS (
    SELECT * FROM invitation_rows
    WHERE invitation_id IN (SELECT invitation_id FROM keys_to_build)
),
usage_before AS (
    SELECT i.invitation_id, CAST(sum(u.events) AS BIGINT) AS events
    FROM rebuilt AS i
    JOIN marts.usage_daily AS u
      ON u.contact_id = i.contact_id
     AND u.day >= i.sent_day - usage_window_days()
     AND u.day < i.sent_day
    GROUP BY i.invitation_id
)
SELECT
    i.invitation_id,
    i.sent_day,
    i.month,
    i.contact_id,
    i.account_id,
    coalesce(i.survey_id, 'unknown') AS survey_id,
    coalesce(i.touchpoint, 'unknown') AS touchpoint,
    coalesce(i.channel, 'unknown') AS channel,
    i.region,
    i.revenue_tier,
    i.delivered,
    i.opened,
    i.answered,
    i.unsubscribed,
    i.response_id,
    CASE WHEN $has_events AND i.contact_id IS NOT NULL THEN coalesce(u.events, 0) END
        AS events_30d_before,
    i.last_nps_category
FROM rebuilt AS i
LEFT JOIN usage_before AS u ON u.invitation_id = i.invitation_id;
