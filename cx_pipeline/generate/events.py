"""Product analytics events: sessions of feature events, plus an onboarding funnel.

Planted: a share of contacts are power users (about 40 events a month over many days and 6-10
features) while the others do about 5 events a month with 1-3 features; low-usage accounts do
30% of that, and an account's usage drops to a tenth from its planted decline month on
(drivers.py). Each contact's first events are signup, then (for some) onboarding_completed and
first_report_created; feature events only come after the last funnel step reached.

Planted personas (issue #19): power users keep their 6-10 features; every other contact is one
of three focus personas (`PERSONAS`) and uses exactly its features, the most popular most.
Planted onboarding moment: an account's first contact invites a teammate (`user_invited`) in
its first 14 days far more often when the account is still a customer 180 days after its start
(`plan_milestone`). Both draw from streams of their own, so every other row keeps its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from cx_pipeline.generate.accounts import Accounts, timestamps
from cx_pipeline.generate.contacts import Contacts
from cx_pipeline.generate.drivers import Drivers
from cx_pipeline.generate.ids import hex_tokens, mix64, prefixed
from cx_pipeline.generate.streams import stream, weighted_choice
from cx_pipeline.generate.timeline import DAY, MINUTE, NEVER, SECOND, Timeline, floor_seconds

# (event name, feature area, popularity): popular features are adopted first and used most.
FEATURE_EVENTS = (
    ("dashboard_viewed", "dashboards", 30),
    ("dashboard_shared", "dashboards", 6),
    ("report_created", "reports", 14),
    ("report_exported", "reports", 8),
    ("survey_created", "surveys", 5),
    ("survey_sent", "surveys", 10),
    ("alert_configured", "alerts", 3),
    ("integration_connected", "integrations", 2),
    ("segment_created", "segments", 6),
    ("comment_added", "collaboration", 8),
    ("user_invited", "collaboration", 3),
    ("automation_run", "automation", 5),
)
FUNNEL = ("signup", "onboarding_completed", "first_report_created")
ONBOARDING_RATE = 0.7  # of signed-up contacts
FIRST_REPORT_RATE = 0.6  # of onboarded contacts
POWER_USER_SHARE = 0.15
SESSIONS_PER_MONTH = {"power": 12.0, "normal": 2.5}
EXTRA_EVENTS_PER_SESSION = {"power": 2.3, "normal": 1.0}  # events per session = 1 + Poisson
FEATURES = {"power": (6, 10), "normal": (1, 3)}  # distinct features used, inclusive range
LOW_USAGE_EVENT_MULTIPLIER = 0.3
SESSION_GAP_SECONDS = 90.0
PLATFORMS = (("web", 80), ("mobile", 12), ("api", 8))
# Planted personas: power users (POWER_USER_SHARE) are one; the other contacts are split between
# the focus personas, each using exactly its features (the first, most popular, most often).
POWER_PERSONA = "power user"
PERSONAS = {
    "analyst": ("dashboard_viewed", "report_created", "report_exported"),
    "survey runner": ("survey_sent", "survey_created", "segment_created"),
    "admin": ("automation_run", "alert_configured", "integration_connected"),
}
PERSONA_SHARES = (0.5, 0.3, 0.2)  # of the contacts who are not power users
# Planted onboarding moment: the share of accounts (started within the history, still customers
# after the window) whose first contact invites a teammate within the window, by whether the
# account is still a customer RETENTION_DAYS after its start.
MILESTONE_EVENT = "user_invited"
MILESTONE_WINDOW_DAYS = 14
MILESTONE_RETENTION_DAYS = 180
MILESTONE_PROBABILITY = {"retained": 0.7, "lost": 0.15}
# The planted invitations are numbered in a range of their own, so every other event keeps its id.
MILESTONE_EVENT_IDS_FROM = 9_000_000_001


def event_names() -> list[str]:
    return [name for name, _, _ in FEATURE_EVENTS] + list(FUNNEL)


def expected_monthly_events(kind: str) -> float:
    return round(SESSIONS_PER_MONTH[kind] * (1 + EXTRA_EVENTS_PER_SESSION[kind]), 6)


@dataclass
class Usage:
    """Fixed per contact: power flag, features used, funnel instants (NEVER = not reached)."""

    power: np.ndarray
    features: np.ndarray  # (contacts, n_features) permutation; the first n_used are used
    n_used: np.ndarray
    funnel: np.ndarray  # (contacts, 3) instants
    active_from: np.ndarray  # feature events start after the last funnel step reached
    persona: np.ndarray  # 0 = power user, 1.. = the focus personas in PERSONAS' order

    def funnel_counts(self) -> dict[str, int]:
        return {step: int((self.funnel[:, i] != NEVER).sum()) for i, step in enumerate(FUNNEL)}


def plan_usage(timeline: Timeline, accounts: Accounts, contacts: Contacts, seed: int) -> Usage:
    rng = stream(seed, "usage")
    n = contacts.n
    power = rng.permutation(n) < round(n * POWER_USER_SHARE)
    # Weighted order without replacement (Efraimidis-Spirakis): sort by -log(u) / weight.
    weight = np.array([w for _, _, w in FEATURE_EVENTS], dtype=np.float64)
    keys = -np.log(rng.random((n, weight.size))) / weight
    features = np.argsort(keys, axis=1).astype(np.int8)
    lo_p, hi_p = FEATURES["power"]
    lo_n, hi_n = FEATURES["normal"]
    n_used = np.where(power, rng.integers(lo_p, hi_p + 1, n), rng.integers(lo_n, hi_n + 1, n))

    limit = np.minimum(accounts.end[contacts.account], timeline.end_us)
    signup = contacts.created + rng.integers(60, 1800, n) * SECOND
    onboarded = signup + (DAY * rng.lognormal(0.0, 0.8, n)).astype(np.int64)
    first_report = onboarded + (2 * DAY * rng.lognormal(0.0, 0.8, n)).astype(np.int64)
    reach_onboarding = rng.random(n) < ONBOARDING_RATE
    reach_report = reach_onboarding & (rng.random(n) < FIRST_REPORT_RATE)
    funnel = np.stack(
        [
            signup,
            np.where(reach_onboarding, floor_seconds(onboarded), NEVER),
            np.where(reach_report, floor_seconds(first_report), NEVER),
        ],
        axis=1,
    )
    funnel = np.where(funnel < limit[:, None], funnel, NEVER)
    # A step after a missed one is missed too (the funnel is ordered).
    funnel[:, 2] = np.where(funnel[:, 1] == NEVER, NEVER, funnel[:, 2])
    reached = np.where(funnel != NEVER, funnel, -1).max(axis=1)
    active_from = np.where(reached >= 0, reached + MINUTE, NEVER)
    persona, features, n_used = plant_personas(power, features, n_used, seed)
    return Usage(power, features, n_used, funnel, active_from, persona)


def persona_names() -> list[str]:
    return [POWER_PERSONA, *PERSONAS]


def plant_personas(
    power: np.ndarray, features: np.ndarray, n_used: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each contact's persona; a focus persona's features come first, in PERSONAS' order, and
    are the only ones it uses. Power users keep their features."""
    rng = stream(seed, "personas")
    focus = 1 + weighted_choice(rng, list(PERSONA_SHARES), power.size)
    persona = np.where(power, 0, focus)
    names = [name for name, _, _ in FEATURE_EVENTS]
    # Sort key per (persona, feature): its place in the persona's list, else after all of them.
    place = np.full((len(PERSONAS) + 1, len(names)), len(names), dtype=np.int64)
    for p, events in enumerate(PERSONAS.values(), start=1):
        for k, event in enumerate(events):
            place[p, names.index(event)] = k
    # Then the drawn order (the column) breaks ties, so the other features keep theirs.
    column = np.arange(len(names))[None, :]
    key = place[persona[:, None], features] * len(names) + column
    reordered = np.take_along_axis(features, np.argsort(key, axis=1), axis=1)
    sizes = np.array([0, *(len(e) for e in PERSONAS.values())])
    return (
        persona,
        np.where(power[:, None], features, reordered).astype(np.int8),
        np.where(power, n_used, sizes[persona]),
    )


