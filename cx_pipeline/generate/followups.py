"""Closed-loop follow-ups of detractor answers: planted only when asked (`followups=True`).

Drawn from their own random stream after everything else, so a run without them writes the same
bytes as before they existed (the committed sample does not change). The follow-ups do not steer
the simulation: whether a detractor's next answer is better, or the account leaves, was decided
before. What is planted is the team's behaviour (who gets a follow-up, who is reached, how fast)
and outcomes recorded as a CSM would: recovered when the person was reached and their next
answer is in a better band, lost when the account left within LOST_WITHIN_DAYS of the answer.
The truth states the planted shares and the realised counts, worked out here on the arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from cx_pipeline.generate.accounts import Accounts, timestamps
from cx_pipeline.generate.contacts import Contacts
from cx_pipeline.generate.ids import prefixed
from cx_pipeline.generate.streams import stream
from cx_pipeline.generate.surveys import ResponseBatch
from cx_pipeline.generate.timeline import DAY, HOUR, NEVER, Timeline, uniform_between

FOLLOWED_UP_SHARE = 0.8  # of detractor answers, a follow-up is opened
REACHED_SHARE = 0.7  # of follow-ups, the person is reached
IN_TIME_SHARE = 0.6  # of those reached, within REACH_DAYS of the answer
REACH_DAYS = 2  # the window planted (the default of CX_FOLLOWUP_REACH_DAYS)
LATE_DAYS = (3, 15)  # a late first contact comes this many days after the answer
OPEN_HOURS = (1, 20)  # the follow-up is opened this many hours after the answer
CLOSE_DAYS = (0, 10)  # closed this long after the first contact (or the opening, if unreached)
LOST_WITHIN_DAYS = 90  # a reached account that leaves within this of the answer is 'lost'
OWNERS = ("csm-01", "csm-02", "csm-03", "csm-04", "csm-05")
ROOT_CAUSES = ("pricing", "reliability", "support", "missing feature", "onboarding", "usability")
DETRACTOR = 0  # band index of a detractor (surveys: detractor, passive, promoter)


class Answers:
    """Every NPS answer of a run as the simulation drew it (contact = planned index)."""

    def __init__(self) -> None:
        self._parts: list[tuple[pl.Series, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, response_id: pl.Series, batch: ResponseBatch) -> None:
        self._parts.append((response_id, batch.contact, batch.account, batch.submitted, batch.band))

    def frame(self) -> pl.DataFrame:
        """One row per answer with the band of the same contact's next answer (-1: none)."""
        frame = pl.DataFrame(
            {
                "response_id": pl.concat([p[0] for p in self._parts]),
                "contact": np.concatenate([p[1] for p in self._parts]),
                "account": np.concatenate([p[2] for p in self._parts]),
                "submitted": np.concatenate([p[3] for p in self._parts]),
                "band": np.concatenate([p[4] for p in self._parts]),
            }
        ).sort("contact", "submitted", "response_id")
        return frame.with_columns(
            next_band=pl.col("band").shift(-1).over("contact").fill_null(-1)
        ).sort("submitted", "response_id")


