"""Survey answers: NPS responses with planted regional NPS, the invitations behind them (with a
planted response bias: detractors answer less), CSAT and CES ratings, product-market-fit answers
with a planted regional split, and interview notes.

Each response's band is drawn independently with its region's probabilities, shifted by the
planted slow-support driver (drivers.py) in a way that keeps each region's expected NPS, so the
NPS of a region measured from the extract estimates the planted value, whatever else (churn,
usage) happens to the account.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from cx_pipeline.contract.entities import PMF_CHOICES, REGIONS, TOUCHPOINTS
from cx_pipeline.generate import text
from cx_pipeline.generate.accounts import Accounts, timestamps
from cx_pipeline.generate.contacts import Contacts
from cx_pipeline.generate.drivers import Drivers
from cx_pipeline.generate.ids import prefixed
from cx_pipeline.generate.streams import stream, weighted_choice
from cx_pipeline.generate.timeline import DAY, MINUTE, Timeline, uniform_between

DETRACTOR, PASSIVE, PROMOTER = 0, 1, 2  # index into text.BANDS
# Planted (detractor, passive, promoter) probabilities; NPS = 100 x (promoter - detractor).
BAND_PROBABILITIES: dict[str, tuple[float, float, float]] = {
    "North America": (0.15, 0.30, 0.55),  # NPS 40
    "EMEA": (0.23, 0.29, 0.48),  # NPS 25
    "APAC": (0.30, 0.30, 0.40),  # NPS 10
    "LATAM": (0.38, 0.29, 0.33),  # NPS -5
}
DETRACTOR_SCORE_WEIGHTS = (0.03, 0.03, 0.05, 0.07, 0.10, 0.27, 0.45)  # scores 0..6
TOUCHPOINT_WEIGHTS = {
    "relationship": 50,
    "onboarding": 0,
    "support": 20,
    "renewal": 10,
    "in_app": 20,
}
ONBOARDING_WINDOW_DAYS = 90  # answers this soon after the start are mostly onboarding surveys
ONBOARDING_SHARE = 0.6
SURVEY_PREFIX = {
    "relationship": "rel",
    "onboarding": "onb",
    "support": "sup",
    "renewal": "ren",
    "in_app": "app",
}
INTERVIEW_ACCOUNT_SHARE = 0.10
# Product-market fit (issue #19): a share of contacts answers the Sean Ellis question once;
# (very, somewhat, not disappointed) probabilities by region, two regions over the 40%
# benchmark and two under it.
PMF_CONTACT_SHARE = 0.5
PMF_CHOICE_PROBABILITIES: dict[str, tuple[float, float, float]] = {
    "North America": (0.55, 0.30, 0.15),
    "EMEA": (0.45, 0.35, 0.20),
    "APAC": (0.30, 0.40, 0.30),
    "LATAM": (0.20, 0.40, 0.40),
}


def planted_nps() -> dict[str, float]:
    return {r: round(100 * (p[PROMOTER] - p[DETRACTOR]), 6) for r, p in BAND_PROBABILITIES.items()}


@dataclass
class ResponseBatch:
    """NPS responses of one month, ordered by submission."""

    account: np.ndarray
    contact: np.ndarray  # index into the planned contacts
    submitted: np.ndarray
    band: np.ndarray
    score: np.ndarray


def draw_responses(
    timeline: Timeline,
    month: int,
    accounts: Accounts,
    contacts: Contacts,
    drivers: Drivers,
    rate_per_contact: float,
    seed: int,
) -> ResponseBatch:
    """Poisson responses per active account, from contacts that exist, inside the month."""
    rng = stream(seed, "nps", month)
    active, lo, hi = timeline.overlaps(month, accounts.start, accounts.end)
    share = (hi - lo) / timeline.month_length(month)
    n = rng.poisson(rate_per_contact * contacts.count[active] * share)
    account = np.repeat(active, n)
    contact = contacts.pick(rng, account)
    lo = np.maximum(np.repeat(lo, n), contacts.created[contact])
    hi = np.repeat(hi, n)
    ok = lo < hi
    account, contact, lo, hi = account[ok], contact[ok], lo[ok], hi[ok]
    submitted = uniform_between(rng, lo, hi)

    probs = np.array([BAND_PROBABILITIES[r] for r in REGIONS])[accounts.region[account]]
    probs = probs + drivers.band_shift(account)
    u = rng.random(account.size)
    band = (u >= probs[:, 0]).astype(np.int64) + (u >= probs[:, 0] + probs[:, 1])
    score = np.select(
        [band == PROMOTER, band == PASSIVE],
        [9 + (rng.random(account.size) < 0.55), 7 + (rng.random(account.size) < 0.55)],
        weighted_choice(rng, list(DETRACTOR_SCORE_WEIGHTS), account.size),
    ).astype(np.int64)
    order = np.lexsort((contact, submitted))
    return ResponseBatch(
        account[order], contact[order], submitted[order], band[order], score[order]
    )


def responses_frame(
    batch: ResponseBatch,
    first_number: int,
    timeline: Timeline,
    month: int,
    accounts: Accounts,
    contacts: Contacts,
    seed: int,
) -> pl.DataFrame:
    """Contract rows plus a `delivery` column (index of the delivery that carries the row)."""
    rng = stream(seed, "nps-text", month)
    n = batch.account.size
    names = list(TOUCHPOINTS)
    touchpoint = weighted_choice(rng, [TOUCHPOINT_WEIGHTS[t] for t in names], n)
    young = batch.submitted - accounts.start[batch.account] < ONBOARDING_WINDOW_DAYS * DAY
    touchpoint[young & (rng.random(n) < ONBOARDING_SHARE)] = names.index("onboarding")

    table = text.comment_table()
    n_themes = len(text.THEMES)
    theme = np.empty(n, dtype=np.int64)
    for band, name in enumerate(text.BANDS):
        rows = np.flatnonzero(batch.band == band)
        theme[rows] = weighted_choice(rng, list(text.COMMENT_THEME_WEIGHTS[name]), rows.size)
    generic = rng.random(n) < text.GENERIC_COMMENT_SHARE
    group = np.where(
        generic, len(text.BANDS) * n_themes + batch.band, batch.band * n_themes + theme
    )
    comment = table.text(table.pick(rng, group), "comment")
    has_comment = rng.random(n) < text.COMMENT_SHARE

    submitted = timestamps(batch.submitted)
    prefix = pl.Series([SURVEY_PREFIX[t] for t in names]).gather(touchpoint)
    frame = pl.DataFrame(
        {
            "response_id": prefixed("R", np.arange(first_number, first_number + n), 8, "r"),
            "contact_id": contacts.contact_id.gather(batch.contact),
            "account_id": accounts.account_id.gather(batch.account),
            "prefix": prefix,
            "touchpoint": pl.Series(names).gather(touchpoint),
            "submitted_at": submitted,
            "score": batch.score,
            "comment": comment,
            "has_comment": has_comment,
            "delivery": timeline.delivery_of(batch.submitted),
        }
    )
    return frame.with_columns(
        survey_id=pl.format(
            "{}-{}Q{}",
            "prefix",
            pl.col("submitted_at").dt.year(),
            pl.col("submitted_at").dt.quarter(),
        ),
        comment=pl.when("has_comment").then("comment"),
    ).drop("prefix", "has_comment")


def interviews_frame(
    timeline: Timeline, accounts: Accounts, contacts: Contacts, seed: int
) -> pl.DataFrame:
    """About 10% of accounts interviewed once, notes and tags tied to one or two themes."""
    rng = stream(seed, "interviews")
    with_contacts = np.flatnonzero(contacts.count > 0)
    n = min(with_contacts.size, round(accounts.n * INTERVIEW_ACCOUNT_SHARE))
    account = np.sort(rng.choice(with_contacts, n, replace=False))
    contact = contacts.pick(rng, account)
    lo = contacts.created[contact] + 14 * DAY
    hi = np.minimum(accounts.end[account], timeline.end_us)
    ok = lo < hi
    account, contact, lo, hi = account[ok], contact[ok], lo[ok], hi[ok]
    at = uniform_between(rng, lo, hi)
    order = np.argsort(at, kind="stable")
    account, contact, at = account[order], contact[order], at[order]
    n = at.size

    n_themes = len(text.THEMES)
    first = rng.integers(0, n_themes, n)
    second = (first + rng.integers(1, n_themes, n)) % n_themes
    two = rng.random(n) < 0.6
    notes = text.TemplateTable([text.INTERVIEW_NOTES[t] for t in text.THEMES])
    themes = pl.Series(list(text.THEMES))
    extra = pl.Series([t for t, _ in text.INTERVIEW_EXTRA_TAGS]).gather(
        weighted_choice(rng, [w for _, w in text.INTERVIEW_EXTRA_TAGS], n)
    )
    frame = pl.DataFrame(
        {
            "interview_id": prefixed("I", np.arange(1, n + 1), 6, "interview_id"),
            "contact_id": contacts.contact_id.gather(contact),
            "interviewed_at": timestamps(at),
            "n1": notes.text(notes.pick(rng, first), "n1"),
            "n2": notes.text(notes.pick(rng, second), "n2"),
            "t1": themes.gather(first),
            "t2": themes.gather(second),
            "two": two,
            "extra": extra,
            "delivery": timeline.delivery_of(at),
        }
    )
    tags = pl.when("two").then(pl.concat_str("t1", pl.lit(";"), "t2")).otherwise("t1")
    tags = (
        pl.when(pl.col("extra") == "")
        .then(tags)
        .otherwise(pl.concat_str(tags, pl.lit(";"), "extra"))
    )
    return frame.with_columns(
        notes=pl.when("two").then(pl.concat_str("n1", pl.lit(" "), "n2")).otherwise("n1"),
        tags=tags,
    ).drop("n1", "n2", "t1", "t2", "two", "extra")


# CSAT (1-5) and CES (1-7) answers: a share of contacts rates one support contact and one
# onboarding step; score probabilities, lowest score first.
RATED_CONTACT_SHARE = 0.3
CSAT_SCORE_PROBABILITIES = (0.05, 0.08, 0.12, 0.35, 0.40)  # satisfied (4-5): 75%
CES_SCORE_PROBABILITIES = (0.03, 0.05, 0.07, 0.10, 0.20, 0.30, 0.25)  # easy (5-7): 75%


def planted_ratings() -> dict[str, float]:
    """Planted CSAT (% 4-5), CES share easy (% 5-7) and CES mean."""
    ces = CES_SCORE_PROBABILITIES
    return {
        "csat_pct": round(100 * sum(CSAT_SCORE_PROBABILITIES[3:]), 6),
        "ces_easy_pct": round(100 * sum(ces[4:]), 6),
        "ces_mean": round(sum((k + 1) * p for k, p in enumerate(ces)), 6),
    }


def planted_pmf() -> dict[str, float]:
    """Planted share of 'very disappointed' answers by region, in percent."""
    return {r: round(100 * p[0], 6) for r, p in PMF_CHOICE_PROBABILITIES.items()}


def pmf_frame(
    timeline: Timeline, accounts: Accounts, contacts: Contacts, seed: int
) -> pl.DataFrame:
    """survey_answers rows: half the contacts answer the product-market-fit question once, at
    least 14 days after they were created and while their account is a customer; the choice is
    drawn with the account region's planted probabilities."""
    rng = stream(seed, "pmf")
    lo = contacts.created + 14 * DAY
    hi = np.minimum(accounts.end[contacts.account], timeline.end_us)
    eligible = np.flatnonzero((lo < hi) & (rng.random(contacts.n) < PMF_CONTACT_SHARE))
    at = uniform_between(rng, lo[eligible], hi[eligible])
    order = np.argsort(at, kind="stable")
    contact, at = eligible[order], at[order]
    account = contacts.account[contact]
    n = at.size
    probabilities = np.array([PMF_CHOICE_PROBABILITIES[r] for r in REGIONS])
    cdf = np.cumsum(probabilities[accounts.region[account]], axis=1)
    choice = (rng.random(n)[:, None] >= cdf).sum(axis=1).clip(0, 2)
    choices = pl.Series(list(PMF_CHOICES)).gather(choice)
    answer_id = prefixed("PMF", np.arange(1, n + 1), 6, "answer_id")
    return pl.DataFrame(
        {
            "answer_id": answer_id,
            "response_id": answer_id.alias("response_id"),
            "contact_id": contacts.contact_id.gather(contact),
            "account_id": accounts.account_id.gather(account),
            "survey_id": pl.Series(["pmf"] * n, dtype=pl.String),
            "touchpoint": pl.Series(["relationship"] * n, dtype=pl.String),
            "submitted_at": timestamps(at),
            "question_id": pl.Series(["pmf"] * n, dtype=pl.String),
            "question_type": pl.Series(["pmf"] * n, dtype=pl.String),
            "score": pl.Series([None] * n, dtype=pl.Int64),
            "choice": choices,
            "text": pl.Series([None] * n, dtype=pl.String),
            "respondent_email": pl.Series([None] * n, dtype=pl.String),
            "delivery": timeline.delivery_of(at),
        }
    )