def plan_milestone(
    timeline: Timeline, accounts: Accounts, contacts: Contacts, seed: int
) -> np.ndarray:
    """Per account, when its first contact invites a teammate (NEVER when it does not): more
    often at accounts still customers MILESTONE_RETENTION_DAYS after their start."""
    rng = stream(seed, "onboarding-milestone")
    n = accounts.n
    chance = rng.random(n)
    at = floor_seconds(
        accounts.start + (rng.uniform(1, MILESTONE_WINDOW_DAYS - 1, n) * DAY).astype(np.int64)
    )
    retained = accounts.end > accounts.start + MILESTONE_RETENTION_DAYS * DAY
    p = np.where(retained, MILESTONE_PROBABILITY["retained"], MILESTONE_PROBABILITY["lost"])
    reach = (
        (accounts.start >= timeline.bounds[0])
        & (accounts.end > accounts.start + MILESTONE_WINDOW_DAYS * DAY)
        & (contacts.count > 0)
        & (at < timeline.end_us)
        & (chance < p)
    )
    return np.where(reach, at, NEVER)


def persona_truth(usage: Usage) -> dict[str, Any]:
    return {
        "rule": "power users keep their features; the others use exactly their persona's",
        "features": {
            POWER_PERSONA: "6-10 by popularity",
            **{k: list(v) for k, v in PERSONAS.items()},
        },
        "contacts": dict(
            zip(
                persona_names(),
                np.bincount(usage.persona, minlength=len(PERSONAS) + 1).tolist(),
                strict=True,
            )
        ),
    }


