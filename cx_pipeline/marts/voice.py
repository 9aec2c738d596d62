"""Voice-of-customer marts: what customers say (NPS comments, survey reasons, tickets,
interviews) tagged with themes and sentiment, by NPS band, and tied to the segments they come
from.

Themes and sentiment come from the shipped reference tables raw.voc_taxonomy and
raw.voc_lexicon, so a CX team tunes them by editing two CSV files, not SQL.
"""

from __future__ import annotations

from cx_pipeline.marts.builder import MartSpec

FEEDBACK_THEMES = MartSpec(
    name="feedback_themes",
    grain=("source", "item_id", "theme"),
    description=(
        "One row per (text item, theme): NPS comments, survey reasons (answers to 'what is "
        "the main reason for your score?'), support tickets (subject and first message) and "
        "interview notes up to the as-of date, tagged with the themes of "
        "raw.voc_taxonomy ('none' when no keyword matches, so every item appears) and a "
        "sentiment from raw.voc_lexicon with negation ('not good'). Rules at the top of "
        "feedback_themes.sql. The text is as staged: e-mail addresses and phone numbers in it are "
        "masked on the way into staging, and the serving file masks it again."
    ),
    columns=(
        ("source", "VARCHAR", "nps_comment, survey_reason, ticket or interview."),
        (
            "item_id",
            "VARCHAR",
            "response_id, answer_id, ticket_id or interview_id of the item.",
        ),
        ("account_id", "VARCHAR", "Account of the item (from the contact when not given)."),
        ("contact_id", "VARCHAR", "Contact who said it."),
        ("said_on", "DATE", "Day it was said, in the reporting timezone."),
        (
            "nps_score",
            "BIGINT",
            "For a comment, its answer's score; for a survey reason, the NPS score of the same "
            "response; for a ticket or interview, the contact's latest "
            "NPS score on or before that day; null when there is none.",
        ),
        ("nps_category", "VARCHAR", "promoter, passive or detractor from nps_score; or null."),
        ("theme", "VARCHAR", "A theme of raw.voc_taxonomy mentioned by the item, or 'none'."),
        (
            "sentiment_score",
            "DOUBLE",
            "(positive - negative lexicon weight) / (positive + negative weight) of the item, "
            "from -1 to +1; 0 without sentiment words. Same on every row of the item.",
        ),
        ("sentiment", "VARCHAR", "positive, negative or neutral: the sign of sentiment_score."),
        (
            "is_actionable",
            "BOOLEAN",
            "A concrete problem or request: the item names a theme and is negative or asks for "
            "something ('please', 'need', 'wish', 'should', 'missing'...). False for 'none'.",
        ),
        (
            "is_generic_praise",
            "BOOLEAN",
            "Positive and naming no theme ('Great product!'); only on 'none' rows.",
        ),
        (
            "text",
            "VARCHAR",
            "The item's text: the comment; a ticket's subject and first message on two lines; "
            "interview notes followed by a 'Tags:' line.",
        ),
    ),
    free_text=("text",),
)

VOICE_BY_THEME = MartSpec(
    name="voice_by_theme",
    grain=("source", "nps_category", "theme"),
    description=(
        "Themes by NPS category (promoter, passive, detractor, 'no answer') and source "
        "(nps_comment, survey_reason, ticket, interview, or 'all'): how many items mention "
        "each theme, what share of the category that is, their average sentiment, how many are "
        "actionable, and "
        "a representative example. Shows what detractors complain about and what promoters "
        "love; rules at the top of voice_by_theme.sql."
    ),
    columns=(
        (
            "source",
            "VARCHAR",
            "nps_comment, survey_reason, ticket, interview, or 'all' for them together.",
        ),
        (
            "nps_category",
            "VARCHAR",
            "promoter, passive, detractor or 'no answer' (the NPS band of the item's answer).",
        ),
        ("theme", "VARCHAR", "A theme of the taxonomy, or 'none' for items naming no theme."),
        ("category_items", "BIGINT", "Items of this source and NPS category (the denominator)."),
        ("mentions", "BIGINT", "Items of the cell that mention the theme."),
        (
            "share_of_category_pct",
            "DOUBLE",
            "mentions / category_items x 100; an item may mention several themes.",
        ),
        (
            "avg_sentiment",
            "DOUBLE",
            "Mean sentiment score (-1 to +1) of the mentions; null without mentions.",
        ),
        ("negative_mentions", "BIGINT", "Mentions with negative sentiment."),
        ("actionable_mentions", "BIGINT", "Mentions that state a concrete problem or request."),
        (
            "theme_rank",
            "BIGINT",
            "1 = most mentioned theme of the source and category (ties by name); null for "
            "'none' and for themes nobody mentioned.",
        ),
        (
            "example_text",
            "VARCHAR",
            "A representative mention: sentiment closest to the cell's average, 20-160 "
            "characters preferred, cut at 160.",
        ),
    ),
    free_text=("example_text",),
)

SEGMENT_TRACKER = MartSpec(
    name="segment_tracker",
    grain=("segment_type", "segment"),
    description=(
        "The qualitative tracker: for every segment (journey_stage, revenue_tier and region of "
        "the account; influence_level and power_user of the contact) its members, the NPS "
        "comments, tickets and interviews they gave, their top three themes, the share of "
        "negative items and up to three sample quotes. Rules at the top of segment_tracker.sql."
    ),
    columns=(
        (
            "segment_type",
            "VARCHAR",
            "journey_stage, revenue_tier, region (account segments), influence_level or "
            "power_user (contact segments).",
        ),
        (
            "segment",
            "VARCHAR",
            "The segment's value, e.g. 'at_risk', 'enterprise', 'EMEA', 'c_level', "
            "'power user' or 'other user'.",
        ),
        ("accounts", "BIGINT", "Accounts in the segment (of its contacts, for a contact segment)."),
        (
            "contacts",
            "BIGINT",
            "Contacts in the segment (of its accounts, for an account segment).",
        ),
        (
            "items",
            "BIGINT",
            "NPS comments, survey reasons, tickets and interviews from the segment.",
        ),
        ("nps_comments", "BIGINT", "NPS comments among them."),
        ("tickets", "BIGINT", "Tickets among them."),
        ("interviews", "BIGINT", "Interviews among them."),
        ("top_theme_1", "VARCHAR", "Theme mentioned by most items; null when no theme."),
        ("top_theme_1_mentions", "BIGINT", "Items mentioning top_theme_1."),
        ("top_theme_2", "VARCHAR", "Second theme."),
        ("top_theme_2_mentions", "BIGINT", "Items mentioning top_theme_2."),
        ("top_theme_3", "VARCHAR", "Third theme."),
        ("top_theme_3_mentions", "BIGINT", "Items mentioning top_theme_3."),
        ("negative_items", "BIGINT", "Items with negative sentiment."),
        ("share_negative_pct", "DOUBLE", "negative_items / items x 100; null without items."),
        (
            "sample_quotes",
            "VARCHAR[]",
            "Up to three quotes: the latest item for each top theme, in rank order, no text "
            "twice, cut at 200 characters.",
        ),
    ),
    free_text=("sample_quotes",),
)

SPECS = (FEEDBACK_THEMES, VOICE_BY_THEME, SEGMENT_TRACKER)