def rated_frame(
    timeline: Timeline,
    accounts: Accounts,
    contacts: Contacts,
    seed: int,
    question_type: str,
) -> pl.DataFrame:
    """survey_answers rows of one rated question (csat or ces): 30% of the contacts answer it
    once, like the PMF question, with the planted score probabilities."""
    rng = stream(seed, question_type)
    probabilities, touchpoint = {
        "csat": (CSAT_SCORE_PROBABILITIES, "support"),
        "ces": (CES_SCORE_PROBABILITIES, "onboarding"),
    }[question_type]
    lo = contacts.created + 14 * DAY
    hi = np.minimum(accounts.end[contacts.account], timeline.end_us)
    eligible = np.flatnonzero((lo < hi) & (rng.random(contacts.n) < RATED_CONTACT_SHARE))
    at = uniform_between(rng, lo[eligible], hi[eligible])
    order = np.argsort(at, kind="stable")
    contact, at = eligible[order], at[order]
    n = at.size
    score = weighted_choice(rng, list(probabilities), n) + 1
    answer_id = prefixed(question_type.upper(), np.arange(1, n + 1), 6, "answer_id")
    return pl.DataFrame(
        {
            "answer_id": answer_id,
            "response_id": answer_id.alias("response_id"),
            "contact_id": contacts.contact_id.gather(contact),
            "account_id": accounts.account_id.gather(contacts.account[contact]),
            "survey_id": pl.Series([question_type] * n, dtype=pl.String),
            "touchpoint": pl.Series([touchpoint] * n, dtype=pl.String),
            "submitted_at": timestamps(at),
            "question_id": pl.Series([question_type] * n, dtype=pl.String),
            "question_type": pl.Series([question_type] * n, dtype=pl.String),
            "score": pl.Series(score, dtype=pl.Int64),
            "choice": pl.Series([None] * n, dtype=pl.String),
            "text": pl.Series([None] * n, dtype=pl.String),
            "respondent_email": pl.Series([None] * n, dtype=pl.String),
            "delivery": timeline.delivery_of(at),
        }
    )


