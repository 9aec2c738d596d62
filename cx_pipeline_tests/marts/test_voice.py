"""Voice-of-customer marts: themes and sentiment on hand-written texts, the three marts on tiny
extracts worked out by hand, and the comment themes the generator planted in the sample."""

# ruff: noqa: E501 (the expected rows of feedback_themes read best one to a line)

from __future__ import annotations

import csv
import math
from collections.abc import Callable

import dagster as dg
import pytest

from cx_pipeline import catalog
from cx_pipeline.generate import text as templates
from cx_pipeline.marts.builder import load_spec, run_mart_sql, sql_parameters
from cx_pipeline.resources import CxSettings, Warehouse
from cx_pipeline.text import analyser
from cx_pipeline_tests.conftest import REPO_ROOT, materialize_all, reader
from cx_pipeline_tests.marts.voice_extracts import (
    HARNESS_DAY,
    feedback_for_texts,
    write_voice_extracts,
)

Query = Callable[..., list[tuple]]
GENERIC_SHARE_TOLERANCE_SE = 3.0
THEMES_OF_ITEM = (
    "SELECT item_id, list(theme ORDER BY theme), any_value(language), any_value(sentiment_score), "
    "any_value(sentiment), bool_or(is_actionable), bool_or(is_generic_praise) "
    "FROM marts.feedback_themes GROUP BY item_id"
)
P, NEG, N, U = "positive", "negative", "neutral", "unsupported"
NEU = N

# id: (text, themes, language, sentiment, is_actionable, is_generic_praise). Themes, requests and
# problems worked out from the taxonomy and lexicon by hand; the sentiment is the shipped model's
# (cx_pipeline/text.py; its quality is measured on real data in test_text_quality.py), its score
# checked against the weights file read directly (model_score()).
HAND_WRITTEN: dict[str, tuple[str, list[str], str, str, bool, bool]] = {
    # Word boundaries: 'supportive' and the French 'supporté' are not 'support'. supportive +1.8
    # boosted by 'very': positive praise naming no theme.
    "b1": ("Very supportive team", ["none"], "en", P, False, True),
    # French. In the subtitles the model first learnt French from, "supporter" is mostly "to
    # stand" ("je ne le supporte pas"): this read negative until book reviews joined its French
    # (2026.12-4); now -0.05, inside French's neutral band: neutral, still not the praise it is.
    "b2": ("Le service client a supporté nos demandes", ["none"], "fr", NEU, False, False),
    # ...case does not matter, and 'report' as a verb is no reporting (but 'bug' is reliability;
    # bug -1.5 outweighs want +0.3; 'want' asks for something). 'support' names a topic in
    # customer feedback, not a feeling (TOPIC_WORDS): neutral.
    "b3": ("SUPPORT was quick!", ["support"], "en", NEU, False, False),
    "b4": ("I want to report a bug", ["reliability"], "en", NEG, True, False),
    # Negation: 'not good' = 1.9 x -0.74 = -1.406; -1.406 / sqrt(1.977 + 15) = -0.3412.
    "n1": ("The onboarding was not good", ["onboarding"], "en", NEG, True, False),
    # Negated negatives come out near 0 (not_bad, not_outage): neutral, not praise. The lexicon's
    # 'outage' is negated too, so no problem is named.
    "n2": ("Not bad at all", ["none"], "en", NEU, False, False),
    # A miss: the model reads "We never had an outage" negative ('outage' outweighs 'never').
    "n3": ("We never had an outage", ["reliability"], "en", NEG, True, False),
    "n4": ("Not that it matters, the reports are good", ["reporting"], "en", P, False, False),
    # A curly apostrophe (U+2019): "doesn't work" reads negative (not_work), and the lexicon's
    # "does not work" names a problem: actionable; and the taxonomy's "doesn't work" (read "does
    # not work") is a reliability mention beside 'export' (reporting).
    "n5": ("The export doesn\u2019t work", ["reliability", "reporting"], "en", NEG, True, False),
    # A negated request is none: "do not need"; the negation reads negative.
    "n6": ("We don't need more dashboards", ["reporting"], "en", NEG, True, False),
    # Contrast: the clause after 'but' carries the sentence ('support' is a topic, no input).
    "m1": (
        "Support is great but pricing is terrible",
        ["pricing", "support"],
        "en",
        NEG,
        True,
        False,
    ),
    # "could be better" is no praise: it leans negative, but just inside the neutral band
    # (-0.16, band ±0.16, with model 2026.12-4; -0.21, negative, with 2026.12-2; VADER alone read
    # 'better' as positive): a miss, in docs/voice-of-customer.md. The lexicon's "could be
    # better" names a problem.
    "p1": ("Could be better", ["none"], "en", NEU, False, False),
    # "would love" is a request, so no generic praise; no theme, so not actionable either.
    "p2": ("Would love a dark mode", ["none"], "en", P, False, False),
    # "quick question" names no problem; it and "question about" are ease of use.
    "p3": (
        "Quick question about the API",
        ["ease of use", "integrations"],
        "en",
        NEU,
        False,
        False,
    ),
    # 'please' is a courtesy, not praise (TOPIC_WORDS); it asks for something: actionable.
    "r1": ("Please add a Salesforce integration", ["integrations"], "en", NEU, True, False),
    # Other languages: themes from the taxonomy's own words in those languages, sentiment from
    # their models. "TRÈS BIEN" reads positive since the joint model (neutral before); "Sehr gut,
    # aber zu teuer" weighs the praise against the price: neutral (positive before). 'teuer'
    # is a problem in the lexicon, so it is no generic praise.
    "u1": ("ÉQUIPE SUPPORT : TRÈS BIEN", ["support"], "fr", P, False, False),
    "u2": ("Sehr gut, aber zu teuer", ["none"], "de", NEU, False, False),
    "u4": ("El soporte es lento", ["none"], "es", NEG, False, False),
    "u5": ("O produto chegou quebrado e ninguém respondeu", ["none"], "pt", NEG, False, False),
    # A language the model does not read: unsupported, never neutral.
    "u6": ("De klantenservice reageert nooit op onze vragen.", ["none"], "nl", U, False, False),
    # Emoji: VADER reads 😍 by its description ("smiling face with heart-shaped eyes").
    "u3": ("Love it \N{SMILING FACE WITH HEART-SHAPED EYES}", ["none"], "en", P, False, True),
    # A short English text looks like Irish to the detector; English keeps it (ENGLISH_FLOOR).
    "s1": ("Bad Choice.", ["none"], "en", NEG, False, False),
}


