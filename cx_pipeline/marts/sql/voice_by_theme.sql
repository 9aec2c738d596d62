-- What each NPS band talks about: themes by NPS category, so teams see what detractors
-- complain about and what promoters love. Read from marts.feedback_themes (rules there).
--
-- A cell is (source, nps_category, theme). source is 'nps_comment', 'survey_reason', 'ticket',
-- 'interview', or 'all' for them together; nps_category is the band of the item's NPS answer
-- (its own for comments, that of the same response for survey reasons, the contact's latest
-- on or before that day for tickets and interviews), or 'no answer'. Every theme of the
-- taxonomy, plus 'none' (items naming no theme), has a row in
-- every (source, category) that has items, with 0 mentions when nobody mentioned it.
--   mentions                items of the cell that mention the theme
--   share_of_category_pct   mentions / items of that source and category x 100; an item can
--                           mention several themes, so shares add up to more than 100
--   avg_sentiment           mean sentiment score (-1 to +1) of those items
--   theme_rank              1 = the most mentioned theme of the (source, category), ties by
--                           name; only themes with mentions are ranked, 'none' is not
--   example_text            a representative mention: the one whose sentiment is closest to
--                           the cell's average, preferring texts of 20 to 160 characters, then
--                           the shorter, then the first item id (and source); cut at 160
--                           characters
CREATE OR REPLACE TABLE marts.voice_by_theme AS
WITH mentions AS (
    -- The text's length only: the few example texts are fetched at the end.
    SELECT
        source,
        source AS item_source,
        item_id,
        coalesce(nps_category, 'no answer') AS nps_category,
        theme,
        sentiment_score,
        sentiment,
        is_actionable,
        length(text) AS text_length
    FROM marts.feedback_themes
),
all_sources AS (
    SELECT * FROM mentions
    UNION ALL
    SELECT * REPLACE ('all' AS source) FROM mentions
),
category_items AS (
    SELECT coalesce(source, 'all') AS source, nps_category, count(*) AS items
    FROM (SELECT DISTINCT source, item_id, nps_category FROM mentions)
    GROUP BY GROUPING SETS ((source, nps_category), (nps_category))
),
themes AS (
    SELECT DISTINCT theme FROM raw.voc_taxonomy
    UNION
    SELECT 'none'
),
cell_stats AS (
    SELECT
        source,
        nps_category,
        theme,
        count(*) AS mentions,
        avg(sentiment_score) AS avg_sentiment,
        count(*) FILTER (WHERE sentiment = 'negative') AS negative_mentions,
        count(*) FILTER (WHERE is_actionable) AS actionable_mentions
    FROM all_sources
    GROUP BY source, nps_category, theme
),
example_items AS (
    SELECT
        a.source,
        a.nps_category,
        a.theme,
        arg_min(
            {'source': a.item_source, 'item_id': a.item_id},
            {
                'outside_length': a.text_length NOT BETWEEN 20 AND 160,
                -- rounded, so two texts as close as each other tie in fact, not by float
                -- noise; no score (an unsupported language) comes last
                'distance': coalesce(round(abs(a.sentiment_score - s.avg_sentiment), 6), 'inf'),
                'length': a.text_length,
                'item_id': a.item_id,
                'source': a.item_source
            }
        ) AS item
    FROM all_sources AS a
    JOIN cell_stats AS s USING (source, nps_category, theme)
    GROUP BY ALL
),
examples AS (
    SELECT
        e.source,
        e.nps_category,
        e.theme,
        CASE WHEN length(f.text) > 160 THEN left(f.text, 157) || '...' ELSE f.text END
            AS example_text
    FROM example_items AS e
    JOIN marts.feedback_themes AS f
        ON f.source = e.item.source AND f.item_id = e.item.item_id
    QUALIFY row_number() OVER (PARTITION BY e.source, e.nps_category, e.theme ORDER BY f.theme) = 1
),
cells AS (
    SELECT
        c.source,
        c.nps_category,
        t.theme,
        c.items AS category_items,
        coalesce(s.mentions, 0) AS mentions,
        100.0 * coalesce(s.mentions, 0) / c.items AS share_of_category_pct,
        s.avg_sentiment,
        coalesce(s.negative_mentions, 0) AS negative_mentions,
        coalesce(s.actionable_mentions, 0) AS actionable_mentions,
        e.example_text
    FROM category_items AS c
    CROSS JOIN themes AS t
    LEFT JOIN cell_stats AS s USING (source, nps_category, theme)
    LEFT JOIN examples AS e USING (source, nps_category, theme)
)
SELECT
    source,
    nps_category,
    theme,
    category_items,
    mentions,
    share_of_category_pct,
    avg_sentiment,
    negative_mentions,
    actionable_mentions,
    CASE WHEN theme <> 'none' AND mentions > 0 THEN
        row_number() OVER (
            PARTITION BY source, nps_category, theme <> 'none' AND mentions > 0
            ORDER BY mentions DESC, theme
        )
    END AS theme_rank,
    example_text
FROM cells
ORDER BY
    CASE source
        WHEN 'all' THEN 0 WHEN 'nps_comment' THEN 1 WHEN 'survey_reason' THEN 2
        WHEN 'ticket' THEN 3 ELSE 4
    END,
    CASE nps_category
        WHEN 'promoter' THEN 0 WHEN 'passive' THEN 1 WHEN 'detractor' THEN 2 ELSE 3
    END,
    theme_rank NULLS LAST,
    theme;
