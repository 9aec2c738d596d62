"""Support tickets: seasonal volume, response and solve times, CSAT, status as of each delivery.

A ticket is delivered on the day it is created (or in the backfill) with its status as known at
the end of that day, and delivered again on the day it is solved when that is a later delivery:
the same ticket_id with an updated status, which the pipeline must let win.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from cx_pipeline.contract.entities import TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES
from cx_pipeline.generate import text
from cx_pipeline.generate.accounts import Accounts, timestamps
from cx_pipeline.generate.contacts import Contacts
from cx_pipeline.generate.drivers import Drivers
from cx_pipeline.generate.ids import prefixed
from cx_pipeline.generate.streams import stream, weighted_choice
from cx_pipeline.generate.timeline import (
    DAY,
    MINUTE,
    NEVER,
    Timeline,
    floor_seconds,
    uniform_between,
)

# Planted monthly multipliers of ticket volume (month of year -> factor; others 1.0).
SEASONALITY = {1: 1.5, 8: 0.6, 9: 1.5, 12: 0.6}
CHANNEL_WEIGHTS = {"email": 40, "chat": 25, "web": 20, "phone": 10, "social": 5}
PRIORITY_WEIGHTS = {"low": 20, "normal": 55, "high": 20, "urgent": 5}
FIRST_RESPONSE_MEDIAN_MINUTES = {"email": 180, "chat": 4, "web": 240, "phone": 2, "social": 60}
PRIORITY_SPEED = {"low": 1.5, "normal": 1.0, "high": 0.6, "urgent": 0.3}
SOLVE_MEDIAN_HOURS = 18
NEVER_SOLVED_SHARE = 0.003
PENDING_SHARE = 0.3  # of unsolved tickets with a first response
CLOSE_AFTER_DAYS = 4  # solved tickets are closed this long after solving
CSAT_SHARE = 0.4  # of tickets with a rating once solved


def exposure(timeline: Timeline, accounts: Accounts, contacts: Contacts) -> float:
    """Seasonal, size-weighted account-months: the base rate is the target count over this."""
    total = 0.0
    for m in range(timeline.n_months):
        active, lo, hi = timeline.overlaps(m, accounts.start, accounts.end)
        share = (hi - lo) / timeline.month_length(m)
        weight = np.sqrt(contacts.count[active])
        total += float((share * weight).sum()) * SEASONALITY.get(
            int(timeline.month_of_year[m]), 1.0
        )
    return total


@dataclass
class TicketBatch:
    account: np.ndarray
    contact: np.ndarray
    created: np.ndarray
    first_response: np.ndarray
    solved: np.ndarray  # NEVER when never solved
    channel: np.ndarray
    priority: np.ndarray
    category: np.ndarray
    csat: np.ndarray  # 0 when the requester gives no rating
    pending: np.ndarray  # waiting on the customer while unsolved


def draw_tickets(
    timeline: Timeline,
    month: int,
    accounts: Accounts,
    contacts: Contacts,
    drivers: Drivers,
    rate: float,
    seed: int,
) -> TicketBatch:
    """One month's tickets; slow-support accounts (drivers.py) wait a day or more for a reply."""
    rng = stream(seed, "tickets", month)
    active, lo, hi = timeline.overlaps(month, accounts.start, accounts.end)
    share = (hi - lo) / timeline.month_length(month)
    season = SEASONALITY.get(int(timeline.month_of_year[month]), 1.0)
    n = rng.poisson(rate * season * np.sqrt(contacts.count[active]) * share)
    account = np.repeat(active, n)
    hi = np.repeat(hi, n)
    contact = contacts.pick(rng, account)
    # A requester not created yet is replaced by the account's first contact (the champion).
    contact = np.where(contacts.created[contact] < hi, contact, contacts.offset[account])
    lo = np.maximum(np.repeat(lo, n), contacts.created[contact])
    ok = lo < hi
    account, contact, lo, hi = account[ok], contact[ok], lo[ok], hi[ok]
    created = uniform_between(rng, lo, hi)
    order = np.lexsort((contact, created))
    account, contact, created = account[order], contact[order], created[order]
    k = created.size

    channels, priorities = list(TICKET_CHANNELS), list(TICKET_PRIORITIES)
    channel = weighted_choice(rng, [CHANNEL_WEIGHTS[c] for c in channels], k)
    priority = weighted_choice(rng, [PRIORITY_WEIGHTS[p] for p in priorities], k)
    median = (
        np.array([FIRST_RESPONSE_MEDIAN_MINUTES[c] for c in channels])[channel]
        * np.array([PRIORITY_SPEED[p] for p in priorities])[priority]
    )
    respond = median * MINUTE * rng.lognormal(0.0, 1.1, k)
    delay = drivers.extra_first_response(account, seed, month)
    first_response = floor_seconds(created + 60_000_000 + respond.astype(np.int64) + delay)
    solve = SOLVE_MEDIAN_HOURS * 60 * MINUTE * rng.lognormal(0.0, 1.3, k)
    solved = floor_seconds(first_response + solve.astype(np.int64))
    solved[rng.random(k) < NEVER_SOLVED_SHARE] = NEVER

    hours = (first_response - created) / (60 * MINUTE)
    latent = 4.6 - 0.45 * np.log1p(hours) + rng.normal(0.0, 0.8, k)
    csat = np.where(rng.random(k) < CSAT_SHARE, np.clip(np.round(latent), 1, 5), 0).astype(np.int64)
    weights = [w for _, _, w in text.TICKET_CATEGORIES]
    return TicketBatch(
        account=account,
        contact=contact,
        created=created,
        first_response=first_response,
        solved=solved,
        channel=channel,
        priority=priority,
        category=weighted_choice(rng, weights, k),
        csat=csat,
        pending=rng.random(k) < PENDING_SHARE,
    )