def model_score(text: str) -> float:
    """The shipped model's score worked out from its weights file directly: 2 / (1 + e^-z) - 1,
    z = bias + the weights of the text's features (cx_pipeline/text.py features()) times their
    values, in the language of the text."""
    import numpy as np

    from cx_pipeline.text import HASH_DIM, MODEL_FILE, features, language

    lang = language(text)
    with np.load(MODEL_FILE) as saved:
        row = [str(lang) for lang in saved["languages"]].index(lang)
        weights, bias = saved["weights"][row].astype(float), float(saved["bias"][row])
    indices, values, dense = features(text, lang)
    z = bias + float(weights[indices] @ np.array(values)) + float(weights[HASH_DIM:] @ dense)
    return 2 / (1 + math.exp(-z)) - 1


TICKET_THEME = {category: theme for category, theme, _ in templates.TICKET_CATEGORIES}
# Deliberate difference: the generator files log-in problems under support; the taxonomy has
# an 'account access' theme for them, as "I can't log in" says nothing about the support team.
TICKET_THEME["Account access"] = "account access"


def read_reference(name: str) -> list[dict[str, str]]:
    with (REPO_ROOT / "data" / "reference" / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory) -> Query:
    """feedback_themes over the hand-written texts, every taxonomy example and every text
    template of the generator, in one run."""
    comments = [(item_id, case[0]) for item_id, case in HAND_WRITTEN.items()]
    comments += [
        (f"tax{i}", row["example"]) for i, row in enumerate(read_reference("voc_taxonomy"))
    ]
    comments += [
        (f"c-{band}-{theme}-{i}", comment)
        for (band, theme), group in templates.COMMENTS.items()
        for i, comment in enumerate(group)
    ]
    comments += [
        (f"g-{band}-{i}", comment)
        for band, group in templates.GENERIC_COMMENTS.items()
        for i, comment in enumerate(group)
    ]
    tickets = [
        (f"t-{category}-{i}", subject, body)
        for category, pairs in templates.TICKETS.items()
        for i, (subject, body) in enumerate(pairs)
    ]
    interviews = [
        (f"i-{theme}-{i}", note, "")
        for theme, notes in templates.INTERVIEW_NOTES.items()
        for i, note in enumerate(notes)
    ]
    database = tmp_path_factory.mktemp("voice_texts") / "cx.duckdb"
    return feedback_for_texts(database, comments, tickets, interviews)