def milestone_truth(planted: np.ndarray) -> dict[str, Any]:
    return {
        "event": MILESTONE_EVENT,
        "window_days": MILESTONE_WINDOW_DAYS,
        "retention_days": MILESTONE_RETENTION_DAYS,
        "probability_by_fate": MILESTONE_PROBABILITY,
        "rule": "first contact's user_invited event within the window, more likely at accounts "
        "still customers retention_days after their start",
        "accounts": int((planted != NEVER).sum()),
    }


def milestone_batch(
    timeline: Timeline, month: int, planted: np.ndarray, contacts: Contacts
) -> EventBatch:
    """The planted invitations of one month, by each account's first contact, in a session of
    their own."""
    lo_m, hi_m = timeline.month_window(month)
    account = np.flatnonzero((planted >= lo_m) & (planted < hi_m))
    account = account[np.argsort(planted[account], kind="stable")]
    contact = contacts.offset[account]
    code = np.full(account.size, event_names().index(MILESTONE_EVENT), dtype=np.int64)
    key = (np.int64(3) << 61) | account.astype(np.int64)
    return EventBatch(contact, planted[account], code, key, np.zeros(account.size, dtype=np.int64))


@dataclass
class EventBatch:
    contact: np.ndarray
    at: np.ndarray
    code: np.ndarray  # index into event_names()
    session: np.ndarray  # session key (hashed into session_id)
    platform: np.ndarray


