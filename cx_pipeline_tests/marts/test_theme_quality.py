"""Themes on real customer-support messages (issue 15): the committed, hand-checked samples
(fixtures/text/support_messages_checked.csv, read by feedback_themes.sql as shipped, and
fixtures/text/support_round7_verdicts.csv, verdicts without the texts).

Issue 15's targets: a theme for at least 60% of real support messages, and precision of at
least 85% on a hand-checked sample of 100. Rounds 1-6 (tweets to 25 companies' support accounts,
IBM Twitter CDP data set, Apache-2.0) are tuning data: on the first messages (rounds 1-5) the
taxonomy gives 65.8% coverage and 90.5% precision per (message, theme) pair. The held-out round
(7: 100 opening tweets of a second source, Thought Vector's Customer Support on Twitter, 2017,
read once after the taxonomy was frozen) gives 38% coverage and 64.6% precision (31 of 48
pairs): airlines, food chains and shops use the taxonomy's words for other things ('seat',
'ticket', 'return flight', 'pay rise'). Round 6 (IBM follow-ups) was the held-out round before:
83.0% (44 of 53) when read. Round 7's tweets are under CC BY-NC-SA 4.0, not an open licence, so
they are not in the repository: round 7 is tested from the themes the rule gave them and the
verdicts (benchmarks/theme_quality.py --twcs rebuilds the texts and runs the rule again).
The tests keep what was reached from slipping and mark the missed targets as xfail with their
measured figures; on rounds 1-6 every theme the rule gives a message has a hand verdict, so a
taxonomy edit that tags these messages differently must be checked by a person."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable

import pytest

from cx_pipeline_tests.conftest import REPO_ROOT
from cx_pipeline_tests.marts.voice_extracts import feedback_for_texts

Query = Callable[..., list[tuple]]
FIXTURES = REPO_ROOT / "cx_pipeline_tests" / "fixtures" / "text"
FIRST_MESSAGES = ("1", "2", "3", "4", "5")  # tuning: first turns of IBM's test.json
TUNING_ROUNDS = (*FIRST_MESSAGES, "6")  # round 6: IBM follow-ups, held out until round 7


def fixture_rows(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(ln for ln in f if not ln.startswith("#")))


CHECKED = fixture_rows("support_messages_checked.csv")
ROUND7 = fixture_rows("support_round7_verdicts.csv")
QUOTE = re.compile(r"(?<!\w)['\"]([^'\"]+)['\"](?!\w)")
# Exceptions (a keyword with a leading '-') worked out by hand: the exception keeps its theme
# out of its own clause only.
EXCEPTIONS = {
    # 'how do i' is ease of use, '-how do i fix' takes it back; 'crash' is reliability.
    "x1": ("How do I fix this crash?", ["reliability"]),
    # The second clause still names ease of use ('confusing').
    "x2": ("How do I fix this? The menu is confusing", ["ease of use", "reliability"]),
    # 'never received' is orders and delivery, '-reset' takes it back; 'reset link' is access.
    "x3": ("I never received the reset link", ["account access"]),
    "x4": ("I never received the parcel", ["orders and delivery"]),
}


@pytest.fixture(scope="module")
def themes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    texts = [(r["id"], r["text"]) for r in CHECKED]
    texts += [(item, text) for item, (text, _) in EXCEPTIONS.items()]
    query = feedback_for_texts(tmp_path_factory.mktemp("theme_quality") / "cx.duckdb", texts)
    found = query(
        "SELECT item_id, list(theme ORDER BY theme) FILTER (WHERE theme <> 'none') "
        "FROM marts.feedback_themes GROUP BY item_id"
    )
    return {item: given or [] for item, given in found}


def test_sample_is_what_the_header_says() -> None:
    assert len(CHECKED) == 600
    assert [sum(r["round"] == str(n) for r in CHECKED) for n in range(1, 7)] == [100] * 6
    assert all(r["text"].strip() for r in CHECKED)
    assert len({r["id"] for r in CHECKED}) == 600
    assert len(fixture_rows("support_messages_tuning.csv")) == 300


def test_round7_keeps_verdicts_not_tweets() -> None:
    """CC BY-NC-SA text stays out: ids, fingerprints, themes, verdicts and our notes only, with
    no quote of a tweet longer than five words."""
    assert list(ROUND7[0]) == ["tweet_id", "text_sha256", "themes", "verdicts", "notes"]
    assert len(ROUND7) == 100
    assert len({r["tweet_id"] for r in ROUND7}) == 100
    assert all(r["tweet_id"].isdigit() for r in ROUND7)
    assert all(re.fullmatch(r"[0-9a-f]{16}", r["text_sha256"]) for r in ROUND7)
    for r in ROUND7:
        if r["themes"] == "none":
            assert r["verdicts"] == ""
        else:
            verdicts = r["verdicts"].split("|")
            assert len(verdicts) == len(r["themes"].split("|"))
            assert set(verdicts) <= {"right", "wrong"}
        assert all(len(q.split()) <= 5 for q in QUOTE.findall(r["notes"]))


def test_every_theme_given_has_a_verdict(themes: dict[str, list[str]]) -> None:
    unjudged = []
    for row in CHECKED:
        judged = dict(zip(row["themes"].split("|"), row["verdicts"].split("|"), strict=False))
        unjudged += [
            (row["round"], row["id"], theme)
            for theme in themes[row["id"]]
            if judged.get(theme) not in ("right", "wrong")
        ]
    assert unjudged == [], "judge these (message, theme) pairs in support_messages_checked.csv"


def figures(themes: dict[str, list[str]], rounds: tuple[str, ...]) -> tuple[float, float]:
    """(coverage, precision per (message, theme) pair) of the rounds, from their verdicts."""
    rows = [r for r in CHECKED if r["round"] in rounds]
    tagged = [r for r in rows if themes[r["id"]]]
    verdicts = [
        dict(zip(r["themes"].split("|"), r["verdicts"].split("|"), strict=True))[theme]
        for r in tagged
        for theme in themes[r["id"]]
    ]
    return len(tagged) / len(rows), verdicts.count("right") / len(verdicts)


def test_tuning_rounds_meet_both_targets(themes: dict[str, list[str]]) -> None:
    coverage, precision = figures(themes, FIRST_MESSAGES)
    assert coverage >= 0.60  # 65.8%: 329 of 500 first messages
    assert precision >= 0.85  # 90.5%: 419 of 463 pairs
    coverage, precision = figures(themes, TUNING_ROUNDS)
    assert precision >= 0.85  # 91.0%: 463 of 509 pairs, round 6's follow-ups included


def round7_figures() -> tuple[float, float, int]:
    """(coverage, precision, pairs) of round 7 from the themes the rule gave its tweets when
    they were read (the taxonomy frozen at 1d27d65) and their verdicts."""
    tagged = [r for r in ROUND7 if r["themes"] != "none"]
    verdicts = [v for r in tagged for v in r["verdicts"].split("|")]
    return len(tagged) / len(ROUND7), verdicts.count("right") / len(verdicts), len(verdicts)


def test_held_out_round_is_what_was_measured() -> None:
    coverage, precision, pairs = round7_figures()
    assert coverage == 0.38  # 38 of 100 opening tweets name a theme
    assert (pairs, precision) == (48, 31 / 48)  # 64.6% when round 7 was read


@pytest.mark.xfail(
    strict=True,
    reason="issue 15's 85% is missed held out: 64.6% (31 of 48 pairs) on round 7, a second "
    "source (airlines, food chains, shops, telecoms, 2017); the errors are the taxonomy's words "
    "used about something else: a seat-back screen, a flight ticket, a return flight, a locked "
    "toilet, a 'pay rise', 'CRM:' in a case number, a TV 'guide'",
)
def test_held_out_round_meets_the_precision_target() -> None:
    assert round7_figures()[1] >= 0.85


@pytest.mark.xfail(
    strict=True,
    reason="issue 15's 60% coverage is missed held out: 38% on round 7; opening tweets about "
    "flights, food, trains and promotions ('$3 burritos') name no theme of a B2B taxonomy",
)
def test_held_out_round_meets_the_coverage_target() -> None:
    assert round7_figures()[0] >= 0.60


@pytest.mark.parametrize("item", list(EXCEPTIONS))
def test_exceptions_keep_a_theme_out_of_their_clause(
    themes: dict[str, list[str]], item: str
) -> None:
    assert themes[item] == EXCEPTIONS[item][1]