@pytest.fixture(scope="module")
def items(texts: Query) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in texts(THEMES_OF_ITEM)}


@pytest.mark.parametrize("item_id", list(HAND_WRITTEN))
def test_hand_written_texts(items: dict[str, tuple], item_id: str) -> None:
    text, themes, language, sentiment, actionable, generic = HAND_WRITTEN[item_id]
    got_themes, got_language, got_score, got_sentiment, got_actionable, got_generic = items[item_id]
    assert (got_themes, got_language, got_sentiment) == (themes, language, sentiment)
    if sentiment == U:
        assert got_score is None
    else:
        assert got_score == pytest.approx(model_score(text), abs=1e-5)
    assert (got_actionable, got_generic) == (actionable, generic)


def test_negation_and_contrast(items: dict[str, tuple]) -> None:
    """Negation flips the sentence and contrast leans on the clause after 'but': the same
    words in the other order read the other way."""
    from cx_pipeline.text import analyse

    assert items["n1"][2] < 0 < analyse("The onboarding was good")["score"]
    assert items["m1"][2] < 0 < analyse("Pricing is terrible but support is great")["score"]


def test_every_taxonomy_example_is_tagged_with_its_theme(items: dict[str, tuple]) -> None:
    rows = read_reference("voc_taxonomy")
    # An exception ('-how to fix') is the other way round: its example is not of its theme.
    missed = [
        (row["theme"], row["keyword"], row["example"])
        for i, row in enumerate(rows)
        if (row["theme"] in items[f"tax{i}"][0]) == row["keyword"].startswith("-")
    ]
    assert missed == []
    # The generator's seven themes are all in the taxonomy, each under its own name.
    assert set(templates.THEMES) <= {row["theme"] for row in rows}
    assert len({(row["theme"], row["keyword"]) for row in rows}) == len(rows)


def test_lexicon_is_well_formed() -> None:
    rows = read_reference("voc_lexicon")
    assert {row["kind"] for row in rows} == {
        "positive", "negative", "neutral", "negator", "request"
    }  # fmt: skip
    for row in rows:
        weighted = row["kind"] in ("positive", "negative")
        assert (float(row["weight"]) > 0) if weighted else row["weight"] == "", row
        assert row["language"], row
    assert len({(row["term"], row["kind"]) for row in rows}) == len(rows)


def test_generator_texts_get_their_planted_theme(items: dict[str, tuple]) -> None:
    """Keywords were written from what customers write; the generator's texts are caught too."""
    missed = []
    for (band, theme), group in templates.COMMENTS.items():
        missed += [c for i, c in enumerate(group) if theme not in items[f"c-{band}-{theme}-{i}"][0]]
    for category, pairs in templates.TICKETS.items():
        missed += [
            s
            for i, (s, _) in enumerate(pairs)
            if TICKET_THEME[category] not in items[f"t-{category}-{i}"][0]
        ]
    for theme, notes in templates.INTERVIEW_NOTES.items():
        missed += [n for i, n in enumerate(notes) if theme not in items[f"i-{theme}-{i}"][0]]
    assert missed == []
    generic = {
        comment: items[f"g-{band}-{i}"][0]
        for band, group in templates.GENERIC_COMMENTS.items()
        for i, comment in enumerate(group)
    }
    assert {c: t for c, t in generic.items() if t != ["none"]} == {}


