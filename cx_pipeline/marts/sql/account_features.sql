-- What was known about an account at the end of a cut-off day: the candidate drivers of the NPS
-- and churn driver analyses and the inputs of the churn model.
--
-- THE CUT-OFF RULE. A row describes account_id at the end of feature_day and reads only rows
-- whose own timestamp falls on or before that day (reporting timezone): events that occurred,
-- answers submitted, tickets created (a ticket's response time counts once it was answered by
-- the day, its resolution time and CSAT once it was solved by the day), subscriptions started
-- and ended by the day. Nothing recorded after the cut-off can move a feature (the leakage test
-- in cx_pipeline_tests/marts/test_drivers.py plants such rows). The CRM's static attributes
-- (region, employees) are taken as delivered.
--
-- Tenure, as everywhere (spell_tenure_band() in rules.sql): from the start of the account's
-- spell running on the day (marts.customer_spells; whether a spell runs on the day and when it
-- started depends only on subscriptions started and ended by the day), so a return after a gap
-- counts from the return; on a day with no spell running (an answer before the first
-- subscription or in a gap) tenure_months is null and the band 'not a customer'.
-- customer_since is the first day the account was ever active, once that day has come.
--
-- Cut-off days:
--   the last day of each complete month, for the accounts active that day: the churn model's
--     prediction dates (the eve of the next month, whose losses it predicts) and the health
--     score's monthly evaluations (marts.account_health_history), including the last day of
--     the latest complete month, whose next month has no outcome yet
--   the as-of date, for the accounts active on it (the current prediction and health score)
--   the day before each NPS answer, for the answering account (what the customer had lived)
--
-- Windows: usage over the usage window (30 days, rules.sql), the window before it and the
-- account's own baseline (the 90 days before the last window, usage_baseline_windows()); ticket
-- volume and escalations (high/urgent) created in the 90 days to the day; response and
-- resolution times of the tickets created in the 180 days to the day; CSAT of the tickets
-- solved in the 180 days to the day; a detractor answer in the 30 days to the day; the latest
-- answer within 180 days (by its time, then response_id).
--
-- Definitions the health score shares (each was once computed apart in the health history):
--   open_escalations  high/urgent tickets open at the end of the day (ticket_open_on() in
--                     rules.sql: created by the day and not solved by it), however old. Not the
--                     same as escalations_90d: an escalation raised 80 days ago and solved the
--                     next day is history, one raised 100 days ago and still open is a problem
--                     now. The health score penalises what is open (its volume term already
--                     counts the tickets of the 90 days); the driver analyses test the volume.
--   avg_csat_180d     over tickets SOLVED in the 180 days, whenever created: a CSAT answer is
--                     given when its ticket is solved, so the solve is its timestamp, and the
--                     window holds the answers of those 180 days. Counting by creation dropped
--                     the answers to the longest tickets, which are the least satisfied.
--   active_users_30d  contacts with an event in the 30 days; events no contact could be linked
--                     to count as events but give no user. events_per_active_user_30d is 0 when
--                     there is no active user (no per-user figure, never a division by 0).
--
-- MAINTAINED BY CUT-OFF (marts/incremental.py, kind "account_cutoffs"). By the cut-off rule a
-- row changes only when an input row dated on or before its day changes, so a run keeps the
-- rows of unchanged cut-offs and computes:
--   cut-offs that are new (a month newly complete, the new as-of date, a new answer);
--   for an account whose inputs changed since the last build (a subscription, ticket or answer
--     of it added, changed or gone, its CRM attributes changed: found by comparing a digest of
--     each input row with audit.account_features_inputs, kept from the last build), its
--     cut-offs on or after the first day the change can reach (a subscription's start, a
--     ticket's creation, the day before an answer; every cut-off for its CRM attributes);
--   cut-offs within usage_history_days() after a day marts.usage_daily replaced since
--     (the temporary table days_to_build, filled by the builder from audit.mart_builds).
-- Rows of cut-offs the rule no longer gives (yesterday's as-of date) are deleted. With full
-- every row is rebuilt: a first build, after an erasure, a purge, a full rebuild of usage_daily,
-- a change of this file, the shared rules or the SQL of a mart it reads (directly or not), a
-- setting those read, a new timezone, an as-of date moved backwards, or CX_FULL_REBUILD=true
-- (audit.mart_builds says which). Both paths run the same statements.

-- The as-of date, for the view below (a view takes no parameter).
CREATE OR REPLACE TEMP TABLE cutoff_as_of AS SELECT CAST($as_of AS DATE) AS as_of;

-- Every cut-off the rule gives today. A view, not a table: the query below reads the committed
-- marts through it (a large temporary table written in the build's own transaction has no
-- statistics, and the joins planned on it ran four times slower at medium).
CREATE OR REPLACE TEMP VIEW account_cutoffs AS
SELECT DISTINCT account_id, feature_day FROM (
    SELECT account_id, last_day(month) AS feature_day
    FROM marts.customer_months
    WHERE active_at_end
    UNION ALL
    SELECT s.account_id, d.as_of
    FROM marts.subscription_days AS s, cutoff_as_of AS d
    WHERE active_on(s.start_day, s.end_day, d.as_of)
    UNION ALL
    SELECT account_id, submitted_day - 1
    FROM marts.nps_answers
    WHERE account_id IS NOT NULL
);

-- Each input row as these features read it: the account it counts for, the first cut-off day
-- it can move, and a digest of the columns read (customer_months and customer_spells derive
-- from the subscriptions; usage is followed by day, below).
CREATE OR REPLACE TEMP TABLE account_feature_inputs AS
SELECT
    'subscription' AS input,
    subscription_id AS input_key,
    account_id,
    start_day AS from_day,
    hash(account_id, product, plan, start_day, end_day) AS digest
FROM marts.subscription_days
UNION ALL
SELECT
    'ticket',
    ticket_id,
    account_id,
    local_day(created_at, $timezone),
    hash(account_id, created_at, first_response_at, solved_at, status, priority, csat_score)
FROM staging.resolved_tickets
WHERE account_id IS NOT NULL
UNION ALL
SELECT 'answer', response_id, account_id, submitted_day - 1, hash(account_id, submitted_at, score)
FROM marts.nps_answers
WHERE account_id IS NOT NULL
UNION ALL
-- Region and employees are taken as delivered: a change reaches every cut-off.
SELECT 'account', account_id, account_id, CAST('-infinity' AS DATE), hash(region, employees)
FROM staging.accounts;

CREATE TABLE IF NOT EXISTS audit.account_features_inputs (
    input VARCHAR, input_key VARCHAR, account_id VARCHAR, from_day DATE, digest UBIGINT
);

-- Input rows added, changed or gone since the last build: `now` the version of this build,
-- else the last build's (both versions of a changed row count: it may have moved to another
-- account or day).
CREATE OR REPLACE TEMP TABLE changed_inputs AS
SELECT *, true AS now FROM (
    SELECT * FROM account_feature_inputs EXCEPT SELECT * FROM audit.account_features_inputs
)
UNION ALL
SELECT *, false FROM (
    SELECT * FROM audit.account_features_inputs EXCEPT SELECT * FROM account_feature_inputs
);

-- Accounts with a changed input row, and from which day.
CREATE OR REPLACE TEMP TABLE changed_accounts AS
SELECT account_id, min(from_day) AS from_day
FROM changed_inputs
WHERE NOT $full
GROUP BY account_id;

-- The digests kept for the next build: the changed rows replaced (an input row is one per
-- input and key), the rest as they were (rewriting the whole table cost more than the rows it
-- changed); all of them in a full build.
DELETE FROM audit.account_features_inputs
WHERE $full
   OR (input, input_key) IN (SELECT (input, input_key) FROM changed_inputs WHERE NOT now);
INSERT INTO audit.account_features_inputs
SELECT * FROM account_feature_inputs WHERE $full
UNION ALL
SELECT * EXCLUDE (now) FROM changed_inputs WHERE now AND NOT $full;

-- The cut-offs to compute: new ones, those a changed input reaches, those within reach of a
-- replaced usage day; every one in a full build.
CREATE OR REPLACE TEMP TABLE cutoffs_to_build AS
SELECT c.account_id, c.feature_day
FROM account_cutoffs AS c
WHERE $full
   OR NOT EXISTS (
       SELECT 1 FROM marts.account_features AS f
       WHERE f.account_id = c.account_id AND f.feature_day = c.feature_day
   )
   OR EXISTS (
       SELECT 1 FROM changed_accounts AS a
       WHERE a.account_id = c.account_id AND a.from_day <= c.feature_day
   )
   OR EXISTS (
       SELECT 1 FROM days_to_build AS d
       WHERE c.feature_day >= d.day AND c.feature_day < d.day + usage_history_days()
   );

-- Out go the rows to recompute and those of cut-offs the rule no longer gives.
DELETE FROM marts.account_features AS f
WHERE $full
   OR (f.account_id, f.feature_day) IN (SELECT (account_id, feature_day) FROM cutoffs_to_build)
   OR (f.account_id, f.feature_day) NOT IN (SELECT (account_id, feature_day) FROM account_cutoffs);

INSERT INTO marts.account_features (
    account_id,
    feature_day,
    region,
    employees,
    customer_since,
    tenure_months,
    tenure_band,
    plan,
    products_active,
    events_last_30d,
    events_previous_30d,
    events_baseline_90d,
    usage_fell,
    active_users_30d,
    events_per_active_user_30d,
    features_used_30d,
    tickets_90d,
    escalations_90d,
    open_escalations,
    answered_tickets_180d,
    median_first_response_hours_180d,
    slow_first_response,
    median_resolution_hours_180d,
    avg_csat_180d,
    detractor_last_30d,
    last_nps_score
)
WITH subscriptions AS (
    SELECT * FROM marts.subscription_days
),
cutoffs AS (
    SELECT account_id, feature_day
    FROM account_cutoffs
    WHERE $full
       OR (account_id, feature_day) IN (SELECT (account_id, feature_day) FROM cutoffs_to_build)
),
-- The usage history the cut-offs read: for each account, from usage_history_days() before
-- its earliest cut-off on (what the windows below reach; all of it in a full build).
usage_since AS (
    SELECT account_id, min(feature_day) - usage_history_days() AS after
    FROM cutoffs
    GROUP BY account_id
),
subscription_state AS (
    SELECT
        c.account_id,
        c.feature_day,
        count(DISTINCT s.product) FILTER (WHERE active_on(s.start_day, s.end_day, c.feature_day))
            AS products_active,
        coalesce(
            arg_max(s.plan, s.start_day) FILTER (
                WHERE s.product = 'Core' AND active_on(s.start_day, s.end_day, c.feature_day)
            ),
            arg_max(s.plan, s.start_day) FILTER (
                WHERE active_on(s.start_day, s.end_day, c.feature_day)
            ),
            'none'
        ) AS plan
    FROM cutoffs AS c
    LEFT JOIN subscriptions AS s ON s.account_id = c.account_id AND s.start_day <= c.feature_day
    GROUP BY ALL
),
-- Usage, without joining every cut-off to every event of its window (at 40 M events that join
-- ran out of memory): events per account, day, contact and feature (marts.usage_daily, the one
-- scan of the events; no cut-off is after the as-of date, so its as-of filter changes nothing
-- here), which every usage CTE below reads.
event_days AS MATERIALIZED (
    SELECT u.account_id, u.day, u.contact_id, u.event_name, u.events
    FROM marts.usage_daily AS u
    JOIN usage_since AS s ON s.account_id = u.account_id AND u.day > s.after
),
-- Window sums are differences of a running total, looked up by ASOF join.
account_days AS (
    SELECT
        account_id,
        day,
        sum(sum(events)) OVER (PARTITION BY account_id ORDER BY day) AS events_to_date
    FROM event_days
    GROUP BY account_id, day
),
usage_totals AS (
    SELECT
        c.account_id,
        c.feature_day,
        coalesce(now.events_to_date, 0) - coalesce(mid.events_to_date, 0) AS events_last_30d,
        coalesce(mid.events_to_date, 0) - coalesce(old.events_to_date, 0) AS events_previous_30d,
        coalesce(mid.events_to_date, 0) - coalesce(base.events_to_date, 0) AS events_baseline_90d
    FROM (
        SELECT
            account_id,
            feature_day,
            feature_day - usage_window_days() AS window_start,
            feature_day - 2 * usage_window_days() AS previous_start,
            feature_day - (1 + usage_baseline_windows()) * usage_window_days() AS baseline_start
        FROM cutoffs
    ) AS c
    ASOF LEFT JOIN account_days AS now
      ON now.account_id = c.account_id AND now.day <= c.feature_day
    ASOF LEFT JOIN account_days AS mid
      ON mid.account_id = c.account_id AND mid.day <= c.window_start
    ASOF LEFT JOIN account_days AS old
      ON old.account_id = c.account_id AND old.day <= c.previous_start
    ASOF LEFT JOIN account_days AS base
      ON base.account_id = c.account_id AND base.day <= c.baseline_start
),
-- Distinct users (features) are counted as activity spells. A contact is active on day d when
-- one of its event days x has d - 30 < x <= d, i.e. d in [x, x + 30); the spells are those
-- intervals merged per account and contact (feature), so at most one spell of each contact
-- covers any day, and counting the spells that cover the cut-off counts distinct contacts.
active_days AS (
    SELECT DISTINCT account_id, 'user' AS kind, contact_id AS item, day
    FROM event_days
    WHERE contact_id IS NOT NULL
    UNION ALL
    SELECT DISTINCT account_id, 'feature', event_name, day
    FROM event_days
    WHERE event_name IS NOT NULL
),
spell_starts AS (
    SELECT
        *,
        coalesce(
            day >= lag(day) OVER (PARTITION BY account_id, kind, item ORDER BY day)
                + usage_window_days(),
            true
        ) AS starts_spell
    FROM active_days
),
spells AS (
    SELECT account_id, kind, min(day) AS covers_from, max(day) + usage_window_days() AS covers_until
    FROM (
        SELECT
            *,
            sum(CAST(starts_spell AS INTEGER)) OVER (
                PARTITION BY account_id, kind, item ORDER BY day
            ) AS spell
        FROM spell_starts
    )
    GROUP BY account_id, kind, item, spell
),
active_counts AS (
    SELECT
        c.account_id,
        c.feature_day,
        count(*) FILTER (WHERE s.kind = 'user') AS active_users_30d,
        count(*) FILTER (WHERE s.kind = 'feature') AS features_used_30d
    FROM cutoffs AS c
    JOIN spells AS s
      ON s.account_id = c.account_id
     AND s.covers_from <= c.feature_day
     AND s.covers_until > c.feature_day
    GROUP BY ALL
),
usage AS (
    SELECT
        u.account_id,
        u.feature_day,
        CAST(u.events_last_30d AS BIGINT) AS events_last_30d,
        CAST(u.events_previous_30d AS BIGINT) AS events_previous_30d,
        CAST(u.events_baseline_90d AS BIGINT) AS events_baseline_90d,
        coalesce(a.active_users_30d, 0) AS active_users_30d,
        coalesce(a.features_used_30d, 0) AS features_used_30d
    FROM usage_totals AS u
    LEFT JOIN active_counts AS a ON a.account_id = u.account_id AND a.feature_day = u.feature_day
),
tickets AS (
    SELECT
        account_id,
        local_day(created_at, $timezone) AS created_day,
        local_day(first_response_at, $timezone) AS responded_day,
        local_day(solved_at, $timezone) AS solved_day,
        -- The later of its creation and its solve: a ticket matters to a cut-off's 180 days
        -- when this falls in them.
        greatest(local_day(created_at, $timezone), coalesce(local_day(solved_at, $timezone),
                                                            local_day(created_at, $timezone)))
            AS last_touched_day,
        epoch(first_response_at - created_at) / 3600.0 AS first_response_hours,
        epoch(solved_at - created_at) / 3600.0 AS resolution_hours,
        status,
        is_escalation(priority) AS escalation,
        csat_score
    FROM staging.resolved_tickets
    WHERE account_id IN (SELECT account_id FROM usage_since)
),
support AS (
    SELECT
        c.account_id,
        c.feature_day,
        count(t.created_day) FILTER (WHERE t.created_day > c.feature_day - 90) AS tickets_90d,
        count(t.created_day) FILTER (WHERE t.created_day > c.feature_day - 90 AND t.escalation)
            AS escalations_90d,
        count(t.created_day) FILTER (
            WHERE t.created_day > c.feature_day - 180 AND t.responded_day <= c.feature_day
        ) AS answered_tickets_180d,
        avg(t.csat_score) FILTER (
            WHERE t.solved_day > c.feature_day - 180 AND t.solved_day <= c.feature_day
        ) AS avg_csat_180d
    FROM cutoffs AS c
    LEFT JOIN tickets AS t
      ON t.account_id = c.account_id
     AND t.created_day <= c.feature_day
     -- Created in the 180 days (volumes, times), or solved in them (CSAT). One comparison, not
     -- an OR of two: DuckDB joins an OR by comparing every pair (a nested loop, 100 of the
     -- 110 CPU seconds of this query at medium, and hours at large).
     AND t.last_touched_day > c.feature_day - 180
    GROUP BY ALL
),
-- The two medians by rank, not by median(): DuckDB holds each group's values for median()
-- outside its memory limit (a gigabyte more than the limit at large), while the sort of a
-- window stays inside it and spills. Same value as median(): the middle one, or for an even
-- count the mean of the two middle ones.
ticket_hours AS (
    SELECT
        c.account_id, c.feature_day, 'first_response' AS measure, t.first_response_hours AS hours
    FROM cutoffs AS c
    JOIN tickets AS t
      ON t.account_id = c.account_id
     AND t.created_day <= c.feature_day
     AND t.created_day > c.feature_day - 180
     AND t.responded_day <= c.feature_day
    WHERE t.first_response_hours IS NOT NULL
    UNION ALL
    SELECT c.account_id, c.feature_day, 'resolution', t.resolution_hours
    FROM cutoffs AS c
    JOIN tickets AS t
      ON t.account_id = c.account_id
     AND t.created_day <= c.feature_day
     AND t.created_day > c.feature_day - 180
     AND t.solved_day <= c.feature_day
    WHERE t.resolution_hours IS NOT NULL
),
ranked_hours AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY account_id, feature_day, measure ORDER BY hours) AS k,
        count(*) OVER (PARTITION BY account_id, feature_day, measure) AS n
    FROM ticket_hours
),
middle_hours AS (
    SELECT
        account_id,
        feature_day,
        measure,
        (min(hours) + max(hours)) / 2 AS median_hours
    FROM ranked_hours
    WHERE k IN ((n + 1) // 2, n // 2 + 1)
    GROUP BY ALL
),
ticket_medians AS (
    SELECT
        account_id,
        feature_day,
        any_value(median_hours) FILTER (WHERE measure = 'first_response')
            AS median_first_response_hours_180d,
        any_value(median_hours) FILTER (WHERE measure = 'resolution')
            AS median_resolution_hours_180d
    FROM middle_hours
    GROUP BY ALL
),
open_escalations AS (
    SELECT c.account_id, c.feature_day, count(*) AS open_escalations
    FROM cutoffs AS c
    JOIN tickets AS t
      ON t.account_id = c.account_id
     AND t.escalation
     AND ticket_open_on(t.created_day, t.solved_day, t.status, c.feature_day)
    GROUP BY ALL
),
answers AS (
    SELECT
        c.account_id,
        c.feature_day,
        bool_or(n.category = 'detractor' AND n.submitted_day > c.feature_day - 30) OVER w
            AS detractor_last_30d,
        n.score
    FROM cutoffs AS c
    JOIN marts.nps_answers AS n
      ON n.account_id = c.account_id
     AND n.submitted_day > c.feature_day - 180
     AND n.submitted_day <= c.feature_day
    WINDOW w AS (PARTITION BY c.account_id, c.feature_day)
    QUALIFY row_number() OVER (
        PARTITION BY c.account_id, c.feature_day ORDER BY n.submitted_at DESC, n.response_id DESC
    ) = 1
)
SELECT
    c.account_id,
    c.feature_day,
    coalesce(a.region, 'unknown') AS region,
    a.employees,
    CASE WHEN cs.customer_since <= c.feature_day THEN cs.customer_since END AS customer_since,
    whole_months(sp.spell_start, c.feature_day) AS tenure_months,
    spell_tenure_band(sp.spell_start, c.feature_day) AS tenure_band,
    s.plan,
    s.products_active,
    u.events_last_30d,
    u.events_previous_30d,
    u.events_baseline_90d,
    usage_fell(u.events_last_30d, u.events_previous_30d, u.events_baseline_90d) AS usage_fell,
    u.active_users_30d,
    CASE WHEN u.active_users_30d > 0 THEN u.events_last_30d / u.active_users_30d ELSE 0 END
        AS events_per_active_user_30d,
    u.features_used_30d,
    t.tickets_90d,
    t.escalations_90d,
    coalesce(x.open_escalations, 0) AS open_escalations,
    t.answered_tickets_180d,
    m.median_first_response_hours_180d,
    coalesce(m.median_first_response_hours_180d > slow_first_response_hours(), false)
        AS slow_first_response,
    m.median_resolution_hours_180d,
    t.avg_csat_180d,
    coalesce(n.detractor_last_30d, false) AS detractor_last_30d,
    n.score AS last_nps_score
FROM cutoffs AS c
LEFT JOIN subscription_state AS s ON s.account_id = c.account_id AND s.feature_day = c.feature_day
LEFT JOIN marts.customer_spells AS sp
    ON sp.account_id = c.account_id AND active_on(sp.spell_start, sp.spell_end, c.feature_day)
LEFT JOIN marts.customer_spells AS cs ON cs.account_id = c.account_id AND cs.spell_number = 1
LEFT JOIN usage AS u ON u.account_id = c.account_id AND u.feature_day = c.feature_day
LEFT JOIN support AS t ON t.account_id = c.account_id AND t.feature_day = c.feature_day
LEFT JOIN ticket_medians AS m ON m.account_id = c.account_id AND m.feature_day = c.feature_day
LEFT JOIN open_escalations AS x
    ON x.account_id = c.account_id AND x.feature_day = c.feature_day
LEFT JOIN answers AS n ON n.account_id = c.account_id AND n.feature_day = c.feature_day
LEFT JOIN staging.accounts AS a ON a.account_id = c.account_id
ORDER BY c.account_id, c.feature_day;
