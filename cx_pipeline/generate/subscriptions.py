"""Subscriptions: Core from the account's start, add-ons later, plan changes and cancellations.

Planted cases a churn metric must get right: same-day plan changes (one row ends, the next
starts at the same instant: no churn), add-ons cancelled while Core runs (no logo churn),
scheduled cancellations whose ended_at lies after as_of (still a customer at as_of), and
reactivations (a lost account back on a new Core subscription after at least one whole month
away, which may be lost again). On request, accounts billed in their country's currency (EUR,
GBP, CAD, AUD; the rest in USD) with dated rates to USD beside the extracts. `movements` states
the MRR movements all this plants, month by month, in the reporting currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from cx_pipeline.generate import vocab
from cx_pipeline.generate.accounts import Accounts, draw_core_mrr, timestamps
from cx_pipeline.generate.drivers import FALLING_USAGE_MULTIPLIER, Drivers
from cx_pipeline.generate.ids import prefixed
from cx_pipeline.generate.simulate import BASE_HAZARD, LOW_USAGE_MULTIPLIER, ChurnLedger
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
# Reactivations: a share of the accounts lost early enough come back 2-6 months after the month
# they were lost in (so at least one whole month away: a return, not a same-month blip).
REACTIVATION_SHARE = 0.15
REACTIVATION_MIN = 3
REACTIVATION_GAP_MONTHS = (2, 6)
# Currencies (only when asked): accounts pay in their country's currency, everyone else in USD,
# the reporting currency. Rates are synthetic: a monthly random walk from round starting values
# (USD per unit), dated the first day of every history month, never market data.
REPORTING_CURRENCY = "USD"
CURRENCY_BY_COUNTRY = {
    **dict.fromkeys(("DE", "FR", "NL", "ES", "IT", "IE"), "EUR"),
    "GB": "GBP",
    "CA": "CAD",
    "AU": "AUD",
}
RATE_START = {"AUD": 0.66, "CAD": 0.73, "EUR": 1.08, "GBP": 1.27}
RATE_MONTHLY_SIGMA = 0.02
RATE_DECIMALS = 4
RATE_SOURCE = "cx-pipeline generator: synthetic rates for generated data, not market rates"
CURRENCIES = tuple(sorted(RATE_START))


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
    planted: dict[str, Any]
    # With currencies: index into CURRENCIES per row (-1: the reporting currency) and the MRR
    # as billed; `mrr` is then the reporting-currency MRR the marts compute from it.
    currency: np.ndarray | None = field(default=None)
    mrr_native: np.ndarray | None = field(default=None)

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
        billed = self.mrr if self.mrr_native is None else self.mrr_native
        frame = pl.DataFrame(
            {
                "subscription_id": self.subscription_id.gather(keep),
                "account_id": accounts.account_id.gather(self.account[keep]),
                "product": pl.Series(vocab.PRODUCTS).gather(self.product[keep]),
                "plan": pl.Series(vocab.PLANS).gather(self.plan[keep]),
                "mrr": billed[keep],
                "started_at": timestamps(self.start[keep]),
                "ended_at": timestamps(end, missing=hidden),
                "cancel_reason": reason_text,
            }
        )
        if self.currency is None:
            return frame
        codes = pl.Series([*CURRENCIES, REPORTING_CURRENCY])  # -1 gathers the last
        return frame.with_columns(currency=codes.gather(self.currency[keep] % codes.len()))

    def append(self, columns: dict[str, np.ndarray]) -> None:
        """More rows, numbered after the existing ones (whose ids and order stay as they were)."""
        first = self.account.size + 1
        ids = prefixed("S", np.arange(first, first + columns["account"].size), 7, "subscription_id")
        self.subscription_id = pl.concat([self.subscription_id, ids])
        for name in COLUMNS:
            setattr(self, name, np.concatenate([getattr(self, name), columns[name]]))
        self.scheduled = np.concatenate([self.scheduled, np.zeros(ids.len(), dtype=bool)])


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


def plant_reactivations(
    subs: Subscriptions,
    timeline: Timeline,
    accounts: Accounts,
    drivers: Drivers,
    ledger: ChurnLedger,
    seed: int,
) -> None:
    """Bring a share of the lost accounts back on a new Core subscription, 2-6 months after the
    month they were lost in, and let them churn again under the simulation's hazard.

    Only subscriptions change: the account's own lifetime (`accounts.end`, which drives tickets,
    events and answers) stays the first spell's, so a returning customer is quiet, never a
    detractor. Its months as a customer again are added to `ledger`, so the planted churn still
    counts every customer at a month's start. Draws come from a stream of their own.
    """
    rng = stream(seed, "reactivations")
    last = timeline.n_months - 1
    lost_month = np.searchsorted(timeline.bounds, accounts.end, side="right") - 1
    low, high = REACTIVATION_GAP_MONTHS
    eligible = np.flatnonzero(
        (accounts.end != NEVER) & ~accounts.same_month_cancel & (lost_month + low <= last)
    )
    n = min(eligible.size, max(REACTIVATION_MIN, round(eligible.size * REACTIVATION_SHARE)))
    back = np.sort(rng.choice(eligible, n, replace=False))
    first = lost_month[back] + low
    span = np.minimum(lost_month[back] + high, last) - first + 1
    month = first + np.floor(rng.random(n) * span).astype(np.int64)
    start = timeline.random_instants(rng, month, first_hour=8, last_hour=18)
    plan = accounts.plan[back]
    mrr = draw_core_mrr(rng, plan)
    reason = weighted_choice(rng, vocab.probabilities(vocab.CANCEL_REASONS), n)

    # The simulation's monthly hazard, without the detractor factor: no answers come after the
    # first loss. One uniform per account and month keeps the draws independent of the outcome.
    end = np.full(n, NEVER, dtype=np.int64)
    keys = timeline.month_keys()
    for m in range(1, timeline.n_months):
        at_risk = (month < m) & (end == NEVER)
        fell = drivers.falling_usage(m)[back]
        hazard = (
            BASE_HAZARD
            * np.where(accounts.low_usage[back], LOW_USAGE_MULTIPLIER, 1.0)
            * np.where(fell, FALLING_USAGE_MULTIPLIER, 1.0)
        )
        churn = at_risk & (rng.random(n) < hazard)
        end[churn] = timeline.random_instants(rng, np.full(int(churn.sum()), m))
        if timeline.complete[m]:
            ledger.add_returned(keys[m], at_risk, hazard, churn, fell)

    order = np.lexsort((back, start))
    subs.append(
        {
            "account": back[order],
            "product": np.zeros(n, np.int64),
            "plan": plan[order],
            "mrr": mrr[order],
            "start": start[order],
            "end": end[order],
            "reason": np.where(end == NEVER, NO_REASON, reason)[order],
        }
    )
    lost_again = np.searchsorted(timeline.bounds, end, side="right") - 1
    subs.planted["reactivations"] = [
        {
            "account_id": accounts.account_id[int(a)],
            "lost_month": keys[lost_month[a]],
            "back_month": keys[m],
            "lost_again_month": keys[again] if e != NEVER else None,
        }
        for a, m, e, again in zip(back, month, end, lost_again, strict=True)
    ]


def price_in_currencies(
    subs: Subscriptions, timeline: Timeline, accounts: Accounts, seed: int
) -> pl.DataFrame:
    """Bill each account in its country's currency; return the rates (exchange_rates.csv rows).

    Every subscription row keeps its drawn MRR as the reporting-currency value it is meant to be
    worth: the billed amount is that divided by the rate of its start month, to the cent, and
    `mrr` becomes what the pipeline will compute back (billed x rate, rounded half up to the
    cent), in whole cents so that the planted figures are exact. Rates are dated the first day
    of every history month, so every start has one on or before its day (a missing rate would
    fail the run). Draws come from a stream of their own.
    """
    rng = stream(seed, "exchange_rates")
    steps = rng.normal(0.0, RATE_MONTHLY_SIGMA, (len(CURRENCIES), timeline.n_months))
    steps[:, 0] = 0.0
    walk = np.array([RATE_START[c] for c in CURRENCIES])[:, None] * np.exp(np.cumsum(steps, 1))
    scale = 10**RATE_DECIMALS
    rate = np.rint(walk * scale).astype(np.int64)  # in 1 / scale USD

    code = accounts.country.replace_strict(CURRENCY_BY_COUNTRY, default=REPORTING_CURRENCY)
    index = {c: i for i, c in enumerate(CURRENCIES)}
    by_account = np.array([index.get(c, -1) for c in code.to_list()], dtype=np.int64)
    currency = by_account[subs.account]
    month = np.searchsorted(timeline.bounds, subs.start, side="right") - 1
    if (month < 0).any():
        raise ValueError("a subscription starts before the first exchange rate")
    foreign = currency >= 0
    row_rate = np.where(foreign, rate[np.maximum(currency, 0), month], scale)
    cents = np.rint(subs.mrr * 100).astype(np.int64)
    native = np.where(foreign, np.rint(cents * scale / row_rate).astype(np.int64), cents)
    reporting = (native * row_rate + scale // 2) // scale
    subs.currency = currency
    subs.mrr_native = native / 100
    subs.mrr = reporting / 100

    months = [m.isoformat() for m in timeline.months]
    return pl.DataFrame(
        {
            "currency": np.repeat(CURRENCIES, timeline.n_months),
            "to_currency": REPORTING_CURRENCY,
            "rate_date": months * len(CURRENCIES),
            "rate": [f"{r / scale:.{RATE_DECIMALS}f}" for r in rate.ravel()],
            "source": RATE_SOURCE,
        }
    )


MOVEMENT_COUNTS = (
    "customers_at_start",
    "new_customers",
    "expansion_customers",
    "contraction_customers",
    "churned_customers",
    "reactivated_customers",
    "customers_at_end",
)
MOVEMENT_AMOUNTS = (
    "opening_mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
    "closing_mrr",
)


def movements(subs: Subscriptions, timeline: Timeline, n_accounts: int) -> dict[str, Any]:
    """MRR movements of every complete month, in the reporting currency, from the rows planted.

    Worked out here on the generator's own arrays in whole cents, not by the pipeline's SQL. An
    account is active on day d when one of its subscriptions starts before d ends and has not
    ended by then; it is compared on the day before the month and on the month's last day: kept
    (expansion or contraction by the MRR difference), churned (its start MRR), or come (new in
    the month of its first active day, else a reactivation) with its end MRR.
    """
    cents = np.rint(subs.mrr * 100).astype(np.int64)
    ever = subs.start // DAY < subs.end // DAY  # ends on a later day than it starts
    first = np.full(n_accounts, NEVER, dtype=np.int64)
    np.minimum.at(first, subs.account[ever], subs.start[ever])
    cohort = np.searchsorted(timeline.bounds, first, side="right") - 1

    def state(instant: int) -> tuple[np.ndarray, np.ndarray]:
        """Active accounts, and their MRR in cents, on the day ending at `instant`."""
        running = (subs.start < instant) & (subs.end >= instant)
        count = np.bincount(subs.account[running], minlength=n_accounts)
        total = np.zeros(n_accounts, dtype=np.int64)
        np.add.at(total, subs.account[running], cents[running])
        return count > 0, total

    out: dict[str, Any] = {}
    for m, key in enumerate(timeline.month_keys()):
        if not timeline.complete[m]:
            continue
        was, s = state(int(timeline.bounds[m]))
        now, e = state(int(timeline.bounds[m + 1]))
        kept = was & now
        groups = {
            "new": ~was & now & (cohort == m),
            "expansion": kept & (e > s),
            "contraction": kept & (e < s),
            "churned": was & ~now,
            "reactivated": ~was & now & (cohort < m),
        }
        counts = [int(was.sum()), *(int(g.sum()) for g in groups.values()), int(now.sum())]
        amounts = [
            s[was].sum(),
            e[groups["new"]].sum(),
            (e - s)[groups["expansion"]].sum(),
            (s - e)[groups["contraction"]].sum(),
            s[groups["churned"]].sum(),
            e[groups["reactivated"]].sum(),
            e[now].sum(),
        ]
        out[key] = dict(zip(MOVEMENT_COUNTS, counts, strict=True)) | {
            name: round(int(c) / 100, 2) for name, c in zip(MOVEMENT_AMOUNTS, amounts, strict=True)
        }
    return out