def test_generator_comment_sentiment_follows_the_band(items: dict[str, tuple]) -> None:
    """Promoters' comments never read negative, detractors' never positive (passives are
    mixed), but for one miss: "nobody needed training" reads as a complaint (subtitles say
    "nobody" mostly in anger). The model before the joint one missed two others: "works out of
    the box" read negative and "Could be much better" positive; both read neutral now."""
    sentiment = {
        (band, comment): items[f"c-{band}-{theme}-{i}"][3]
        for (band, theme), group in templates.COMMENTS.items()
        for i, comment in enumerate(group)
    }
    sentiment |= {
        (band, comment): items[f"g-{band}-{i}"][3]
        for band, group in templates.GENERIC_COMMENTS.items()
        for i, comment in enumerate(group)
    }
    assert [c for (b, c), s in sentiment.items() if b == "promoter" and s == "negative"] == [
        "Intuitive UI, nobody needed training.",
    ]
    assert [c for (b, c), s in sentiment.items() if b == "detractor" and s == "positive"] == []
    # The generator writes some comments in German, Spanish and Portuguese: read by their models.
    assert sentiment[("promoter", "Sehr gut")] == P


# --- The three marts on tiny extracts (see voice_extracts.py for every number) -------------------

VOICE_MARTS = ("feedback_themes", "voice_by_theme", "segment_tracker")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Query:
    root = tmp_path_factory.mktemp("voice")
    database = root / "cx.duckdb"
    selection = dg.AssetSelection.assets(*(catalog.key("marts", m) for m in VOICE_MARTS))
    materialize_all(
        write_voice_extracts(root / "extracts"), database, selection=selection.upstream()
    )

    return reader(database)


def test_feedback_themes_by_hand(tiny: Query) -> None:
    rows = tiny(
        "SELECT source, item_id, account_id, contact_id, strftime(said_on, '%Y-%m-%d'), "
        "nps_score, nps_category, theme, language, sentiment, is_actionable, "
        "is_generic_praise FROM marts.feedback_themes ORDER BY source, item_id, theme"
    )
    D = NEG
    assert rows == [
        # I1: a wish reads positive (+0.42; neutral before the joint model); a request, so
        # actionable.
        ("interview", "I1", "A6", "C6", "2026-03-15", 6, "detractor", "integrations", "en", P, True, False),
        ("interview", "I1", "A6", "C6", "2026-03-15", 6, "detractor", "onboarding", "en", P, True, False),
        ("interview", "I2", "A4", "C5", "2026-03-16", 9, "promoter", "none", "en", P, False, True),
        ("nps_comment", "R1", "A1", "C1", "2026-01-10", 10, "promoter", "reporting", "en", P, False, False),
        # R2: slow and not acceptable; 'support' is a topic.
        ("nps_comment", "R2", "A2", "C3", "2026-01-12", 3, "detractor", "pricing", "en", D, True, False),
        ("nps_comment", "R2", "A2", "C3", "2026-01-12", 3, "detractor", "support", "en", D, True, False),
        # R3: 'supportive' is praise, and names no theme: generic.
        ("nps_comment", "R3", "A3", "C4", "2026-02-01", 8, "passive", "none", "en", P, False, True),
        # R4: "not bad" before 'but' still positive; 'please add' asks: actionable.
        ("nps_comment", "R4", "A6", "C6", "2026-02-05", 6, "detractor", "reporting", "en", P, True, False),
        # R5 German praise naming no theme: generic; R6 French, negative, names a problem ('nul',
        # 'déçu' in the lexicon) about support: actionable.
        ("nps_comment", "R5", "A4", "C5", "2026-02-10", 9, "promoter", "none", "de", P, False, True),
        ("nps_comment", "R6", "A1", "C2", "2026-03-01", 0, "detractor", "support", "fr", NEG, True, False),
        ("nps_comment", "R9", "A3", None, "2026-03-02", 10, "promoter", "none", "en", P, False, True),
        # T1 comes a day before C1's first answer; T2 the evening of its 10 on 10 Jan; T3 after
        # C3's comment-less 7 of 25 Mar; T4 the day of C4's 8. "not loading" and "can't log in"
        # read negative, "please check our last invoice" neutral (+0.15, inside English's band;
        # positive before 2026.12-4); the lexicon's problems ("not loading", "can't") and
        # request ("please") make them actionable.
        ("ticket", "T1", "A1", "C1", "2026-01-09", None, None, "reliability", "en", NEG, True, False),
        ("ticket", "T1", "A1", "C1", "2026-01-09", None, None, "reporting", "en", NEG, True, False),
        ("ticket", "T2", "A1", "C1", "2026-01-10", 10, "promoter", "pricing", "en", NEU, True, False),
        ("ticket", "T3", "A2", "C3", "2026-03-30", 7, "passive", "account access", "en", NEG, True, False),
        ("ticket", "T4", "A3", "C4", "2026-02-01", 8, "passive", "none", "en", P, False, True),
    ]  # fmt: skip
    # Scores: the model's own, the same on every row of an item (every item is in a language
    # the model reads).
    scores = dict(tiny("SELECT DISTINCT item_id, sentiment_score FROM marts.feedback_themes"))
    texts = dict(tiny("SELECT DISTINCT item_id, text FROM marts.feedback_themes"))
    for item_id, score in scores.items():
        assert score == pytest.approx(model_score(texts[item_id]), abs=1e-5), item_id
    assert tiny("SELECT DISTINCT sentiment_analyser FROM marts.feedback_themes") == [(analyser(),)]
    assert texts["T1"] == "Dashboard not loading\nSince this morning nothing loads."
    assert texts["I1"] == "They wish the onboarding had a checklist\nTags: onboarding; integrations"


