"""What the text rules get right on text nobody here wrote for them (cx_pipeline_tests/fixtures/
text, sources and licences in their headers): sentiment and language on labelled review
sentences (English), held-out subtitle lines (German, Spanish, French, Portuguese), social media
posts (German, Spanish, Portuguese) and book reviews (French), influence
levels on job titles in five languages (hand-written ones, real occupation titles levelled
by their ISCO-08 code, and titles US workers report, levelled by their O*NET-SOC code). The
floors sit a little under the measured figures (docs/voice-of-customer.md), so a change that
makes them worse fails; issue 15's targets are checked as such, and where the shipped model
misses one the test says so (xfail)."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cx_pipeline import text
from cx_pipeline.resources import install_rules

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text"


def rows(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as f:
        lines: Iterator[str] = (line for line in f if not line.startswith("#"))
        return list(csv.DictReader(lines, delimiter=delimiter))


def macro_f1(gold: list[str], predicted: list[str], classes: tuple[str, ...]) -> float:
    """Mean over the gold classes of 2 TP / (2 TP + FP + FN); a neutral or unsupported
    prediction is wrong for both classes."""
    scores = []
    for c in classes:
        tp = sum(g == c and p == c for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)


def test_macro_f1_by_hand() -> None:
    # positive: TP 1 (a), FP 1 (c), FN 1 (b) -> 2/4; negative: TP 0, FP 0, FN 1 (d) -> 0.
    gold = ["positive", "positive", "negative", "negative"]
    predicted = ["positive", "neutral", "positive", "unsupported"]
    assert macro_f1(gold, predicted, ("positive", "negative")) == pytest.approx(0.25)


@pytest.fixture(scope="module")
def reviews() -> list[tuple[str, str, str]]:
    """(domain, gold label, predicted label) of the 300 review sentences."""
    return [
        (
            r["domain"],
            "positive" if r["label"] == "1" else "negative",
            text.analyse(r["sentence"])["label"],
        )
        for r in rows("review_sentences.tsv", delimiter="\t")
    ]


def test_review_sentences_sentiment(reviews: list[tuple[str, str, str]]) -> None:
    """Every sentence is English and clearly positive or negative (the data set's own rule).
    Issue 15's targets, macro F1 >= 0.80 with at most 15% neutral, are met on all 3,000
    (model 2026.12-4: accuracy 0.762, macro F1 0.812, 12.3% neutral; benchmarks/
    text_quality.py --uci). On this sample of 300: 0.757, 0.806, 12.3% (2026.12-3: 0.747,
    0.797, 13.0%; 2026.12-2: 0.75, 0.804, 13.7%); VADER alone scored 0.68 / 0.76 / 22% here,
    the word list 0.50 / 0.64 / 46% on the whole set. The sample keeps its own figure, less
    0.02."""
    gold = [g for _, g, _ in reviews]
    predicted = [p for _, _, p in reviews]
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    neutral = predicted.count("neutral") / len(predicted)
    assert accuracy >= 0.73
    assert macro_f1(gold, predicted, ("positive", "negative")) >= 0.806 - 0.02
    assert neutral <= 0.15


def test_review_sentences_reach_the_target(reviews: list[tuple[str, str, str]]) -> None:
    """Issue 15: English macro F1 >= 0.80, here on the committed sample."""
    gold = [g for _, g, _ in reviews]
    predicted = [p for _, _, p in reviews]
    assert macro_f1(gold, predicted, ("positive", "negative")) >= 0.80
    # Short English sentences are still read as English (ENGLISH_FLOOR and UNSURE).
    assert predicted.count("unsupported") <= 3


def test_negatives_are_caught_more_often_than_by_the_word_list(
    reviews: list[tuple[str, str, str]],
) -> None:
    """The word list caught 38.5% of the negative sentences (issue 15), VADER 53%; the model
    76% here."""
    negatives = [p for _, g, p in reviews if g == "negative"]
    assert negatives.count("negative") / len(negatives) >= 0.75


# The held-out samples of XED and BRIGHTER (scripts/train_sentiment.py --fixtures writes them).
HELD_OUT = FIXTURES / "held_out_sentences.tsv"
Sample = tuple[str, str]  # (language, source)


@pytest.fixture(scope="module")
def held_out() -> dict[Sample, tuple[list[str], list[str]]]:
    """{(language, source): (gold labels, predicted labels)} of the held-out lines, each
    analysed as a customer's text is (its language detected first)."""
    found: dict[Sample, tuple[list[str], list[str]]] = {}
    with HELD_OUT.open(encoding="utf-8", newline="") as f:
        lines: Iterator[str] = (line for line in f if not line.startswith("#"))
        sample = list(csv.DictReader(lines, delimiter="\t"))
    for r in sample:
        gold, predicted = found.setdefault((r["language"], r["source"]), ([], []))
        gold.append(r["label"])
        predicted.append(text.analyse(r["sentence"])["label"])
    return found


# Measured on the 300 lines of each sample: macro F1, share neutral, share read as a language
# the model does not read (short subtitle lines look like Galician, Catalan or Swedish).
HELD_OUT_MEASURED: dict[Sample, tuple[float, float, float]] = {
    ("de", "XED"): (0.626, 0.157, 0.040),
    ("es", "XED"): (0.665, 0.160, 0.040),
    ("fr", "XED"): (0.576, 0.163, 0.060),
    ("pt", "XED"): (0.697, 0.147, 0.040),
    ("de", "BRIGHTER"): (0.739, 0.147, 0.000),
    ("es", "BRIGHTER"): (0.804, 0.107, 0.050),
    ("pt", "BRIGHTER"): (0.698, 0.173, 0.017),
    ("fr", "books"): (0.533, 0.093, 0.000),
}
# Why a sample stays under the target (docs/voice-of-customer.md has the figures).
MISSED = {
    "XED": "the neutral band takes 14-17% of these polar lines (XED: subtitle lines with labels "
    "projected from English)",
    "BRIGHTER": "within 0.02 of it on this sample; 0.733 on all 1,509 held-out posts",
    "books": "few negative reviews (1 in 10), and the model reads many of them as positive",
}


@pytest.mark.parametrize("sample", list(HELD_OUT_MEASURED), ids="-".join)
def test_held_out_lines(
    held_out: dict[Sample, tuple[list[str], list[str]]], sample: Sample
) -> None:
    gold, predicted = held_out[sample]
    f1, neutral, unsupported = HELD_OUT_MEASURED[sample]
    assert len(gold) == 300
    assert macro_f1(gold, predicted, ("positive", "negative")) >= f1 - 0.02
    assert predicted.count("neutral") / len(predicted) <= neutral + 0.03
    assert predicted.count("unsupported") / len(predicted) <= unsupported + 0.03


@pytest.mark.parametrize(
    "sample",
    [
        pytest.param(
            sample,
            marks=pytest.mark.xfail(
                reason=f"measured {HELD_OUT_MEASURED[sample][0]:.3f} on this sample: "
                + MISSED[sample[1]],
                strict=False,
            ),
        )
        if HELD_OUT_MEASURED[sample][0] < 0.70
        else sample
        for sample in HELD_OUT_MEASURED
    ],
    ids="-".join,
)
def test_held_out_lines_reach_the_target(
    held_out: dict[Sample, tuple[list[str], list[str]]], sample: Sample
) -> None:
    """Issue 15: macro F1 >= 0.70 in each language besides English. Subtitle lines are harder
    than posts and reviews and their labels were projected from English, so their ceiling is
    low; a polar line the neutral band keeps counts as wrong. The misses are in
    docs/voice-of-customer.md."""
    gold, predicted = held_out[sample]
    assert macro_f1(gold, predicted, ("positive", "negative")) >= 0.70


# Plain texts in the five languages the model reads get the label a reader would give; texts in
# other languages are 'unsupported' with no score, never 'neutral'.
@pytest.mark.parametrize(
    ("sentence", "language", "label"),
    [
        ("The new dashboard is great, thanks!", "en", "positive"),
        ("The export has been broken for a week and nobody answers.", "en", "negative"),
        ("Sehr gut, ich bin sehr zufrieden.", "de", "positive"),
        ("Das Dashboard lädt seit heute Morgen nicht mehr, eine Katastrophe.", "de", "negative"),
        ("Excelente servicio, muchas gracias.", "es", "positive"),
        ("La aplicación es horrible y se cierra cada vez.", "es", "negative"),
        ("Merci beaucoup, le support est excellent.", "fr", "positive"),
        ("C'est nul, je suis très déçu.", "fr", "negative"),
        ("Adorei, o atendimento foi ótimo!", "pt", "positive"),
        ("O produto chegou quebrado e ninguém respondeu, péssimo.", "pt", "negative"),
        ("De app crasht elke keer als ik een rapport open.", "nl", "unsupported"),
        ("Il servizio clienti non risponde mai alle nostre richieste.", "it", "unsupported"),
    ],
)
def test_languages(sentence: str, language: str, label: str) -> None:
    got = text.analyse(sentence)
    assert (got["language"], got["label"]) == (language, label)
    assert (got["score"] is None) == (label == "unsupported")


def test_analyser_names_the_model_file() -> None:
    """The fingerprint the text cache keys on changes when the model file does."""
    assert text.model_fingerprint() in text.analyser()
    assert set(text.model()["languages"]) == set(text.SUPPORTED_LANGUAGES)


@pytest.fixture(scope="module")
def titles() -> list[tuple[str, str, str, str]]:
    """(split, language, wanted level, level from rules.sql) of each fixture title."""
    con = duckdb.connect()
    install_rules(con)
    found = []
    for r in rows("job_titles.csv"):
        (level,) = con.execute("SELECT influence_level($t)", {"t": r["title"]}).fetchone()
        found.append((r["split"], r["language"], r["level"], level))
    return found


def test_titles_named_in_the_issue(titles: list[tuple[str, str, str, str]]) -> None:
    assert [t for t in titles if t[0] == "tuning" and t[2] != t[3]] == []


@pytest.mark.parametrize(("english", "floor"), [(True, 0.95), (False, 0.90)])
def test_held_out_titles(
    titles: list[tuple[str, str, str, str]], english: bool, floor: float
) -> None:
    held_out = [t for t in titles if t[0] == "held_out" and (t[1] == "en") == english]
    right = sum(wanted == got for *_, wanted, got in held_out)
    assert right / len(held_out) >= floor, [t for t in held_out if t[2] != t[3]]


# Real occupation titles (ESCO en/fr/es, CH-ISCO-19 de, CPP 2010 pt) with the level their
# ISCO-08 code allows (header of occupation_titles.csv). Floors sit just under the shares
# measured once the rule was frozen (docs/voice-of-customer.md); the held-out part was scored
# once, after the last change to influence_level().
TITLE_FLOORS = {  # language: (tuning, held_out)
    "en": (0.86, 0.85),  # 181/210, 97/113
    "de": (0.96, 0.93),  # 155/160, 60/64
    "fr": (0.87, 0.88),  # 199/228, 83/94
    "es": (0.84, 0.84),  # 184/219, 88/104
    "pt": (0.93, 0.95),  # 156/166, 62/65
}
MANAGER_BAND = "senior_manager|decision_maker|influencer"


def levelled(file: str) -> list[tuple[dict[str, str], str]]:
    """Each title of a fixture file with the level rules.sql gives it."""
    con = duckdb.connect()
    install_rules(con)
    found = rows(file)
    levels = dict(
        con.execute(
            "SELECT t, influence_level(t) FROM (SELECT unnest($titles) AS t)",
            {"titles": [r["title"] for r in found]},
        ).fetchall()
    )
    return [(r, levels[r["title"]]) for r in found]


@pytest.fixture(scope="module")
def occupations() -> list[tuple[dict[str, str], str]]:
    """Each real occupation title with the level rules.sql gives it."""
    return levelled("occupation_titles.csv")


def test_occupation_levels_follow_the_isco_mapping(
    occupations: list[tuple[dict[str, str], str]],
) -> None:
    """The levels in the fixture are the header's mapping of the ISCO-08 code, recomputed here
    from the code alone: 11 top, 12-13 the manager band, 1420 shops, 14 other establishments,
    supervisors and consultants, everyone else."""
    supervisors = ("3121", "3122", "3123", "3341", "5151", "5222", "2421")
    for r, _ in occupations:
        isco = r["isco"]
        wanted = (
            "c_level" if isco[:2] == "11"
            else MANAGER_BAND if isco[:2] in ("12", "13")
            else "end_user" if isco[:3] == "142"
            else "influencer" if isco[:2] == "14" or isco in supervisors
            else "end_user"
        )  # fmt: skip
        assert r["level"] == wanted, r
    counts = Counter((r["language"], r["split"]) for r, _ in occupations)
    assert all(counts[(lang, "held_out")] >= 60 for lang in TITLE_FLOORS), counts
    assert all(counts[(lang, "tuning")] >= 150 for lang in TITLE_FLOORS), counts


def occupation_share(
    occupations: list[tuple[dict[str, str], str]], language: str, split: str
) -> tuple[float, list[tuple[str, str, str]]]:
    part = [(r, got) for r, got in occupations if (r["language"], r["split"]) == (language, split)]
    wrong = [(r["title"], r["level"], got) for r, got in part if got not in r["level"].split("|")]
    return 1 - len(wrong) / len(part), wrong


@pytest.mark.parametrize("split", ["tuning", "held_out"])
@pytest.mark.parametrize("language", sorted(TITLE_FLOORS))
def test_real_occupation_titles_keep_their_measured_share(
    occupations: list[tuple[dict[str, str], str]], language: str, split: str
) -> None:
    share, wrong = occupation_share(occupations, language, split)
    floor = TITLE_FLOORS[language][split == "held_out"]
    assert share >= floor, (share, wrong)


@pytest.mark.parametrize(
    "language",
    [
        pytest.param(lang, marks=[] if ok else pytest.mark.xfail(reason=why, strict=True))
        for lang, ok, why in [
            ("en", False, "85.8% held out: ISCO puts title words the rule reads by rank elsewhere"),
            ("de", True, ""),
            ("fr", False, "88.3% held out: gérant de <shop>, directeurs of small establishments"),
            (
                "es",
                False,
                "84.6% held out: responsable/encargado/supervisor of ISCO 5-9 workers",
            ),
            ("pt", True, ""),
        ]
    ],
)
def test_real_occupation_titles_reach_the_target(
    occupations: list[tuple[dict[str, str], str]], language: str
) -> None:
    """Issue 15: >= 95% of English titles right, >= 90% of each other language's."""
    share, wrong = occupation_share(occupations, language, "held_out")
    assert share >= (0.95 if language == "en" else 0.90), (share, wrong)


# Titles US workers report for their own job (O*NET 29.3 "Sample of Reported Titles", CC BY 4.0)
# with the level their O*NET-SOC occupation gives (header of reported_titles.csv). The rule was
# changed by reading the tuning part only; the held-out part was scored once, after the last
# change (docs/voice-of-customer.md): tuning 519/577, held out 301/333.
REPORTED_FLOORS = {"tuning": 0.89, "held_out": 0.90}


@pytest.fixture(scope="module")
def reported() -> list[tuple[dict[str, str], str]]:
    """Each reported title with the level rules.sql gives it."""
    return levelled("reported_titles.csv")


def test_reported_levels_follow_the_soc_mapping(
    reported: list[tuple[dict[str, str], str]],
) -> None:
    """The levels in the fixture are the header's mapping of the O*NET-SOC code, recomputed here
    from the code alone: chief executives, other managers, first-line supervisors (retail ones
    apart), buyers, consultants and IT project managers, systems architects, everyone else."""
    for r, _ in reported:
        code = r["onet_soc"]
        wanted = (
            "c_level|senior_manager" if code == "11-1011.00"
            else "c_level|" + MANAGER_BAND if code == "11-1011.03"
            else MANAGER_BAND if code[:2] == "11"
            else "end_user|influencer" if code[:7] == "41-1011" or code == "15-1299.08"
            else "influencer" if int(code[:2]) >= 33 and code[3] == "1"
            else "decision_maker" if code[:7] in ("13-1021", "13-1022", "13-1023")
            else "influencer" if code in ("13-1111.00", "15-1299.09")
            else "end_user"
        )  # fmt: skip
        assert r["level"] == wanted, r
    assert {r["language"] for r, _ in reported} == {"en"}
    counts = Counter(r["split"] for r, _ in reported)
    assert counts["held_out"] >= 300 and counts["tuning"] >= 500, counts
    assert len({r["title"].lower() for r, _ in reported}) == len(reported)


def reported_share(
    reported: list[tuple[dict[str, str], str]], split: str
) -> tuple[float, list[tuple[str, str, str]]]:
    part = [(r, got) for r, got in reported if r["split"] == split]
    wrong = [(r["title"], r["level"], got) for r, got in part if got not in r["level"].split("|")]
    return 1 - len(wrong) / len(part), wrong


@pytest.mark.parametrize("split", ["tuning", "held_out"])
def test_reported_titles_keep_their_measured_share(
    reported: list[tuple[dict[str, str], str]], split: str
) -> None:
    share, wrong = reported_share(reported, split)
    assert share >= REPORTED_FLOORS[split], (share, wrong)


@pytest.mark.xfail(
    reason="90.4% held out: SOC puts police and fire ranks, chefs and office managers with the "
    "supervisors, management analysts with the consultants, deans and administrators with the "
    "managers, while the rule reads them by their words",
    strict=True,
)
def test_reported_titles_reach_the_target(reported: list[tuple[dict[str, str], str]]) -> None:
    """Issue 15: >= 95% of English titles right."""
    share, wrong = reported_share(reported, "held_out")
    assert share >= 0.95, (share, wrong)


def test_reported_title_fixes_by_hand() -> None:
    """The words added from the tuning part of the reported titles (rules.sql documents them)."""
    con = duckdb.connect()
    install_rules(con)
    cases = {
        "Construction Foreman": "influencer",
        "Site Superintendent": "influencer",
        "Contremaître": "influencer",
        "Purchasing Agent": "decision_maker",
        "Comptroller": "decision_maker",
        "Brand Ambassador": "end_user",
        "Ambassador to Spain": "c_level",
    }
    for title, level in cases.items():
        assert con.execute("SELECT influence_level($t)", {"t": title}).fetchone()[0] == level, title


def test_tokens_mark_negation_and_contrast() -> None:
    # 'not' negates up to the comma; after 'but' every word is marked up to the end (the
    # emoticon too); the negation word itself is not marked.
    assert text.tokens("It is not fast, but the reports are good :)", "en") == [
        "it", "is", "not", "not_fast", ",", "but", "but_the", "but_reports", "but_are",
        "but_good", "but_:)",
    ]  # fmt: skip
    # German: 'nicht' negates 'mehr' up to the comma, 'aber' marks the rest up to the full stop.
    assert text.tokens("Das Dashboard lädt nicht mehr, aber der Support hilft.", "de") == [
        "das", "dashboard", "lädt", "nicht", "not_mehr", ",", "aber", "but_der", "but_support",
        "but_hilft", ".",
    ]  # fmt: skip
    # French "n'" negates what follows, "pas" included.
    assert text.tokens("Je n'aime pas l'export", "fr") == [
        "je",
        "n'aime",
        "not_pas",
        "not_l'export",
    ]


def test_training_rules_by_hand() -> None:
    """scripts/train_sentiment.py: XED's emotions to a label, the neutral band, and a fit that
    finds a planted word."""
    import sys

    import numpy as np
    from scipy import sparse

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    import train_sentiment as t

    assert t.xed_label("5, 8") == "positive"  # joy, trust
    assert t.xed_label("6") == "negative"  # sadness
    assert t.xed_label("1, 5") is None  # anger and joy: mixed
    assert t.xed_label("2, 7") is None  # anticipation, surprise: neither
    # 20 lines at +-0.05 of which 10 right (50%, a coin), 180 at +-0.5 all right. Every band up
    # to 0.50 holds the 20 (10% of 200, under 15%) at 50% right: the band is 0.50; at 0.51 it
    # would hold all 200.
    scores = np.array([0.05, -0.05] * 10 + [0.5, -0.5] * 90)
    gold = ["positive", "positive"] * 10 + ["positive", "negative"] * 90
    assert t.neutral_band(scores, gold) == pytest.approx(0.5)
    # Planted: column 0 in every positive line, column 1 in every negative one, column 2 in all.
    x = sparse.csr_matrix(np.array([[1, 0, 1]] * 30 + [[0, 1, 1]] * 30 + [[0, 0, 1]] * 10))
    y = np.array([1.0] * 30 + [0.0] * 30 + [0.5] * 10)
    w, b = t.fit(x, y, l2=1e-3)
    assert w[0] > 1 > -1 > w[1]
    assert abs(w[2] + b) < 0.1  # a line with neither planted column stays near p = 0.5


def test_translations_fall_in_one_split(tmp_path: Path) -> None:
    """scripts/train_sentiment.py: lines of two projection files in a run of at least MIN_RUN
    (4) equal labels are translations and take the split of the first file's line; a run of 3
    is not enough. And the joint model's rows: each language's features twice, in the shared
    block and in its own."""
    import sys

    import numpy as np
    from scipy import sparse

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    import train_sentiment as t

    folder = tmp_path / "XED" / "Projections"
    folder.mkdir(parents=True)
    files = {
        # en and de share the run 5, 6, 1, 8 (lines 2-5 of en, 2-5 of de): four groups.
        "en": [("Hello.", "1"), ("Great!", "5"), ("So sad.", "6"), ("Go away!", "1"),
               ("I trust you.", "8")],
        "de": [("Was?", "4"), ("Toll!", "5"), ("So traurig.", "6"), ("Geh weg!", "1"),
               ("Ich vertraue dir.", "8")],
        # fr shares only 5, 6, 1 with either: no group.
        "fr": [("Super !", "5"), ("Si triste.", "6"), ("Va-t'en !", "1"), ("Quoi ?", "2")],
    }  # fmt: skip
    for lang in t.ALIGNED:
        rows = files.get(lang, [])
        (folder / f"{lang}-projections.tsv").write_text(
            "".join(f"{s}\t{e}\n" for s, e in rows), encoding="utf-8"
        )
    groups = t.translation_groups(tmp_path)
    pairs = [("Great!", "Toll!"), ("So sad.", "So traurig."), ("Go away!", "Geh weg!"),
             ("I trust you.", "Ich vertraue dir.")]  # fmt: skip
    for english, german in pairs:
        assert groups[("de", t.letters(german))] == t.split_of(t.letters(english))
        assert groups[("en", t.letters(english + " "))] == t.split_of(t.letters(english))
    assert len(groups) == 8  # "Hello.", "Was?" and every French line are in no group
    # Two languages, one row each: [shared | first's own | second's own].
    joint = t.joint_matrix([sparse.csr_matrix([[1.0, 0.0]]), sparse.csr_matrix([[0.0, 2.0]])])
    assert joint.toarray().tolist() == [[1, 0, 1, 0, 0, 0], [0, 2, 0, 0, 0, 2]]
    # Within each group, positive and negative lines weigh the same in total. Group 0: three
    # positive lines with column 0 (1/3 each) and one negative line without (1); group 1: a
    # positive line without (1), a negative one with (1). Column 0 weighs 1 positive and 1
    # negative, so it stays near 0; weighted over all lines at once (positive 1/4 each, negative
    # 1/2 each) it would weigh 3/4 positive against 1/2 negative and lean positive.
    x = sparse.csr_matrix(np.array([[1.0]] * 3 + [[0.0]] + [[0.0]] + [[1.0]]))
    y = np.array([1.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    w, b = t.fit(x, y, 1e-3, np.array([0, 0, 0, 0, 1, 1]))
    assert abs(w[0]) < 0.05 and abs(b) < 0.05
    w, b = t.fit(x, y, 1e-3)
    assert w[0] > 0.3