def tickets_frame(
    batch: TicketBatch,
    first_number: int,
    timeline: Timeline,
    month: int,
    accounts: Accounts,
    contacts: Contacts,
    seed: int,
) -> pl.DataFrame:
    """Contract rows plus `delivery`: one row per ticket, one more for each later solve-day
    re-delivery."""
    rng = stream(seed, "ticket-text", month)
    k = batch.created.size
    categories = [c for c, _, _ in text.TICKET_CATEGORIES]
    subjects = text.TemplateTable([[s for s, _ in text.TICKETS[c]] for c in categories])
    bodies = text.TemplateTable([[b for _, b in text.TICKETS[c]] for c in categories])
    first = timeline.delivery_of(batch.created)
    solved_in = np.where(batch.solved < timeline.end_us, timeline.delivery_of(batch.solved), -1)
    again = np.flatnonzero(solved_in > first)
    row = np.concatenate([np.arange(k), again])
    delivery = np.concatenate([first, solved_in[again]])
    extract_at = timeline.delivery_ends[delivery]
    template = subjects.pick(rng, batch.category)[row]  # same index in both tables: a pair

    created = batch.created[row]
    responded = batch.first_response[row] < extract_at
    solved = batch.solved[row] < extract_at
    status_names = list(TICKET_STATUSES)
    status = np.select(
        [
            solved & (extract_at - batch.solved[row] >= CLOSE_AFTER_DAYS * DAY),
            solved,
            ~responded,
            batch.pending[row],
        ],
        [status_names.index(s) for s in ("closed", "solved", "new", "pending")],
        status_names.index("open"),
    )
    csat = batch.csat[row]
    csat_series = pl.Series("csat_score", csat).scatter(np.flatnonzero(~solved | (csat == 0)), None)
    frame = pl.DataFrame(
        {
            "ticket_id": prefixed("T", first_number + row, 8, "ticket_id"),
            "account_id": accounts.account_id.gather(batch.account[row]),
            "contact_id": contacts.contact_id.gather(batch.contact[row]),
            "created_at": timestamps(created),
            "first_response_at": timestamps(batch.first_response[row], missing=~responded),
            "solved_at": timestamps(batch.solved[row], missing=~solved),
            "channel": pl.Series(list(TICKET_CHANNELS)).gather(batch.channel[row]),
            "priority": pl.Series(list(TICKET_PRIORITIES)).gather(batch.priority[row]),
            "status": pl.Series(status_names).gather(status),
            "category": pl.Series(categories).gather(batch.category[row]),
            "subject": subjects.text(template, "subject"),
            "description": bodies.text(template, "description"),
            "csat_score": csat_series,
            "delivery": delivery,
        }
    )
    return frame


def ticket_events_frame(tickets: pl.DataFrame) -> pl.DataFrame:
    """The history of the tickets of `tickets_frame`: the first public agent reply (status
    pending or open after it), the solve and the close, each delivered with the first delivery
    of its ticket that knows it. Replies and solves sit exactly on first_response_at and
    solved_at, so the support marts' first reply and resolution times are the planted ones."""
    close_after = pl.duration(days=CLOSE_AFTER_DAYS)
    reply = tickets.filter(pl.col("first_response_at").is_not_null()).select(
        pl.col("ticket_id"),
        (pl.col("ticket_id") + "-reply").alias("event_id"),
        pl.col("first_response_at").alias("occurred_at"),
        pl.when(pl.col("status") == "pending")
        .then(pl.lit("pending"))
        .otherwise(pl.lit("open"))
        .alias("status"),
        pl.lit(True).alias("is_public_agent_reply"),
        pl.col("delivery"),
    )
    solve = tickets.filter(pl.col("solved_at").is_not_null()).select(
        pl.col("ticket_id"),
        (pl.col("ticket_id") + "-solved").alias("event_id"),
        pl.col("solved_at").alias("occurred_at"),
        pl.lit("solved").alias("status"),
        pl.lit(False).alias("is_public_agent_reply"),
        pl.col("delivery"),
    )
    close = tickets.filter(pl.col("status") == "closed").select(
        pl.col("ticket_id"),
        (pl.col("ticket_id") + "-closed").alias("event_id"),
        (pl.col("solved_at") + close_after).alias("occurred_at"),
        pl.lit("closed").alias("status"),
        pl.lit(False).alias("is_public_agent_reply"),
        pl.col("delivery"),
    )
    return (
        pl.concat([reply, solve, close])
        .sort("delivery", "event_id")
        .unique("event_id", keep="first", maintain_order=True)
    )