def test_voice_by_theme_by_hand(tiny: Query) -> None:
    cells = {
        (r[0], r[1], r[2]): r[3:]
        for r in tiny(
            "SELECT source, nps_category, theme, category_items, mentions, share_of_category_pct, "
            "avg_sentiment, negative_mentions, actionable_mentions, theme_rank, example_text "
            "FROM marts.voice_by_theme"
        )
    }
    # Comments of detractors: R2 (support, pricing), R4 (reporting), R6 (support) -> 3 items.
    # The support cell averages R2 and R6 (French), both negative; they are equally close to
    # the average and both 20-160 characters, so the shorter, R6, is the example. Pricing (R2)
    # and reporting (R4) tie at 1 mention: ranked by name.
    r2 = model_score("Support is too slow and the price is not acceptable")
    r4 = model_score("Not bad, but please add an export to Excel")
    r6 = model_score("Le support était nul, je suis déçu")
    assert cells[("nps_comment", "detractor", "support")] == (
        3, 2, pytest.approx(200 / 3), pytest.approx((r2 + r6) / 2, abs=1e-5), 2, 2, 1,
        "Le support était nul, je suis déçu",
    )  # fmt: skip
    assert cells[("nps_comment", "detractor", "pricing")][:6] == (
        3,
        1,
        pytest.approx(100 / 3),
        pytest.approx(r2, abs=1e-5),
        1,
        1,
    )
    assert cells[("nps_comment", "detractor", "pricing")][6] == 2
    assert cells[("nps_comment", "detractor", "reporting")][1:6] == (
        1,
        pytest.approx(100 / 3),
        pytest.approx(r4, abs=1e-5),
        0,
        1,
    )
    assert cells[("nps_comment", "detractor", "reporting")][6] == 3
    # A theme nobody mentioned has a row with 0 mentions and no rank or example.
    assert cells[("nps_comment", "detractor", "security")] == (3, 0, 0.0, None, 0, 0, None, None)
    # Promoters' comments R1, R5, R9: two name no theme, R5 (German) and R9, which make the
    # average; equally close to it and both under 20 characters, the shorter R5 is the example.
    r5, r9 = model_score("Sehr gut!"), model_score("Great product")
    assert cells[("nps_comment", "promoter", "none")] == (
        3, 2, pytest.approx(200 / 3), pytest.approx((r5 + r9) / 2, abs=1e-5), 0, 0, None,
        "Sehr gut!",
    )  # fmt: skip
    assert cells[("nps_comment", "promoter", "reporting")][:2] == (3, 1)
    # All sources: promoters are R1, R5, R9, T2, I2; passives R3, T3, T4; detractors R2, R4,
    # R6, I1; T1 has no answer yet.
    assert cells[("all", "promoter", "none")][:2] == (5, 3)
    assert cells[("all", "passive", "account access")][:2] == (3, 1)
    assert cells[("all", "detractor", "support")][:3] == (4, 2, 50.0)
    assert cells[("all", "no answer", "reliability")][:2] == (1, 1)
    assert cells[("all", "no answer", "reporting")][:2] == (1, 1)
    assert ("interview", "passive", "none") not in cells  # no passive interviews: no rows
    themes = {row["theme"] for row in read_reference("voc_taxonomy")} | {"none"}
    per_cell = tiny("SELECT source, nps_category, count(*) FROM marts.voice_by_theme GROUP BY ALL")
    assert {n for *_, n in per_cell} == {len(themes)}


