"""Subscriptions: Core from the account's start, add-ons later, plan changes and cancellations.

Planted cases a churn metric must get right: same-day plan changes (one row ends, the next
starts at the same instant: no churn), add-ons cancelled while Core runs (no logo churn), and
scheduled cancellations whose ended_at lies after as_of (still a customer at as_of).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from cx_pipeline.generate import vocab
from cx_pipeline.generate.accounts import Accounts, draw_core_mrr, timestamps
from cx_pipeline.generate.ids import prefixed
from cx_pipeline.generate.streams import stream, weighted_choice
from cx_pipeline.generate.timeline import DAY, NEVER, SECOND, Timeline, floor_seconds

PLAN_CHANGE_SHARE = 0.03  # of accounts with >= 60 days of life
SCHEDULED_CANCEL_SHARE = 0.01  # of customers at as_of
SCHEDULED_CANCEL_MAX_DAYS = 20
ADDON_PROBABILITY = {  # by Core plan: Starter, Pro, Enterprise
    "Analytics": (0.25, 0.50, 0.75),
    "Automation": (0.15, 0.35, 0.60),
}
ADDON_EARLY_END_SHARE = 0.20
NO_REASON = -1
COLUMNS = ("account", "product", "plan", "mrr", "start", "end", "reason")


@dataclass
class Subscriptions:
    subscription_id: pl.Series
    account: np.ndarray
    product: np.ndarray  # index into vocab.PRODUCTS
    plan: np.ndarray
    mrr: np.ndarray
    start: np.ndarray
    end: np.ndarray  # NEVER while running
    reason: np.ndarray  # index into vocab.CANCEL_REASONS / ADDON_CANCEL_REASONS names, or -1
    scheduled: np.ndarray  # end after as_of, already recorded in the last snapshot
    planted: dict[str, list[str] | int]

    def arr(self, day_end: int, n_accounts: int) -> np.ndarray:
        """ARR per account at the end of a day: 12 x MRR of subscriptions running then."""
        running = (self.start < day_end) & (self.end >= day_end)
        return 12 * np.bincount(self.account[running], self.mrr[running], minlength=n_accounts)

    def frame(self, day_end: int, last: bool, accounts: Accounts) -> pl.DataFrame:
        """CRM snapshot: subscriptions started by day_end; an end shows once it has happened,
        or, in the last delivery, when it is a scheduled cancellation."""
        keep = np.flatnonzero(self.start < day_end)
        end = self.end[keep]
        hidden = (end >= day_end) & ~(last & self.scheduled[keep])
        reasons = pl.Series(reason_names())
        reason = self.reason[keep]
        reason_text = reasons.gather(np.maximum(reason, 0))
        reason_text = reason_text.scatter(np.flatnonzero(hidden | (reason < 0)), None)
        return pl.DataFrame(
            {
                "subscription_id": self.subscription_id.gather(keep),
                "account_id": accounts.account_id.gather(self.account[keep]),
                "product": pl.Series(vocab.PRODUCTS).gather(self.product[keep]),
                "plan": pl.Series(vocab.PLANS).gather(self.plan[keep]),
                "mrr": self.mrr[keep],
                "started_at": timestamps(self.start[keep]),
                "ended_at": timestamps(end, missing=hidden),
                "cancel_reason": reason_text,
            }
        )


def reason_names() -> list[str]:
    names = vocab.values(vocab.CANCEL_REASONS)
    return names + [r for r in vocab.values(vocab.ADDON_CANCEL_REASONS) if r not in names]


def build_subscriptions(timeline: Timeline, accounts: Accounts, seed: int) -> Subscriptions:
    rng = stream(seed, "subscriptions")
    n = accounts.n
    names = reason_names()
    churn_reason = weighted_choice(rng, vocab.probabilities(vocab.CANCEL_REASONS), n)
    addon_reason = np.array([names.index(r) for r in vocab.values(vocab.ADDON_CANCEL_REASONS)])[
        weighted_choice(rng, vocab.probabilities(vocab.ADDON_CANCEL_REASONS), n)
    ]
    life_end = np.minimum(accounts.end, timeline.end_us)  # end of what the history can show
    ended = accounts.end != NEVER
    idx = np.arange(n)

    rows: list[dict[str, np.ndarray]] = []

    def add(*columns: np.ndarray) -> None:
        rows.append(dict(zip(COLUMNS, columns, strict=True)))

    # Core, possibly split by one same-day plan change.
    eligible = np.flatnonzero(~accounts.same_month_cancel & (life_end - accounts.start >= 60 * DAY))
    changed = np.sort(rng.choice(eligible, round(eligible.size * PLAN_CHANGE_SHARE), replace=False))
    change_at = floor_seconds(
        accounts.start[changed]
        + 30 * DAY
        + (
            rng.random(changed.size) * (life_end[changed] - accounts.start[changed] - 31 * DAY)
        ).astype(np.int64)
    )
    core_end = np.where(ended, accounts.end, NEVER)
    core_reason = np.where(ended, churn_reason, NO_REASON)
    first_end = core_end.copy()
    first_end[changed] = change_at
    first_reason = core_reason.copy()
    first_reason[changed] = NO_REASON
    add(
        idx,
        np.zeros(n, np.int64),
        accounts.plan,
        accounts.core_mrr,
        accounts.start.copy(),
        first_end,
        first_reason,
    )
    old_plan = accounts.plan[changed]
    new_plan = np.where(
        old_plan == 2,
        1,
        np.where(rng.random(changed.size) < 0.8, old_plan + 1, np.maximum(old_plan - 1, 0)),
    )
    new_plan = np.where(new_plan == old_plan, old_plan + 1, new_plan)
    add(
        changed,
        np.zeros(changed.size, np.int64),
        new_plan,
        draw_core_mrr(rng, new_plan),
        change_at,
        core_end[changed],
        core_reason[changed],
    )

    # Add-ons start weeks to months later; some are cancelled while Core runs on.
    for product, probs in ADDON_PROBABILITY.items():
        p = vocab.PRODUCTS.index(product)
        start = floor_seconds(
            accounts.start + 14 * DAY + rng.exponential(150 * DAY, n).astype(np.int64)
        )
        has = (rng.random(n) < np.array(probs)[accounts.plan]) & (start < life_end)
        has &= ~accounts.same_month_cancel
        a = np.flatnonzero(has)
        early = floor_seconds(
            start[a] + 30 * DAY + rng.exponential(200 * DAY, a.size).astype(np.int64)
        )
        cut = (rng.random(a.size) < ADDON_EARLY_END_SHARE) & (early < life_end[a])
        end = np.where(cut, early, core_end[a])
        reason = np.where(cut, addon_reason[a], core_reason[a])
        mrr = np.round(accounts.core_mrr[a] * rng.uniform(0.2, 0.45, a.size), 2)
        add(a, np.full(a.size, p), accounts.plan[a], mrr, start[a], end, reason)

    cols = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}

    # Scheduled cancellations: customers at as_of whose subscriptions end up to 20 days later.
    customers = np.flatnonzero((accounts.end == NEVER) & ~accounts.same_month_cancel)
    n_sched = min(customers.size, max(1, round(customers.size * SCHEDULED_CANCEL_SHARE)))
    sched = np.sort(rng.choice(customers, n_sched, replace=False))
    sched_end = (
        timeline.end_us
        + rng.integers(0, SCHEDULED_CANCEL_MAX_DAYS, n_sched) * DAY
        + (rng.integers(8 * 3600, 18 * 3600, n_sched) * SECOND)
    )
    lookup = np.full(n, -1)
    lookup[sched] = np.arange(n_sched)
    hit = (lookup[cols["account"]] >= 0) & (cols["end"] == NEVER)
    cols["end"] = np.where(hit, sched_end[np.maximum(lookup[cols["account"]], 0)], cols["end"])
    cols["reason"] = np.where(hit, churn_reason[cols["account"]], cols["reason"])

    order = np.lexsort((cols["product"], cols["account"], cols["start"]))
    cols = {k: v[order] for k, v in cols.items()}
    hit = hit[order]
    sub_id = prefixed("S", np.arange(1, order.size + 1), 7, "subscription_id")
    return Subscriptions(
        subscription_id=sub_id,
        account=cols["account"],
        product=cols["product"],
        plan=cols["plan"],
        mrr=cols["mrr"],
        start=cols["start"],
        end=cols["end"],
        reason=cols["reason"],
        scheduled=hit,
        planted={
            "scheduled_cancellation_accounts": accounts.account_id.gather(sched).to_list(),
            "same_month_cancel_accounts": accounts.account_id.filter(
                pl.Series(accounts.same_month_cancel)
            ).to_list(),
            "plan_change_accounts": accounts.account_id.gather(changed).to_list(),
        },
    )
