-- The qualitative tracker: each segment with what its people say. Segments are those of
-- marts.account_segments (journey_stage, revenue_tier, region: an item belongs to the segment
-- of its account) and of marts.contact_segments (influence_level, power_user: an item belongs
-- to the segment of the contact who said it), as of the as-of date; items are every NPS
-- comment, ticket and interview in marts.feedback_themes, whatever their date.
--   accounts, contacts   members of the segment (for a contact segment, the accounts of its
--                        contacts; for an account segment, the contacts of its accounts)
--   top themes           the three themes mentioned by most items, ties by name ('none' is
--                        not a theme here)
--   share_negative_pct   negative items / items x 100; null without items
--   sample_quotes        for each top theme in rank order, the latest item that mentions it
--                        (ties by item id, then source), preferring items that mention no
--                        better-ranked top theme; a text already quoted is not repeated; cut
--                        at 200 characters
CREATE OR REPLACE TABLE marts.segment_tracker AS
WITH account_members AS (
    SELECT 'journey_stage' AS segment_type, journey_stage AS segment, account_id
    FROM marts.account_segments
    UNION ALL
    SELECT 'revenue_tier', revenue_tier, account_id FROM marts.account_segments
    UNION ALL
    SELECT 'region', coalesce(region, 'unknown'), account_id FROM marts.account_segments
),
contact_members AS (
    SELECT 'influence_level' AS segment_type, influence_level AS segment, contact_id, account_id
    FROM marts.contact_segments
    UNION ALL
    SELECT
        'power_user',
        CASE WHEN is_power_user THEN 'power user' ELSE 'other user' END,
        contact_id,
        account_id
    FROM marts.contact_segments
),
segment_sizes AS (
    SELECT
        m.segment_type,
        m.segment,
        count(DISTINCT m.account_id) AS accounts,
        count(DISTINCT c.contact_id) AS contacts
    FROM account_members AS m
    LEFT JOIN marts.contact_segments AS c ON c.account_id = m.account_id
    GROUP BY m.segment_type, m.segment
    UNION ALL
    SELECT segment_type, segment, count(DISTINCT account_id), count(DISTINCT contact_id)
    FROM contact_members
    GROUP BY segment_type, segment
),
-- Each item once, with its themes and without its text: a segment's counts and its choice of
-- quotes need only these, and the few quoted texts are fetched at the end.
items AS (
    SELECT
        source,
        item_id,
        any_value(account_id) AS account_id,
        any_value(contact_id) AS contact_id,
        any_value(said_on) AS said_on,
        any_value(sentiment) AS sentiment,
        coalesce(list(theme) FILTER (WHERE theme <> 'none'), []) AS themes
    FROM marts.feedback_themes
    GROUP BY source, item_id
),
-- What the items of each (account, contact) add up to: a segment's counts and top themes are
-- the sums of its members' (an account's rows for an account segment, a contact's for a contact
-- segment), so no item is repeated once per segment to count them.
member_items AS (
    SELECT
        account_id,
        contact_id,
        count(*) AS items,
        count(*) FILTER (WHERE source = 'nps_comment') AS nps_comments,
        count(*) FILTER (WHERE source = 'ticket') AS tickets,
        count(*) FILTER (WHERE source = 'interview') AS interviews,
        count(*) FILTER (WHERE sentiment = 'negative') AS negative_items
    FROM items
    GROUP BY account_id, contact_id
),
member_themes AS (
    SELECT account_id, contact_id, theme, count(*) AS mentions
    FROM (SELECT account_id, contact_id, unnest(themes) AS theme FROM items)
    GROUP BY account_id, contact_id, theme
),
segment_items AS (
    SELECT
        m.segment_type,
        m.segment,
        CAST(sum(t.items) AS BIGINT) AS items,
        CAST(sum(t.nps_comments) AS BIGINT) AS nps_comments,
        CAST(sum(t.tickets) AS BIGINT) AS tickets,
        CAST(sum(t.interviews) AS BIGINT) AS interviews,
        CAST(sum(t.negative_items) AS BIGINT) AS negative_items
    FROM account_members AS m
    JOIN member_items AS t ON t.account_id = m.account_id
    GROUP BY m.segment_type, m.segment
    UNION ALL
    SELECT
        m.segment_type,
        m.segment,
        CAST(sum(t.items) AS BIGINT),
        CAST(sum(t.nps_comments) AS BIGINT),
        CAST(sum(t.tickets) AS BIGINT),
        CAST(sum(t.interviews) AS BIGINT),
        CAST(sum(t.negative_items) AS BIGINT)
    FROM contact_members AS m
    JOIN member_items AS t ON t.contact_id = m.contact_id
    GROUP BY m.segment_type, m.segment
),
top_themes AS (
    SELECT
        segment_type,
        segment,
        theme,
        mentions,
        row_number() OVER (
            PARTITION BY segment_type, segment ORDER BY mentions DESC, theme
        ) AS theme_rank
    FROM (
        SELECT m.segment_type, m.segment, t.theme, CAST(sum(t.mentions) AS BIGINT) AS mentions
        FROM account_members AS m
        JOIN member_themes AS t ON t.account_id = m.account_id
        GROUP BY m.segment_type, m.segment, t.theme
        UNION ALL
        SELECT m.segment_type, m.segment, t.theme, CAST(sum(t.mentions) AS BIGINT)
        FROM contact_members AS m
        JOIN member_themes AS t ON t.contact_id = m.contact_id
        GROUP BY m.segment_type, m.segment, t.theme
    )
    QUALIFY theme_rank <= 3
),
segment_top AS (
    SELECT segment_type, segment, list(theme ORDER BY theme_rank) AS top
    FROM top_themes
    GROUP BY segment_type, segment
),
-- Each item under each of its segments, with that segment's top themes: read once, in one pass,
-- to choose the quotes.
segment_mentions AS (
    SELECT m.segment_type, m.segment, s.top, i.source, i.item_id, i.said_on, i.themes
    FROM items AS i
    JOIN account_members AS m ON m.account_id = i.account_id
    JOIN segment_top AS s ON s.segment_type = m.segment_type AND s.segment = m.segment
    UNION ALL
    SELECT m.segment_type, m.segment, s.top, i.source, i.item_id, i.said_on, i.themes
    FROM items AS i
    JOIN contact_members AS m ON m.contact_id = i.contact_id
    JOIN segment_top AS s ON s.segment_type = m.segment_type AND s.segment = m.segment
),
-- For each top theme, the items that mention it, with the best rank among the segment's top
-- themes that each mentions (so that a quote for theme 2 is not one about theme 1).
theme_items AS (
    SELECT
        m.segment_type,
        m.segment,
        r.theme_rank,
        m.source,
        m.item_id,
        m.said_on,
        list_position([list_contains(m.themes, theme) FOR theme IN m.top], true) AS first_rank
    FROM segment_mentions AS m
    CROSS JOIN (VALUES (1), (2), (3)) AS r(theme_rank)
    WHERE r.theme_rank <= len(m.top) AND list_contains(m.themes, m.top[r.theme_rank])
),
latest_items AS (
    SELECT
        segment_type,
        segment,
        theme_rank,
        arg_max(
            {'source': source, 'item_id': item_id},
            (first_rank = theme_rank, said_on, item_id, source)
        ) AS item
    FROM theme_items
    GROUP BY segment_type, segment, theme_rank
),
latest_quotes AS (
    SELECT
        l.segment_type,
        l.segment,
        l.theme_rank,
        CASE WHEN length(f.text) > 200 THEN left(f.text, 197) || '...' ELSE f.text END AS quote
    FROM latest_items AS l
    JOIN marts.feedback_themes AS f
        ON f.source = l.item.source AND f.item_id = l.item.item_id
    QUALIFY row_number() OVER (
        PARTITION BY l.segment_type, l.segment, l.theme_rank ORDER BY f.theme
    ) = 1
),
segment_themes AS (
    SELECT
        t.segment_type,
        t.segment,
        max(t.theme) FILTER (WHERE t.theme_rank = 1) AS top_theme_1,
        max(t.mentions) FILTER (WHERE t.theme_rank = 1) AS top_theme_1_mentions,
        max(t.theme) FILTER (WHERE t.theme_rank = 2) AS top_theme_2,
        max(t.mentions) FILTER (WHERE t.theme_rank = 2) AS top_theme_2_mentions,
        max(t.theme) FILTER (WHERE t.theme_rank = 3) AS top_theme_3,
        max(t.mentions) FILTER (WHERE t.theme_rank = 3) AS top_theme_3_mentions
    FROM top_themes AS t
    GROUP BY t.segment_type, t.segment
),
segment_quotes AS (
    SELECT segment_type, segment, list(quote ORDER BY theme_rank) AS quotes
    FROM (
        SELECT *
        FROM latest_quotes
        QUALIFY row_number() OVER (
            PARTITION BY segment_type, segment, quote ORDER BY theme_rank
        ) = 1
    )
    GROUP BY segment_type, segment
)
SELECT
    s.segment_type,
    s.segment,
    s.accounts,
    s.contacts,
    coalesce(i.items, 0) AS items,
    coalesce(i.nps_comments, 0) AS nps_comments,
    coalesce(i.tickets, 0) AS tickets,
    coalesce(i.interviews, 0) AS interviews,
    t.top_theme_1,
    t.top_theme_1_mentions,
    t.top_theme_2,
    t.top_theme_2_mentions,
    t.top_theme_3,
    t.top_theme_3_mentions,
    coalesce(i.negative_items, 0) AS negative_items,
    100.0 * i.negative_items / nullif(i.items, 0) AS share_negative_pct,
    coalesce(q.quotes, []) AS sample_quotes
FROM segment_sizes AS s
LEFT JOIN segment_items AS i USING (segment_type, segment)
LEFT JOIN segment_themes AS t USING (segment_type, segment)
LEFT JOIN segment_quotes AS q USING (segment_type, segment)
ORDER BY
    CASE s.segment_type
        WHEN 'journey_stage' THEN 0 WHEN 'revenue_tier' THEN 1 WHEN 'region' THEN 2
        WHEN 'influence_level' THEN 3 ELSE 4
    END,
    s.segment;