def test_segment_tracker_by_hand(tiny: Query) -> None:
    rows = {(r[0], r[1]): r[2:] for r in tiny("SELECT * FROM marts.segment_tracker")}
    # North America: A1 (C1, C2) and A5 (no contacts). Items R1, R6, T1, T2; themes reporting
    # (R1, T1) 2, then pricing (T2), reliability (T1), support (R6) 1 each: by name. Negative:
    # R6 and T1, 2 of 4 items. Quotes: the latest reporting item (R1, 10 Jan), the pricing one
    # (T2), and T1 for reliability (the only one, though it mentions reporting too).
    assert rows[("region", "North America")] == (
        2, 2, 4, 2, 2, 0, "reporting", 2, "pricing", 1, "reliability", 1, 2, 50.0,
        [
            "Reporting is fantastic, love the dashboards",
            "Invoice question\nPlease check our last invoice.",
            "Dashboard not loading\nSince this morning nothing loads.",
        ],
    )  # fmt: skip
    # EMEA: A2 (C3) and A6 (C6): R2, T3, R4, I1; five themes once each, the first three by name.
    # Negative: R2 and T3 ("can't log in").
    assert rows[("region", "EMEA")][:14] == (
        2, 2, 4, 2, 1, 1, "account access", 1, "integrations", 1, "onboarding", 1, 2, 50.0
    )  # fmt: skip
    # Contact segments: C1 is the only c_level (R1, T1, T2); end users C2 (A1) and C4 (A3) said
    # R6, R3, T4. R9 has no contact, so only account segments see it.
    assert rows[("influence_level", "c_level")][:3] == (1, 1, 3)
    assert rows[("influence_level", "end_user")][:3] == (2, 2, 3)
    assert rows[("power_user", "other user")][:3] == (5, 6, 12)
    assert rows[("region", "APAC")][2] == 3  # R3, R9, T4
    # Lost accounts A2, A4, A6: R2, T3, R5, I2, R4, I1.
    assert rows[("journey_stage", "lost")][2] == 6
    # A5 has no ARR and says nothing: a row with no items.
    assert rows[("revenue_tier", "unknown")] == (
        1, 0, 0, 0, 0, 0, None, None, None, None, None, None, 0, None, []
    )  # fmt: skip


# --- Planted truths in the committed sample ------------------------------------------------------


def test_every_sample_item_is_tagged(sample_query: Query) -> None:
    counts = dict(
        sample_query("SELECT source, count(DISTINCT item_id) FROM marts.feedback_themes GROUP BY 1")
    )
    assert counts == {
        "nps_comment": sample_query(
            "SELECT count(*) FROM staging.nps_responses WHERE trim(comment) <> ''"
        )[0][0],
        "ticket": sample_query("SELECT count(*) FROM staging.tickets")[0][0],
        "interview": sample_query("SELECT count(*) FROM staging.interviews")[0][0],
    }


def test_detractors_complain_and_promoters_praise_as_planted(sample_query: Query) -> None:
    """COMMENT_THEME_WEIGHTS: detractors mostly support, pricing, reliability; promoters mostly
    reporting and ease of use. Read from the comments (tickets are spread over every band)."""
    cells = {
        (category, theme): (rank, share)
        for category, theme, rank, share in sample_query(
            "SELECT nps_category, theme, theme_rank, share_of_category_pct "
            "FROM marts.voice_by_theme WHERE source = 'nps_comment'"
        )
    }
    top3_detractor = {
        t for (c, t), (rank, _) in cells.items() if c == "detractor" and rank and rank <= 3
    }
    assert {"support", "pricing"} <= top3_detractor
    assert [t for (c, t), (rank, _) in cells.items() if c == "promoter" and rank == 1] == [
        "reporting"
    ]
    for theme in ("support", "pricing", "reliability"):
        assert cells[("detractor", theme)][1] > cells[("promoter", theme)][1], theme
    for theme in ("reporting", "ease of use"):
        assert cells[("promoter", theme)][1] > cells[("detractor", theme)][1], theme


