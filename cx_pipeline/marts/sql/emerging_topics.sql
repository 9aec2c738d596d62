-- What customers write about that the taxonomy does not name yet: the frequent words and
-- two-word phrases of the items of marts.feedback_themes that got no theme ('none'), week by
-- week, compared with the four weeks before, so a new complaint shows the week it starts.
--
-- Items: every NPS comment, survey reason, ticket and interview note of marts.feedback_themes
-- with theme 'none', except generic praise ("Great product!": is_generic_praise, which names
-- nothing to act on), in the calendar week (Monday to Sunday, reporting timezone) of its day.
-- Words: the text lower-cased, contractions spelled out as feedback_themes reads them ("don't"
-- reads "do not"), cut into words of letters (any alphabet); words of fewer than 3 letters and
-- the stop words of raw.voc_stop_words (any language) are left out.
--   term           a word, or two words that follow each other in the text (both kept words)
-- Segments: 'all' items; 'nps_category' (the item's band in feedback_themes: promoter, passive,
-- detractor, or 'no answer'); 'revenue_tier' (the account's tier in marts.account_segments, as
-- of the as-of date; 'unknown' without a known account).
--   items           items of the week and segment whose text holds the term (each item once)
--   week_items      items with no theme in the week and segment (the denominator)
--   share_pct       items / week_items x 100
--   previous_items  items of the same segment holding the term in the four weeks before
--   is_new          2 items or more this week and none in the four weeks before
--   topic_rank      1 = the term of most items in the week and segment; ties: new first, then
--                   the longer term (a phrase before its words), then by name
--   example_text    an item holding the term: 20 to 160 characters preferred, then the
--                   shorter, then the first item id; cut at 160 characters
-- Only terms of 2 items or more in the week and segment are kept: one mention is not a topic.
CREATE OR REPLACE TABLE marts.emerging_topics AS
WITH untagged AS (
    SELECT DISTINCT
        f.source,
        f.item_id,
        f.account_id,
        date_trunc('week', f.said_on)::DATE AS week,
        coalesce(f.nps_category, 'no answer') AS nps_category,
        f.text
    FROM marts.feedback_themes AS f
    WHERE f.theme = 'none' AND NOT f.is_generic_praise
),
segmented AS (
    SELECT u.*, 'all' AS segment_type, 'all' AS segment FROM untagged AS u
    UNION ALL
    SELECT u.*, 'nps_category', u.nps_category FROM untagged AS u
    UNION ALL
    SELECT u.*, 'revenue_tier', coalesce(a.revenue_tier, 'unknown')
    FROM untagged AS u
    LEFT JOIN marts.account_segments AS a ON a.account_id = u.account_id
),
stop_words AS (
    -- a blank line of the CSV is no stop word (a null here would make NOT IN drop every word)
    SELECT DISTINCT lower(word) AS word FROM raw.voc_stop_words WHERE word IS NOT NULL
),
words AS (
    SELECT u.source, u.item_id, w.word, w.position
    FROM untagged AS u,
        unnest(regexp_extract_all(
            replace(replace(lower(u.text), 'n''t', ' not'), 'n’t', ' not'), '\p{L}+'
        )) WITH ORDINALITY AS w(word, position)
),
kept AS (
    SELECT w.*
    FROM words AS w
    WHERE length(w.word) >= 3 AND w.word NOT IN (SELECT word FROM stop_words)
),
terms AS (
    SELECT DISTINCT source, item_id, word AS term FROM kept
    UNION
    -- Two kept words next to each other in the text.
    SELECT a.source, a.item_id, a.word || ' ' || b.word
    FROM kept AS a
    JOIN kept AS b
        ON b.source = a.source AND b.item_id = a.item_id AND b.position = a.position + 1
),
counts AS (
    SELECT s.week, s.segment_type, s.segment, t.term, count(*) AS items
    FROM segmented AS s
    JOIN terms AS t USING (source, item_id)
    GROUP BY s.week, s.segment_type, s.segment, t.term
),
week_items AS (
    SELECT week, segment_type, segment, count(*) AS week_items
    FROM segmented
    GROUP BY week, segment_type, segment
),
compared AS (
    SELECT *
    FROM (
        SELECT
            *,
            coalesce(sum(items) OVER (
                PARTITION BY segment_type, segment, term
                ORDER BY week
                RANGE BETWEEN INTERVAL 28 DAY PRECEDING AND INTERVAL 7 DAY PRECEDING
            ), 0)::BIGINT AS previous_items
        FROM counts
    )
    WHERE items >= 2
),
examples AS (
    SELECT
        s.week,
        s.segment_type,
        s.segment,
        t.term,
        CASE WHEN length(s.text) > 160 THEN left(s.text, 157) || '...' ELSE s.text END
            AS example_text
    FROM segmented AS s
    JOIN terms AS t USING (source, item_id)
    SEMI JOIN compared AS c USING (week, segment_type, segment, term)
    QUALIFY row_number() OVER (
        PARTITION BY s.week, s.segment_type, s.segment, t.term
        ORDER BY length(s.text) BETWEEN 20 AND 160 DESC, length(s.text), s.item_id, s.source
    ) = 1
)
SELECT
    c.week,
    c.segment_type,
    c.segment,
    c.term,
    c.items,
    w.week_items,
    100.0 * c.items / w.week_items AS share_pct,
    c.previous_items,
    c.previous_items = 0 AS is_new,
    row_number() OVER (
        PARTITION BY c.week, c.segment_type, c.segment
        ORDER BY c.items DESC, c.previous_items = 0 DESC, length(c.term) DESC, c.term
    ) AS topic_rank,
    e.example_text
FROM compared AS c
JOIN week_items AS w USING (week, segment_type, segment)
JOIN examples AS e USING (week, segment_type, segment, term)
ORDER BY
    c.week DESC,
    CASE c.segment_type WHEN 'all' THEN 0 WHEN 'nps_category' THEN 1 ELSE 2 END,
    c.segment,
    topic_rank;
