"""The closed-loop marts recover the follow-ups the generator planted (`followups=True`).

A small generated set (seconds): the generator opens a follow-up on a planted share of detractor
answers, reaches a planted share of those, a planted share of the reached within the 2-day
window, and records 'recovered' when the person's next answer is in a better band. Its truth
counts, per month of the answer, what it planted on its own arrays; the marts must find the same.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from cx_pipeline.generate import generate
from cx_pipeline.generate.followups import FOLLOWED_UP_SHARE, IN_TIME_SHARE, REACHED_SHARE
from cx_pipeline_tests.conftest import Query, materialize_all, reader, up_to

COUNTS = ("detractors", "followed_up", "reached", "measured", "reached_in_time")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Query]:
    root = tmp_path_factory.mktemp("planted_followups")
    truth = generate(root / "extracts", scale="small", seed=5, followups=True, progress=None)
    materialize_all(
        root / "extracts",
        root / "cx.duckdb",
        selection=up_to("marts.closed_loop_by_month"),
        followup_reach_days=2,
    )
    return truth["followups"], reader(root / "cx.duckdb")


def test_the_month_counts_are_the_planted_ones(planted: tuple[dict[str, Any], Query]) -> None:
    truth, query = planted
    reported = {
        month: dict(zip(COUNTS, values, strict=True))
        for month, *values in query(
            f"SELECT strftime(month, '%Y-%m'), {', '.join(COUNTS)} "
            "FROM marts.closed_loop_by_month ORDER BY month"
        )
    }
    expected = {m: {c: cell[c] for c in COUNTS} for m, cell in truth["by_month"].items()}
    assert reported == expected
    assert len(expected) == 24


def test_the_planted_reach_rate_is_recovered(planted: tuple[dict[str, Any], Query]) -> None:
    truth, query = planted
    ((followed, reached, measured, in_time),) = query(
        "SELECT sum(followed_up), sum(reached), sum(measured), sum(reached_in_time) "
        "FROM marts.closed_loop_by_month"
    )
    # Within 4 standard errors of the planted shares.
    share = reached / followed
    assert abs(share - REACHED_SHARE) < 4 * math.sqrt(
        REACHED_SHARE * (1 - REACHED_SHARE) / followed
    )
    p = FOLLOWED_UP_SHARE * REACHED_SHARE * IN_TIME_SHARE
    assert abs(in_time / measured - p) < 4 * math.sqrt(p * (1 - p) / measured)
    assert truth["reach_days"] == 2


def test_recovery_is_read_from_the_next_answer(planted: tuple[dict[str, Any], Query]) -> None:
    truth, query = planted
    planted_next = sum(c["reached_with_next_answer"] for c in truth["by_month"].values())
    planted_improved = sum(c["reached_improved"] for c in truth["by_month"].values())
    ((with_next, improved),) = query(
        "SELECT sum(reached_with_next_answer), sum(reached_improved) "
        "FROM marts.closed_loop_by_month"
    )
    # The marts find a next answer through the respondent's resolved contact: an answer the
    # survey tool sent without a resolvable contact (identity truth) has none, so at most the
    # planted counts, and nearly all of them.
    assert with_next <= planted_next and improved <= planted_improved
    assert with_next >= 0.9 * planted_next and improved >= 0.9 * planted_improved
    # A follow-up the generator recorded as recovered has a better next answer in the mart,
    # unless the mart cannot see that answer as the same person's (an e-mail it cannot resolve:
    # it then reads the answer after, or none).
    rows = query(
        "SELECT band_improved, count(*) FROM marts.followup_outcomes "
        "WHERE outcome = 'recovered' GROUP BY ALL"
    )
    counts = {improved: n for improved, n in rows}
    assert counts[True] >= 0.9 * sum(counts.values())
    assert counts.get(False, 0) <= 0.05 * sum(counts.values())
