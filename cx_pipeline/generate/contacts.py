"""Contacts: the people at each account, created at or after the account.

Contacts are planned before the churn simulation (which needs them for survey responses);
those that would be created after their account churned are dropped afterwards with `keep`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from cx_pipeline.generate import vocab
from cx_pipeline.generate.accounts import Accounts, timestamps
from cx_pipeline.generate.ids import prefixed
from cx_pipeline.generate.profiles import ScaleProfile
from cx_pipeline.generate.streams import stream, weighted_choice
from cx_pipeline.generate.timeline import DAY, MINUTE, Timeline, floor_seconds

MAX_CONTACTS = 8
MIXED_CASE_EMAIL_SHARE = 0.15


@dataclass
class Contacts:
    """One entry per contact, ordered by (account, created)."""

    contact_id: pl.Series
    account: np.ndarray  # account index
    created: np.ndarray
    full_name: pl.Series
    email: pl.Series
    job_title: pl.Series
    offset: np.ndarray  # per account: first contact position
    count: np.ndarray  # per account: number of contacts

    @property
    def n(self) -> int:
        return self.account.size

    def keep(self, mask: np.ndarray) -> Contacts:
        """The contacts where mask holds (ids unchanged), with the per-account index rebuilt."""
        rows = np.flatnonzero(mask)
        account = self.account[rows]
        offset, count = account_index(account, self.offset.size)
        return replace(
            self,
            contact_id=self.contact_id.gather(rows),
            account=account,
            created=self.created[rows],
            full_name=self.full_name.gather(rows),
            email=self.email.gather(rows),
            job_title=self.job_title.gather(rows),
            offset=offset,
            count=count,
        )

    def pick(self, rng: np.random.Generator, account: np.ndarray) -> np.ndarray:
        """A uniformly chosen contact of each given account (accounts must have contacts)."""
        within = np.floor(rng.random(account.size) * self.count[account]).astype(np.int64)
        return self.offset[account] + within

    def frame(self, day_end: int, accounts: Accounts) -> pl.DataFrame:
        """CRM snapshot at the end of a delivery day: contacts created by then."""
        keep = np.flatnonzero(self.created < day_end)
        return pl.DataFrame(
            {
                "contact_id": self.contact_id.gather(keep),
                "account_id": accounts.account_id.gather(self.account[keep]),
                "email": self.email.gather(keep),
                "full_name": self.full_name.gather(keep),
                "job_title": self.job_title.gather(keep),
                "created_at": timestamps(self.created[keep]),
            }
        )


def account_index(account: np.ndarray, n_accounts: int) -> tuple[np.ndarray, np.ndarray]:
    count = np.bincount(account, minlength=n_accounts).astype(np.int64)
    offset = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    return offset, count


def plan_contacts(
    profile: ScaleProfile, timeline: Timeline, accounts: Accounts, seed: int
) -> Contacts:
    rng = stream(seed, "contacts")
    n_acc = accounts.n

    # 1..8 contacts per account, more at bigger accounts.
    z = np.log(accounts.employees)
    z = (z - z.mean()) / z.std()
    mean_share = (profile.contacts_per_account - 1) / (MAX_CONTACTS - 1)
    logit = np.log(mean_share / (1 - mean_share)) + 0.8 * z
    per_account = 1 + rng.binomial(MAX_CONTACTS - 1, 1 / (1 + np.exp(-logit)))

    account = np.repeat(np.arange(n_acc), per_account)
    rank = np.arange(account.size) - np.repeat(np.cumsum(per_account) - per_account, per_account)
    # First contact with the account; others soon after (40%) or over the following months.
    delay = np.where(
        rng.random(account.size) < 0.4,
        rng.random(account.size) * 14 * DAY,
        rng.exponential(120 * DAY, account.size),
    )
    delay = np.where(rank == 0, rng.random(account.size) * 10 * MINUTE, delay)
    created = floor_seconds(accounts.start[account] + delay.astype(np.int64))
    ends = np.minimum(accounts.end[account], timeline.end_us)  # planted early cancels are known
    alive = created < ends
    account, created = account[alive], created[alive]
    order = np.lexsort((created, account))
    account, created = account[order], created[order]
    n = account.size

    first = rng.integers(0, len(vocab.FIRST_NAMES), n)
    last = rng.integers(0, len(vocab.LAST_NAMES), n)
    titles = vocab.JOB_TITLES
    frame = pl.DataFrame(
        {
            "account": account,
            "first": pl.Series([f for f, _ in vocab.FIRST_NAMES]).gather(first),
            "last": pl.Series([f for f, _ in vocab.LAST_NAMES]).gather(last),
            "first_ascii": pl.Series([e for _, e in vocab.FIRST_NAMES]).gather(first),
            "last_ascii": pl.Series([e for _, e in vocab.LAST_NAMES]).gather(last),
            "domain": accounts.domain.gather(account),
            "mixed": rng.random(n) < MIXED_CASE_EMAIL_SHARE,
            "title": pl.Series(vocab.values(titles)).gather(
                weighted_choice(rng, vocab.probabilities(titles), n)
            ),
        }
    )
    local = pl.concat_str("first_ascii", pl.lit("."), "last_ascii")
    # Two people with the same name at one account get first.last2@...
    dup = pl.int_range(pl.len()).over("account", local) + 1
    local = pl.when(dup > 1).then(local + dup.cast(pl.String)).otherwise(local)
    # Some CRMs keep the case people typed: First.Last@domain.
    local = pl.when("mixed").then(local.str.to_titlecase()).otherwise(local)
    out = frame.select(
        full_name=pl.concat_str("first", pl.lit(" "), "last"),
        email=local + pl.lit("@") + pl.col("domain"),
        job_title=pl.when(pl.col("title") == "").then(None).otherwise("title"),
    )

    # Ids follow creation order, like a CRM's auto-increment.
    number = np.empty(n, dtype=np.int64)
    number[np.argsort(created, kind="stable")] = np.arange(1, n + 1)
    offset, count = account_index(account, n_acc)
    return Contacts(
        contact_id=prefixed("C", number, 7, "contact_id"),
        account=account,
        created=created,
        full_name=out["full_name"],
        email=out["email"],
        job_title=out["job_title"],
        offset=offset,
        count=count,
    )