def plant(
    answers: Answers, timeline: Timeline, accounts: Accounts, planned: Contacts, seed: int
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The follow-up rows (with a `delivery` column) and the truth about them."""
    rng = stream(seed, "followups")
    all_answers = answers.frame()
    detractors = all_answers.filter(pl.col("band") == DETRACTOR)
    n = detractors.height
    followed = rng.random(n) < FOLLOWED_UP_SHARE
    reached = followed & (rng.random(n) < REACHED_SHARE)
    in_time = reached & (rng.random(n) < IN_TIME_SHARE)
    submitted = detractors["submitted"].to_numpy()
    opened = submitted + uniform_between(
        rng, np.full(n, OPEN_HOURS[0] * HOUR), np.full(n, OPEN_HOURS[1] * HOUR)
    )
    # In time: between the opening and the end of the window; late: LATE_DAYS after the answer.
    window_end = submitted + REACH_DAYS * DAY
    contact_in_time = uniform_between(rng, opened, np.maximum(window_end, opened + 1))
    contact_late = submitted + uniform_between(
        rng, np.full(n, LATE_DAYS[0] * DAY), np.full(n, LATE_DAYS[1] * DAY)
    )
    first_contact = np.where(in_time, contact_in_time, np.where(reached, contact_late, NEVER))
    closes_from = np.where(reached, first_contact, opened)
    closed = closes_from + uniform_between(
        rng, np.full(n, CLOSE_DAYS[0] * DAY + HOUR), np.full(n, CLOSE_DAYS[1] * DAY)
    )
    owner = rng.integers(0, len(OWNERS), n)
    cause = rng.integers(0, len(ROOT_CAUSES), n)

    # What happened by the as-of date: later contacts and closings have not happened yet.
    end = timeline.end_us
    first_contact = np.where(first_contact < end, first_contact, NEVER)
    is_closed = closed < end
    account = detractors["account"].to_numpy()
    left = accounts.end[account] <= submitted + LOST_WITHIN_DAYS * DAY
    improved = detractors["next_band"].to_numpy() > DETRACTOR
    outcome = np.where(
        ~(first_contact < end),
        "no_answer",
        np.where(left, "lost", np.where(improved, "recovered", "reached")),
    )
    happened = [
        opened,
        np.where(first_contact < end, first_contact, 0),
        np.where(is_closed, closed, 0),
    ]
    latest = np.maximum.reduce(happened)
    rows = pl.DataFrame(
        {
            "response_id": detractors["response_id"],
            "contact_id": planned.contact_id.gather(detractors["contact"].to_numpy()),
            "account_id": accounts.account_id.gather(account),
            "created_at": timestamps(opened),
            "first_contact_at": timestamps(first_contact),
            "closed_at": timestamps(closed, missing=~is_closed),
            "owner": pl.Series(OWNERS).gather(owner),
            "outcome": pl.Series(outcome).zip_with(
                pl.Series(is_closed), pl.Series([None] * n, dtype=pl.String)
            ),
            "root_cause": pl.Series(ROOT_CAUSES).gather(cause),
            "root_cause_known": is_closed & (outcome != "no_answer"),
            # The row as it stands on the as-of date, delivered with its latest change.
            "delivery": timeline.delivery_of(latest),
            "_followed": followed,
        }
    ).filter("_followed")
    rows = rows.with_columns(
        prefixed("F", np.arange(1, rows.height + 1), 8, "followup_id"),
        root_cause=pl.when("root_cause_known").then("root_cause"),
    ).drop("_followed", "root_cause_known")
    followed &= opened < end  # opened after the as-of date: not delivered yet
    return rows, truth(timeline, detractors, followed, first_contact, submitted, improved)


def truth(
    timeline: Timeline,
    detractors: pl.DataFrame,
    followed: np.ndarray,
    first_contact: np.ndarray,
    submitted: np.ndarray,
    improved: np.ndarray,
) -> dict[str, Any]:
    """Planted shares and realised counts by month of the answer, as the marts count them:
    answers up to the as-of date; reached = first contact by then; in time = within REACH_DAYS
    x 24 h; measured = answered REACH_DAYS days or more before the as-of date (UTC days)."""
    end = timeline.end_us
    answered = submitted < end
    reached = first_contact < end
    in_time = reached & (first_contact <= submitted + REACH_DAYS * DAY)
    answer_day = submitted // DAY
    measured = answered & (answer_day + REACH_DAYS <= (end - DAY) // DAY)
    has_next = detractors["next_band"].to_numpy() >= 0
    month = (
        pl.Series(timestamps(submitted)).dt.strftime("%Y-%m").to_numpy()
        if submitted.size
        else np.array([], dtype=str)
    )
    by_month: dict[str, dict[str, int]] = {}
    for key in sorted(set(month[answered].tolist())):
        m = answered & (month == key)
        by_month[key] = {
            "detractors": int(m.sum()),
            "followed_up": int((m & followed).sum()),
            "reached": int((m & reached).sum()),
            "measured": int((m & measured).sum()),
            "reached_in_time": int((m & measured & in_time).sum()),
            "reached_with_next_answer": int((m & reached & has_next).sum()),
            "reached_improved": int((m & reached & has_next & improved).sum()),
        }
    return {
        "rule": "follow-ups of detractor answers (0-6) only; see generate/followups.py",
        "followed_up_share": FOLLOWED_UP_SHARE,
        "reached_share_of_followed_up": REACHED_SHARE,
        "in_time_share_of_reached": IN_TIME_SHARE,
        "reach_days": REACH_DAYS,
        "by_month": by_month,
    }
