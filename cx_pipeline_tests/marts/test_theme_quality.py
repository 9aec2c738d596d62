"""Themes on real customer-support messages (issue 15): the committed, hand-checked sample of
tweets to 25 companies' support accounts (IBM Twitter CDP data set, Apache-2.0; fixtures/text/
support_messages_*.csv), read by feedback_themes.sql as shipped.

Issue 15's targets: a theme for at least 60% of real support messages, and precision of at
least 85% on a hand-checked sample of 100. Rounds 1-5 (the first turns of test.json) are tuning
data: on them the taxonomy gives 63.4% coverage and 89.8% precision per (message, theme) pair.
The held-out round (6: 100 follow-up messages read once after the taxonomy was frozen) gives
83.0% precision (44 of 53 pairs) and 39% coverage; follow-ups such as "I'm on PS4" name no
theme, so coverage is measured on the tuning rounds and dev.json (docs/voice-of-customer.md,
"Themes"). The tests keep what was reached from slipping and mark the missed target as xfail
with its measured figure; every theme the rule gives a message has a hand verdict, so a
taxonomy edit that tags these messages differently must be checked by a person."""

from __future__ import annotations

import csv
from collections.abc import Callable

import pytest

from cx_pipeline_tests.conftest import REPO_ROOT
from cx_pipeline_tests.marts.voice_extracts import feedback_for_texts

Query = Callable[..., list[tuple]]
FIXTURES = REPO_ROOT / "cx_pipeline_tests" / "fixtures" / "text"
HELD_OUT_ROUND = "6"
TUNING_ROUNDS = ("1", "2", "3", "4", "5")


def fixture_rows(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(ln for ln in f if not ln.startswith("#")))


CHECKED = fixture_rows("support_messages_checked.csv")
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
    coverage, precision = figures(themes, TUNING_ROUNDS)
    assert coverage >= 0.60
    assert precision >= 0.85


def test_held_out_round_keeps_its_precision(themes: dict[str, list[str]]) -> None:
    coverage, precision = figures(themes, (HELD_OUT_ROUND,))
    assert precision >= 0.83  # 44 of 53 pairs when round 6 was read
    assert coverage >= 0.39  # follow-up messages: 39 of 100 name a theme


@pytest.mark.xfail(
    strict=True,
    reason="issue 15's 85% is missed held out: 83.0% (44 of 53 pairs) on round 6; the "
    "errors are theme words used about something else ('Export to Clipboard', crash "
    "'reports', 'thanks for the response', Face ID 'unlock')",
)
def test_held_out_round_meets_the_precision_target(themes: dict[str, list[str]]) -> None:
    assert figures(themes, (HELD_OUT_ROUND,))[1] >= 0.85


@pytest.mark.parametrize("item", list(EXCEPTIONS))
def test_exceptions_keep_a_theme_out_of_their_clause(
    themes: dict[str, list[str]], item: str
) -> None:
    assert themes[item] == EXCEPTIONS[item][1]