def test_share_of_generic_comments_is_recovered(sample_query: Query) -> None:
    ((comments, generic, template_generic),) = sample_query(
        "SELECT count(DISTINCT item_id), count(DISTINCT item_id) FILTER (WHERE theme = 'none'), "
        "count(DISTINCT item_id) FILTER (WHERE list_contains($generic, text)) "
        "FROM marts.feedback_themes WHERE source = 'nps_comment'",
        {"generic": [c for group in templates.GENERIC_COMMENTS.values() for c in group]},
    )
    # Exactly the generic templates name no theme...
    assert generic == template_generic
    # ...and they are GENERIC_COMMENT_SHARE of the comments, within sampling error.
    p = templates.GENERIC_COMMENT_SHARE
    se = math.sqrt(p * (1 - p) / comments)
    assert abs(generic / comments - p) <= GENERIC_SHARE_TOLERANCE_SE * se


def test_sample_sentiment_follows_the_band(sample_query: Query) -> None:
    averages = dict(
        sample_query(
            "SELECT nps_category, avg(sentiment_score) FROM (SELECT DISTINCT item_id, "
            "nps_category, sentiment_score FROM marts.feedback_themes "
            "WHERE source = 'nps_comment') GROUP BY 1"
        )
    )
    # VADER's compound is not the old word list's (positive - negative) / total, so the planted
    # truth is the order and the signs: promoters positive, detractors negative, passives between.
    assert averages["promoter"] > 0.25 > averages["passive"] > 0 > averages["detractor"], averages


def test_each_text_is_analysed_once_until_the_vocabulary_changes(tmp_path) -> None:
    """A second run analyses only the new texts; a changed lexicon analyses everything again
    (so would another analyser version: it is in the fingerprint), and either way the mart is
    what a first run would give."""
    database = tmp_path / "cx.duckdb"
    first = feedback_for_texts(database, [("a", "Support is slow"), ("b", "Great reporting")])
    assert first("SELECT count(*) FROM marts._text_analysis") == [(2,)]
    with Warehouse(database=str(database)).get_connection() as con:
        con.execute(
            "INSERT INTO staging.nps_responses VALUES ('c', 'X1', 'AX', ?, 8, ?)",
            [HARNESS_DAY, "Support is slow"],
        )  # a text already analysed
        con.execute(
            "INSERT INTO staging.nps_responses VALUES ('d', 'X1', 'AX', ?, 8, ?)",
            [HARNESS_DAY, "Pricing is okayish"],
        )
        parameters = sql_parameters(con, CxSettings(as_of="2026-03-31"))
        vocabulary = "SELECT DISTINCT vocabulary FROM marts._text_analysis"
        (before,) = con.execute(vocabulary).fetchall()
        run_mart_sql(con, load_spec("feedback_themes").sql, parameters)
        assert con.execute("SELECT count(*) FROM marts._text_analysis").fetchall() == [(3,)]
        assert con.execute(vocabulary).fetchall() == [before]
        incremental = con.execute(MART_ROWS).fetchall()
        con.execute(
            "INSERT INTO raw.voc_lexicon (kind, term, weight) VALUES ('negative', 'okayish', 1)"
        )
        run_mart_sql(con, load_spec("feedback_themes").sql, parameters)
        (after,) = con.execute(vocabulary).fetchall()
        assert after != before
        # 'okayish' now names a problem: the pricing item becomes actionable.
        assert con.execute(
            "SELECT is_actionable FROM marts.feedback_themes WHERE item_id = 'd'"
        ).fetchall() == [(True,)]
        con.execute("DROP TABLE marts._text_analysis")
        con.execute("DELETE FROM raw.voc_lexicon WHERE term = 'okayish'")
        run_mart_sql(con, load_spec("feedback_themes").sql, parameters)
        assert con.execute(MART_ROWS).fetchall() == incremental


MART_ROWS = "SELECT * FROM marts.feedback_themes ORDER BY ALL"
