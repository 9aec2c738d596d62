-- What customers say, tagged with themes and sentiment: one row per (text item, theme).
--
-- Items: NPS comments, survey reasons (answers to a reason question of survey_answers, "what
-- is the main reason for your score?"), support tickets (subject and first message) and
-- interview notes (with their tags, which are read like the notes: a tag 'pricing' is a
-- pricing mention), said on or before the as-of date; empty texts are not items.
-- Who said it: the NPS score of a comment is the answer's own; a survey reason gets the NPS
-- score of the same response (its nps answer in survey_answers, else the nps_responses row
-- with that response id; none: null); a ticket or an interview gets the contact's latest NPS
-- answer on or before that day (none: null).
--
-- Themes come from the keywords in raw.voc_taxonomy, requests from raw.voc_lexicon. Both are
-- matched the same way: the text is lower-cased, contractions are spelled out ("don't" reads
-- "do not"), it is cut into clauses at punctuation and each clause into words (letters and
-- digits of any alphabet, so "supportive" or "supporté" never count as "support"). A keyword
-- or lexicon term matches whole words in one clause; a '*' in a keyword stands for any ending;
-- a keyword with a leading '-' is an exception: a clause holding it names not that theme
-- ("-how do i fix": "how do I fix this?" asks about a fault, not about ease of use).
--   theme        every theme with a matching keyword gets a row; no match at all: 'none'
--   language     text_sentiment(text).language: the text's language (py3langid, ISO 639-1;
--                cx_pipeline/text.py)
--   sentiment    text_sentiment(text), computed in Python by the classifier that ships with
--                the project (cx_pipeline/text.py: one logistic regression per language, en,
--                de, es, fr, pt, over words, word pairs and character n-grams, with negation
--                marked to the next punctuation, the clause after "but" weighted, and VADER's
--                scores as inputs in English). score = 2p - 1, p its probability of positive;
--                inside the language's neutral band the sentiment is neutral. A text in any
--                other language has no score and the sentiment 'unsupported' (never 'neutral').
--   actionable   a concrete problem or request: the item has a theme and is negative, or
--                names a problem (a 'negative' term of raw.voc_lexicon: "not loading",
--                "can't log in", "locked out"; a CX word list that knows support phrasing
--                a general model may not), or uses a request word ('please', 'need', 'wish',
--                'should', 'missing'...). A negator ('not', 'never', 'no'...) up to three
--                words before a term in the same clause negates it ("we don't need more
--                dashboards" is no request), and a longer lexicon phrase hides a term inside
--                it ("would love" is a request, "quick question" nothing)
--   generic      positive praise naming no theme, no problem and asking for nothing ("Great
--                product!")
-- Personal data in the text is masked downstream; here the text is kept as delivered.
--
-- The analysis of a text depends on nothing but the text, the taxonomy, the lexicon and the
-- analyser, so each distinct text is analysed once and kept in marts._text_analysis (by md5
-- of the text, with a fingerprint of taxonomy, lexicon, analyser version and these rules): a
-- daily run analyses only the texts it has not seen. Bump the version in `vocabulary` below
-- when the rules change.
--
-- MAINTAINED BY ITEM (marts/incremental.py, kind "keys", key source and item_id). An item's rows read only the item
-- (who said it, when, its NPS score, its text) and its text's analysis, so a run keeps the rows
-- of the other items and rewrites those whose digest of these (with the vocabulary's
-- fingerprint) differs from the last build's (audit.feedback_themes_inputs), and drops the
-- items no longer said. With full every row is rebuilt: a first build, after an erasure, a
-- purge, a change of this file, the shared rules or the staging views it reads, a setting it
-- reads (the analyser), a new timezone, an as-of date moved backwards, or CX_FULL_REBUILD=true
-- (audit.mart_builds says which). Both paths run the same statements.

-- 1. The items said up to the as-of date, with who said them.
CREATE OR REPLACE TEMP TABLE feedback_items AS
WITH answers AS (
    SELECT
        response_id,
        contact_id,
        account_id,
        score,
        comment,
        submitted_at,
        local_day(submitted_at, $timezone) AS answered_on
    FROM staging.resolved_nps_responses
    WHERE local_day(submitted_at, $timezone) <= $as_of
),
last_answer_of_day AS (
    SELECT contact_id, answered_on, score
    FROM answers
    WHERE contact_id IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY contact_id, answered_on ORDER BY submitted_at DESC, response_id DESC
    ) = 1
),
comments AS (
    SELECT
        'nps_comment' AS source,
        a.response_id AS item_id,
        coalesce(a.account_id, c.account_id) AS account_id,
        a.contact_id,
        a.answered_on AS said_on,
        a.score AS nps_score,
        a.comment AS text
    FROM answers AS a
    LEFT JOIN staging.contacts AS c ON c.contact_id = a.contact_id
),
response_nps AS (
    SELECT response_id, score FROM staging.survey_answers
    WHERE question_type = 'nps'
    QUALIFY row_number() OVER (PARTITION BY response_id ORDER BY answer_id) = 1
),
reasons AS (
    SELECT
        'survey_reason' AS source,
        r.answer_id AS item_id,
        coalesce(r.account_id, c.account_id) AS account_id,
        r.contact_id,
        local_day(r.submitted_at, $timezone) AS said_on,
        coalesce(n.score, a.score) AS nps_score,
        r.text
    FROM staging.resolved_survey_answers AS r
    LEFT JOIN staging.contacts AS c ON c.contact_id = r.contact_id
    LEFT JOIN response_nps AS n ON n.response_id = r.response_id
    LEFT JOIN answers AS a ON a.response_id = r.response_id
    WHERE r.question_type = 'reason' AND local_day(r.submitted_at, $timezone) <= $as_of
),
tickets_and_interviews AS (
    SELECT
        'ticket' AS source,
        t.ticket_id AS item_id,
        coalesce(t.account_id, c.account_id) AS account_id,
        t.contact_id,
        local_day(t.created_at, $timezone) AS said_on,
        concat_ws(chr(10), nullif(trim(t.subject), ''), nullif(trim(t.description), '')) AS text
    FROM staging.resolved_tickets AS t
    LEFT JOIN staging.contacts AS c ON c.contact_id = t.contact_id
    WHERE local_day(t.created_at, $timezone) <= $as_of
    UNION ALL
    SELECT
        'interview' AS source,
        i.interview_id AS item_id,
        c.account_id,
        i.contact_id,
        local_day(i.interviewed_at, $timezone) AS said_on,
        concat_ws(
            chr(10),
            nullif(trim(i.notes), ''),
            'Tags: ' || nullif(replace(trim(i.tags), ';', '; '), '')
        ) AS text
    FROM staging.resolved_interviews AS i
    LEFT JOIN staging.contacts AS c ON c.contact_id = i.contact_id
    WHERE local_day(i.interviewed_at, $timezone) <= $as_of
),
items AS (
    SELECT * FROM comments
    WHERE nullif(trim(text), '') IS NOT NULL
    UNION ALL
    SELECT * FROM reasons
    WHERE nullif(trim(text), '') IS NOT NULL
    UNION ALL
    SELECT o.source, o.item_id, o.account_id, o.contact_id, o.said_on, a.score AS nps_score, o.text
    FROM tickets_and_interviews AS o
    ASOF LEFT JOIN last_answer_of_day AS a
        ON a.contact_id = o.contact_id AND o.said_on >= a.answered_on
    WHERE nullif(trim(o.text), '') IS NOT NULL
)
SELECT *, md5(text) AS text_hash FROM items;

-- 2. The cache, emptied when the taxonomy, the lexicon, the analyser or the rules change, and
-- kept to the texts still said (an erased person's masked text is a new text; the old one goes).
DROP TABLE IF EXISTS marts._text_analysis_cache;  -- the word-list layout before rules v2
CREATE TABLE IF NOT EXISTS marts._text_analysis (
    text_hash VARCHAR,
    vocabulary VARCHAR,
    themes VARCHAR[],
    language VARCHAR,
    sentiment_score DOUBLE,
    sentiment VARCHAR,
    has_problem BOOLEAN,
    has_request BOOLEAN
);
COMMENT ON TABLE marts._text_analysis IS
    'Working table of marts.feedback_themes: the analysis of each distinct text said, by md5.';
CREATE OR REPLACE TEMP TABLE vocabulary AS
SELECT md5(concat_ws(chr(10),
    'rules v3',
    $text_analyser,
    (SELECT string_agg(concat_ws('|', theme, keyword), chr(10) ORDER BY theme, keyword)
     FROM raw.voc_taxonomy),
    (SELECT string_agg(concat_ws('|', kind, term, weight), chr(10) ORDER BY kind, term, weight)
     FROM raw.voc_lexicon)
)) AS fingerprint;
DELETE FROM marts._text_analysis
WHERE vocabulary <> (SELECT fingerprint FROM vocabulary)
   OR text_hash NOT IN (SELECT text_hash FROM feedback_items);

-- 3. Analyse the texts not seen yet.
INSERT INTO marts._text_analysis
WITH new_texts AS (
    SELECT DISTINCT text_hash, text FROM feedback_items
    WHERE text_hash NOT IN (SELECT text_hash FROM marts._text_analysis)
),
-- Language and sentiment, computed in Python (cx_pipeline/text.py).
text_sentiment AS (
    SELECT text_hash, text_sentiment(text) AS analysis FROM new_texts
),
-- Lower-cased, contractions spelled out, cut into clauses, each clause into words.
clauses AS (
    SELECT
        i.text_hash,
        c.clause_number,
        regexp_extract_all(c.clause, '[\p{L}\p{N}]+') AS words
    FROM new_texts AS i,
        unnest(regexp_split_to_array(
            replace(replace(lower(i.text), 'n''t', ' not'), 'n’t', ' not'),
            '[.,;:!?()\[\]{}"“”\r\n]+|\s[-–—]+\s'
        )) WITH ORDINALITY AS c(clause, clause_number)
),
clause_words AS (
    SELECT c.text_hash, c.clause_number, c.words, w.word, w.position
    FROM clauses AS c, unnest(c.words) WITH ORDINALITY AS w(word, position)
),
-- Keywords in the same form, with '*' as a LIKE wildcard, padded so they match whole words.
-- A keyword written with a leading '-' is an exception of its theme ('-how to fix' for ease
-- of use): a clause holding it does not count for that theme.
keywords AS (
    SELECT
        theme,
        is_exception,
        words[1] AS first_word,
        '% ' || replace(array_to_string(words, ' '), '*', '%') || ' %' AS pattern
    FROM (
        SELECT
            theme,
            starts_with(trim(keyword), '-') AS is_exception,
            regexp_extract_all(
                replace(replace(lower(keyword), 'n''t', ' not'), 'n’t', ' not'),
                '[\p{L}\p{N}*]+'
            ) AS words
        FROM raw.voc_taxonomy
    )
    WHERE len(words) > 0
),
-- The words that can start each keyword: its first word, or when that has a '*' every word of
-- the texts beginning like it. Only clauses holding such a word are compared with the keyword.
keyword_starts AS (
    SELECT theme, is_exception, pattern, first_word AS word
    FROM keywords
    WHERE NOT contains(first_word, '*')
    UNION ALL
    SELECT k.theme, k.is_exception, k.pattern, v.word
    FROM keywords AS k
    JOIN (SELECT DISTINCT word FROM clause_words) AS v
        ON starts_with(v.word, split_part(k.first_word, '*', 1))
    WHERE contains(k.first_word, '*')
),
clause_keywords AS (
    SELECT DISTINCT w.text_hash, w.clause_number, k.theme, k.is_exception
    FROM clause_words AS w
    JOIN keyword_starts AS k ON k.word = w.word
    WHERE ' ' || array_to_string(w.words, ' ') || ' ' LIKE k.pattern
),
text_themes AS (
    SELECT m.text_hash, list(DISTINCT m.theme ORDER BY m.theme) AS themes
    FROM clause_keywords AS m
    WHERE NOT m.is_exception
      AND NOT EXISTS (
          SELECT 1
          FROM clause_keywords AS x
          WHERE x.is_exception
            AND x.text_hash = m.text_hash
            AND x.clause_number = m.clause_number
            AND x.theme = m.theme
      )
    GROUP BY m.text_hash
),
lexicon AS (
    SELECT kind, coalesce(weight, 0) AS weight, words, len(words) AS length
    FROM (
        SELECT
            kind,
            weight,
            regexp_extract_all(
                replace(replace(lower(term), 'n''t', ' not'), 'n’t', ' not'), '[\p{L}\p{N}]+'
            ) AS words
        FROM raw.voc_lexicon
    )
    WHERE len(words) > 0
),
negators AS (
    SELECT list(DISTINCT words[1]) AS words FROM lexicon WHERE kind = 'negator' AND length = 1
),
term_matches AS (
    SELECT
        w.text_hash,
        w.clause_number,
        w.position AS first_position,
        w.position + l.length - 1 AS last_position,
        l.length,
        l.kind,
        l.weight,
        list_has_any(
            list_slice(w.words, greatest(w.position - 3, 1), w.position - 1), n.words
        ) AS negated
    FROM clause_words AS w
    JOIN lexicon AS l ON l.words[1] = w.word
    CROSS JOIN negators AS n
    WHERE l.kind IN ('positive', 'negative', 'neutral', 'request')
      AND list_slice(w.words, w.position, w.position + l.length - 1) = l.words
),
-- A term inside a longer matching term is dropped ("would love" is a request, not praise).
counted_terms AS (
    SELECT m.*
    FROM term_matches AS m
    WHERE NOT EXISTS (
        SELECT 1
        FROM term_matches AS longer
        WHERE longer.text_hash = m.text_hash
          AND longer.clause_number = m.clause_number
          AND longer.length > m.length
          AND longer.first_position <= m.first_position
          AND longer.last_position >= m.last_position
    )
),
text_requests AS (
    SELECT
        text_hash,
        coalesce(bool_or(kind = 'negative' AND NOT negated), false) AS has_problem,
        coalesce(bool_or(kind = 'request' AND NOT negated), false) AS has_request
    FROM counted_terms
    GROUP BY text_hash
)
SELECT
    n.text_hash,
    (SELECT fingerprint FROM vocabulary),
    coalesce(t.themes, []),
    s.analysis.language,
    s.analysis.score,
    s.analysis.label,
    coalesce(r.has_problem, false),
    coalesce(r.has_request, false)
FROM new_texts AS n
JOIN text_sentiment AS s USING (text_hash)
LEFT JOIN text_themes AS t USING (text_hash)
LEFT JOIN text_requests AS r USING (text_hash);

-- 4. The items to (re)write: every one in a full build, or when no digest of the last build
-- is kept (the table is then rewritten whole); else those added, changed or gone since the
-- last build (both versions of a changed item count).
CREATE TABLE IF NOT EXISTS audit.feedback_themes_inputs (
    source VARCHAR, item_id VARCHAR, digest UBIGINT
);
CREATE OR REPLACE TEMP TABLE rewrite_all AS
SELECT $full OR NOT EXISTS (SELECT 1 FROM audit.feedback_themes_inputs) AS yes;
CREATE OR REPLACE TEMP TABLE feedback_item_digests AS
SELECT
    source,
    item_id,
    hash(account_id, contact_id, said_on, nps_score, text_hash,
         (SELECT fingerprint FROM vocabulary)) AS digest
FROM feedback_items;
CREATE OR REPLACE TEMP TABLE keys_to_build AS
SELECT source, item_id FROM feedback_items WHERE (SELECT yes FROM rewrite_all)
UNION
SELECT source, item_id FROM (
    (SELECT * FROM feedback_item_digests EXCEPT SELECT * FROM audit.feedback_themes_inputs)
    UNION ALL
    (SELECT * FROM audit.feedback_themes_inputs EXCEPT SELECT * FROM feedback_item_digests)
);
-- The digests kept for the next build: those of the keys rewritten replaced, the rest as
-- they were (rewriting the whole table cost more than the rows it changed).
DELETE FROM audit.feedback_themes_inputs
WHERE (SELECT yes FROM rewrite_all) OR (source, item_id) IN (SELECT (source, item_id) FROM keys_to_build);
INSERT INTO audit.feedback_themes_inputs
SELECT * FROM feedback_item_digests
WHERE (SELECT yes FROM rewrite_all) OR (source, item_id) IN (SELECT (source, item_id) FROM keys_to_build);

-- 5. The mart: each of those items with its text's analysis, one row per theme.
DELETE FROM marts.feedback_themes
WHERE (SELECT yes FROM rewrite_all)
   OR (source, item_id) IN (SELECT (source, item_id) FROM keys_to_build);

INSERT INTO marts.feedback_themes (
    source, item_id, account_id, contact_id, said_on, nps_score, nps_category, theme, language,
    sentiment_score, sentiment, sentiment_analyser, is_actionable, is_generic_praise, text
)
WITH scored AS (
    SELECT
        i.*,
        a.language,
        a.sentiment_score,
        a.sentiment,
        a.has_problem,
        a.has_request,
        a.themes
    FROM feedback_items AS i
    JOIN marts._text_analysis AS a USING (text_hash)
    WHERE (i.source, i.item_id) IN (SELECT (source, item_id) FROM keys_to_build)
),
item_themes AS (
    -- One row per theme; an item naming no theme keeps one row, with a null theme.
    SELECT
        s.*,
        unnest(CASE WHEN len(s.themes) = 0 THEN [NULL::VARCHAR] ELSE s.themes END) AS theme
    FROM scored AS s
)
SELECT
    s.source,
    s.item_id,
    s.account_id,
    s.contact_id,
    s.said_on,
    s.nps_score,
    nps_category(s.nps_score) AS nps_category,
    coalesce(s.theme, 'none') AS theme,
    s.language,
    s.sentiment_score,
    s.sentiment,
    $text_analyser AS sentiment_analyser,
    s.theme IS NOT NULL AND (s.sentiment = 'negative' OR s.has_problem OR s.has_request)
        AS is_actionable,
    s.theme IS NULL AND s.sentiment = 'positive' AND NOT (s.has_problem OR s.has_request)
        AS is_generic_praise,
    s.text
FROM item_themes AS s
ORDER BY s.source, s.item_id, theme;
