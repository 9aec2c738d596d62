"""Accounts: who the customers are, when they start, how big they are, how they use the product.

Churn end times are filled in by `simulate.py`; everything else about an account is fixed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from cx_pipeline.contract.entities import REGIONS
from cx_pipeline.generate import vocab
from cx_pipeline.generate.ids import prefixed
from cx_pipeline.generate.profiles import ScaleProfile
from cx_pipeline.generate.streams import stream, weighted_choice
from cx_pipeline.generate.timeline import DAY, NEVER, SECOND, Timeline

INITIAL_BASE_SHARE = 0.35  # accounts already customers in the first history month
LOW_USAGE_SHARE = 0.20  # accounts whose users are much less active (and churn twice as often)
SAME_MONTH_CANCEL_SHARE = 0.01  # start and cancel inside one month: in no churn count
ENTERPRISE_SHARE = 0.13
PRO_SHARE = 0.42
CORE_MRR_MEDIAN = (290.0, 1_400.0, 8_800.0)  # Starter, Pro, Enterprise
CORE_MRR_SIGMA = (0.35, 0.35, 0.30)


@dataclass
class Accounts:
    """One entry per account, ordered by start (= CRM created_at = Core start)."""

    account_id: pl.Series
    name: pl.Series
    domain: pl.Series
    industry: np.ndarray  # index into vocab.INDUSTRIES
    region: np.ndarray  # index into REGIONS
    country: pl.Series
    employees: np.ndarray
    start: np.ndarray  # epoch microseconds
    start_month: np.ndarray
    end: np.ndarray  # churn instant; NEVER while a customer (filled by the simulation)
    low_usage: np.ndarray
    plan: np.ndarray  # index into vocab.PLANS, the Core plan at start
    core_mrr: np.ndarray
    same_month_cancel: np.ndarray

    @property
    def n(self) -> int:
        return self.start.size

    def frame(self, day_end: int, arr: np.ndarray) -> pl.DataFrame:
        """CRM snapshot at the end of a delivery day: accounts created by then."""
        keep = np.flatnonzero(self.start < day_end)
        industries = pl.Series(vocab.values(vocab.INDUSTRIES), dtype=pl.String)
        regions = pl.Series(list(REGIONS), dtype=pl.String)
        return pl.DataFrame(
            {
                "account_id": self.account_id.gather(keep),
                "name": self.name.gather(keep),
                "domain": self.domain.gather(keep),
                "industry": industries.gather(self.industry[keep]),
                "region": regions.gather(self.region[keep]),
                "country": self.country.gather(keep),
                "employees": self.employees[keep],
                "arr": np.round(arr[keep], 2),
                "created_at": timestamps(self.start[keep]),
            }
        )


def timestamps(values: np.ndarray, missing: np.ndarray | None = None) -> pl.Series:
    """Epoch-microsecond instants as a UTC datetime Series; NEVER (or `missing`) becomes null."""
    mask = values == NEVER if missing is None else missing | (values == NEVER)
    arrow = pa.array(values, type=pa.timestamp("us", tz="UTC"), mask=mask)
    return pl.Series(arrow)


def build_accounts(profile: ScaleProfile, timeline: Timeline, seed: int) -> Accounts:
    rng = stream(seed, "accounts")
    n, months = profile.accounts, timeline.n_months

    n_initial = round(n * INITIAL_BASE_SHARE)
    growth = 1.0 + np.arange(1, months) / months  # acquisition grows slowly over time
    later = 1 + weighted_choice(rng, growth, n - n_initial)
    start_month = np.concatenate([np.zeros(n_initial, dtype=np.int64), later])
    start = timeline.random_instants(rng, start_month, first_hour=8, last_hour=18)

    # Planted: a few accounts start early in a complete month and cancel 2-12 days later.
    eligible = np.flatnonzero((start_month >= 1) & timeline.complete[start_month])
    n_cancel = min(eligible.size, max(3, round(n * SAME_MONTH_CANCEL_SHARE)))
    cancel = rng.choice(eligible, n_cancel, replace=False)
    month_start = timeline.bounds[start_month[cancel]]
    start[cancel] = (
        month_start
        + rng.integers(0, 10, n_cancel) * DAY
        + rng.integers(8 * 3600, 18 * 3600, n_cancel) * SECOND
    )
    end = np.full(n, NEVER, dtype=np.int64)
    end[cancel] = start[cancel] + rng.integers(2 * 86_400, 13 * 86_400, n_cancel) * SECOND
    same_month_cancel = np.zeros(n, dtype=bool)
    same_month_cancel[cancel] = True

    region = weighted_choice(rng, [vocab.REGION_WEIGHTS[r] for r in REGIONS], n)
    industry = weighted_choice(rng, vocab.probabilities(vocab.INDUSTRIES), n)
    country = np.empty(n, dtype=object)
    for r, name in enumerate(REGIONS):
        rows = np.flatnonzero(region == r)
        options = vocab.COUNTRIES[name]
        country[rows] = np.array(vocab.values(options), dtype=object)[
            weighted_choice(rng, vocab.probabilities(options), rows.size)
        ]

    employees = np.clip(np.round(rng.lognormal(np.log(120), 1.4, n)), 2, 250_000).astype(np.int64)
    size = np.log(employees) + rng.normal(0.0, 0.5, n)
    cut_pro, cut_ent = np.quantile(size, [1 - ENTERPRISE_SHARE - PRO_SHARE, 1 - ENTERPRISE_SHARE])
    plan = (size >= cut_pro).astype(np.int64) + (size >= cut_ent)
    core_mrr = draw_core_mrr(rng, plan)

    low_usage = rng.permutation(n) < round(n * LOW_USAGE_SHARE)
    name, domain = company_names(rng, n, region)

    order = np.argsort(start, kind="stable")
    return Accounts(
        account_id=prefixed("A", np.arange(1, n + 1), 6, "account_id"),
        name=name.gather(order),
        domain=domain.gather(order),
        industry=industry[order],
        region=region[order],
        country=pl.Series("country", country[order].tolist(), dtype=pl.String),
        employees=employees[order],
        start=start[order],
        start_month=start_month[order],
        end=end[order],
        low_usage=low_usage[order],
        plan=plan[order],
        core_mrr=core_mrr[order],
        same_month_cancel=same_month_cancel[order],
    )


def draw_core_mrr(rng: np.random.Generator, plan: np.ndarray) -> np.ndarray:
    median = np.array(CORE_MRR_MEDIAN)[plan]
    sigma = np.array(CORE_MRR_SIGMA)[plan]
    return np.round(median * np.exp(sigma * rng.standard_normal(plan.size)), 2)


def company_names(
    rng: np.random.Generator, n: int, region: np.ndarray
) -> tuple[pl.Series, pl.Series]:
    """Unique names (and domains) from distinct (prefix, core, descriptor) triples; past the
    triples' count (profile large2x), later rounds reuse them with a number, as "Acme 2"."""
    sizes = (len(vocab.NAME_PREFIXES), len(vocab.NAME_CORES), len(vocab.NAME_DESCRIPTORS))
    total = sizes[0] * sizes[1] * sizes[2]
    if n <= total:
        combo = rng.choice(total, n, replace=False)
        round_no = np.zeros(n, dtype=np.int64)
    else:
        combo = np.concatenate([rng.permutation(total) for _ in range(-(-n // total))])[:n]
        round_no = np.arange(n) // total
    p, rest = np.divmod(combo, sizes[1] * sizes[2])
    c, d = np.divmod(rest, sizes[2])
    prefix = pl.Series(vocab.NAME_PREFIXES).gather(p)
    core = pl.Series(vocab.NAME_CORES).gather(c)
    desc = pl.Series(vocab.NAME_DESCRIPTORS).gather(d)
    legal = pl.Series(vocab.LEGAL_FORMS).gather(rng.integers(0, len(vocab.LEGAL_FORMS), n))
    joined = pl.Series(np.where(rng.random(n) < 0.5, "", " ")).cast(pl.String)
    tlds = np.empty(n, dtype=object)
    for r, name in enumerate(REGIONS):
        rows = np.flatnonzero(region == r)
        options = vocab.REGION_TLDS[name]
        tlds[rows] = np.array(options, dtype=object)[rng.integers(0, len(options), rows.size)]
    frame = pl.DataFrame(
        {
            "p": prefix,
            "c": core,
            "d": desc,
            "l": legal,
            "j": joined,
            "t": pl.Series(tlds.tolist(), dtype=pl.String),
        }
    )
    number = pl.Series("n", round_no + 1)
    frame = frame.with_columns(
        s=pl.when(number > 1).then(pl.lit(" ") + number.cast(pl.String)).otherwise(pl.lit("")),
        ds=pl.when(number > 1).then(number.cast(pl.String)).otherwise(pl.lit("")),
    )
    out = frame.select(
        name=pl.concat_str("p", "j", "c", pl.lit(" "), "d", "s", "l"),
        domain=pl.concat_str("p", "c", "d", "ds").str.to_lowercase() + pl.col("t"),
    )
    return out["name"], out["domain"]