# Planted response bias: the chance that a contact answers an invitation depends on their
# latest earlier answer (detractors go silent), so the answers over-represent the satisfied.
# Every answer is the answered invitation of a run of ignored ones drawn before it: for a
# contact with answer probability p, Geometric(p) - 1 ignored invitations, so the response rate
# of each group is p in expectation.
RESPONSE_PROBABILITY = (0.15, 0.30, 0.45)  # latest earlier answer detractor, passive, promoter
FIRST_RESPONSE_PROBABILITY = 0.30  # contacts who never answered before
INVITATION_BOUNCE_SHARE = 0.03
INVITATION_OPEN_SHARE = 0.35  # of delivered, ignored invitations
INVITATION_UNSUBSCRIBE_SHARE = 0.04  # of delivered, ignored invitations
IGNORED_DAYS = (3, 60)  # an ignored invitation went out this many days before the answer
INVITATION_MONTHS = 12  # the survey tool's export covers the answers of the last 12 months


def invitations_frame(
    batch: ResponseBatch,
    responses: pl.DataFrame,
    last_band: np.ndarray,
    first_number: int,
    timeline: Timeline,
    contacts: Contacts,
    month: int,
    seed: int,
) -> pl.DataFrame:
    """Invitations behind one month's answers (`responses`: their rows, in batch order, with
    the contact as planned); `last_band` (per planned contact, -1 none) is read and updated.
    Months before the last INVITATION_MONTHS give none (but still update `last_band`)."""
    rng = stream(seed, "invitations", month)
    n = batch.account.size
    # Each answer's latest earlier band: an earlier answer of the month, else before it.
    order = np.lexsort((batch.submitted, batch.contact))
    contact, band = batch.contact[order], batch.band[order]
    same = np.r_[False, contact[1:] == contact[:-1]]
    previous = np.empty(n, dtype=np.int64)
    previous[order] = np.where(same, np.r_[-1, band[:-1]], last_band[contact])
    last = np.r_[contact[1:] != contact[:-1], True] if n else np.zeros(0, dtype=bool)
    last_band[contact[last]] = band[last]

    if month < timeline.n_months - INVITATION_MONTHS:
        return pl.DataFrame()
    p = np.where(
        previous < 0, FIRST_RESPONSE_PROBABILITY, np.array(RESPONSE_PROBABILITY)[previous.clip(0)]
    )
    ignored = rng.geometric(p) - 1 if n else np.zeros(0, dtype=np.int64)
    created = contacts.created[batch.contact]
    lead = uniform_between(rng, np.full(n, 10 * MINUTE), np.full(n, 3 * DAY))
    sent = np.maximum(created, batch.submitted - lead)
    opened = uniform_between(rng, sent, np.maximum(batch.submitted, sent + 1))
    row = np.repeat(np.arange(n), ignored)
    ignored_sent = batch.submitted[row] - uniform_between(
        rng, np.full(row.size, IGNORED_DAYS[0] * DAY), np.full(row.size, IGNORED_DAYS[1] * DAY)
    )
    keep = ignored_sent >= created[row]
    row, ignored_sent = row[keep], ignored_sent[keep]
    bounced = rng.random(row.size) < INVITATION_BOUNCE_SHARE
    was_opened = ~bounced & (rng.random(row.size) < INVITATION_OPEN_SHARE)
    ignored_opened = np.minimum(
        uniform_between(rng, ignored_sent, ignored_sent + 2 * DAY), batch.submitted[row]
    )
    unsubscribed = ~bounced & (rng.random(row.size) < INVITATION_UNSUBSCRIBE_SHARE)

    every = np.r_[np.arange(n), row]
    answered = np.r_[np.ones(n, dtype=bool), np.zeros(row.size, dtype=bool)]
    sent_all = np.r_[sent, ignored_sent]
    opened_all = np.r_[opened, ignored_opened]
    was_opened_all = np.r_[np.ones(n, dtype=bool), was_opened]
    touchpoint = responses["touchpoint"].gather(every)
    in_app = (touchpoint == "in_app").to_numpy()
    frame = pl.DataFrame(
        {
            "contact_id": contacts.contact_id.gather(batch.contact[every]),
            "account_id": responses["account_id"].gather(every),
            # The tool knows the address; the export carries it only where the id is missing
            # (never here), which keeps the committed sample small.
            "recipient_email": pl.Series([None] * every.size, dtype=pl.String),
            "survey_id": responses["survey_id"].gather(every),
            "touchpoint": touchpoint,
            "channel": np.where(in_app, "in_app", "email"),
            "sent_at": timestamps(sent_all),
            # In-app surveys record no open; an ignored e-mail was opened or not.
            "opened_at": timestamps(opened_all, missing=in_app | ~was_opened_all),
            "response_id": responses["response_id"]
            .gather(every)
            .zip_with(pl.Series(answered), pl.Series([None] * every.size, dtype=pl.String)),
            "bounced": np.r_[np.zeros(n, dtype=bool), bounced],
            "unsubscribed": np.r_[np.zeros(n, dtype=bool), unsubscribed],
            # The final state arrives with the answer, or with the send (and any open).
            "delivery": timeline.delivery_of(
                np.where(
                    answered,
                    batch.submitted[every],
                    np.where(was_opened_all, np.maximum(sent_all, opened_all), sent_all),
                )
            ),
            "_sent": sent_all,
        }
    ).sort("_sent", "contact_id", maintain_order=True)
    number = np.arange(first_number, first_number + frame.height)
    return frame.with_columns(prefixed("V", number, 8, "invitation_id")).drop("_sent")