def draw_events(
    timeline: Timeline,
    month: int,
    accounts: Accounts,
    contacts: Contacts,
    usage: Usage,
    drivers: Drivers,
    seed: int,
) -> EventBatch:
    rng = stream(seed, "events", month)
    lo_m, hi_m = timeline.month_window(month)
    acc = contacts.account
    start = np.maximum(usage.active_from, accounts.start[acc])
    live, lo, hi = timeline.overlaps(month, start, accounts.end[acc])
    power = usage.power[live]
    factor = np.where(accounts.low_usage[acc[live]], LOW_USAGE_EVENT_MULTIPLIER, 1.0)
    factor = factor * drivers.usage_factor(acc[live], month)
    sessions_rate = np.where(power, SESSIONS_PER_MONTH["power"], SESSIONS_PER_MONTH["normal"])
    n_sessions = rng.poisson(sessions_rate * factor * (hi - lo) / timeline.month_length(month))
    s_contact = np.repeat(live, n_sessions)
    s_start = np.repeat(lo, n_sessions) + np.floor(
        rng.random(s_contact.size) * np.repeat(hi - lo, n_sessions)
    ).astype(np.int64)
    s_hi = np.repeat(hi, n_sessions)
    s_number = np.arange(s_contact.size) - np.repeat(np.cumsum(n_sessions) - n_sessions, n_sessions)
    extra = np.where(
        usage.power[s_contact],
        EXTRA_EVENTS_PER_SESSION["power"],
        EXTRA_EVENTS_PER_SESSION["normal"],
    )
    per_session = 1 + rng.poisson(extra)
    session = np.repeat(np.arange(s_contact.size), per_session)
    gaps = rng.exponential(SESSION_GAP_SECONDS, session.size)
    first_of_session = np.cumsum(per_session) - per_session
    gaps[first_of_session] = 0.0
    elapsed = np.cumsum(gaps)
    elapsed -= np.repeat(elapsed[first_of_session], per_session)
    at = floor_seconds(s_start[session] + (elapsed * SECOND).astype(np.int64))
    keep = at < s_hi[session]
    session, at = session[keep], at[keep]
    contact = s_contact[session]
    # u squared favours a contact's first (most popular) features without excluding the rest.
    pick = np.floor(rng.random(contact.size) ** 2 * usage.n_used[contact]).astype(np.int64)
    code = usage.features[contact, pick].astype(np.int64)
    session_key = (np.int64(month) << 44) | (contact.astype(np.int64) << 14) | s_number[session]
    platform = weighted_choice(rng, [w for _, w in PLATFORMS], s_contact.size)[session]

    # Funnel steps that fall in this month, each in a session of its own.
    steps = [
        np.flatnonzero((usage.funnel[:, i] >= lo_m) & (usage.funnel[:, i] < hi_m))
        for i in range(len(FUNNEL))
    ]
    f_contact = np.concatenate(steps)
    f_step = np.concatenate([np.full(s.size, i) for i, s in enumerate(steps)])
    f_at = usage.funnel[f_contact, f_step]
    f_key = (np.int64(1) << 62) | (f_contact.astype(np.int64) << 2) | f_step

    contact = np.concatenate([contact, f_contact])
    at = np.concatenate([at, f_at])
    code = np.concatenate([code, len(FEATURE_EVENTS) + f_step])
    key = np.concatenate([session_key, f_key])
    platform = np.concatenate([platform, np.zeros(f_contact.size, dtype=np.int64)])
    order = np.lexsort((code, contact, at))
    return EventBatch(contact[order], at[order], code[order], key[order], platform[order])


def properties_table() -> pl.Series:
    """JSON text per (event code, platform): feature events name their feature area."""
    rows = []
    for _, area, _ in FEATURE_EVENTS:
        rows += [f'{{"feature":"{area}","platform":"{p}"}}' for p, _ in PLATFORMS]
    for i, _ in enumerate(FUNNEL):
        rows += [f'{{"funnel":"onboarding","step":{i + 1}}}'] * len(PLATFORMS)
    return pl.Series("properties", rows)


def events_frame(
    batch: EventBatch,
    first_number: int,
    timeline: Timeline,
    accounts: Accounts,
    contacts: Contacts,
    seed: int,
) -> pl.DataFrame:
    """Contract rows plus a `delivery` column."""
    n = batch.at.size
    return pl.DataFrame(
        {
            "event_id": prefixed("E", np.arange(first_number, first_number + n), 10, "event_id"),
            "contact_id": contacts.contact_id.gather(batch.contact),
            "account_id": accounts.account_id.gather(contacts.account[batch.contact]),
            "occurred_at": timestamps(batch.at),
            "event_name": pl.Series(event_names()).gather(batch.code),
            "session_id": hex_tokens(mix64(batch.session, seed), "session_id"),
            "properties": properties_table().gather(batch.code * len(PLATFORMS) + batch.platform),
            "delivery": timeline.delivery_of(batch.at),
        }
    )
