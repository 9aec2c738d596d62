"""Calendar of one generation run: history months, delivery days, and instants as integers.

All instants are int64 microseconds since the Unix epoch (UTC), whole seconds, so the
simulation stays in numpy; `NEVER` marks an end that has not happened.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
NEVER = np.iinfo(np.int64).max


def to_us(d: date) -> int:
    """Midnight UTC of `d` as epoch microseconds."""
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) * SECOND


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


@dataclass(frozen=True)
class Timeline:
    """History months ending with the as-of month, and the delivery days ending on as_of."""

    as_of: date
    months: tuple[date, ...]  # first day of every history month, oldest first
    bounds: np.ndarray  # month start instants, plus the start of the month after the last
    month_of_year: np.ndarray  # 1..12 per history month
    complete: np.ndarray  # bool per month: its last day is <= as_of
    deliveries: tuple[date, ...]

    @classmethod
    def build(cls, as_of: date, history_months: int, deliveries: int) -> Timeline:
        if history_months < 3:
            raise ValueError("history_months must be >= 3")
        if deliveries < 1:
            raise ValueError("deliveries must be >= 1")
        index = as_of.year * 12 + as_of.month - 1
        firsts = [
            date(i // 12, i % 12 + 1, 1) for i in range(index - history_months + 1, index + 2)
        ]
        months = tuple(firsts[:-1])
        last_days = [date(m.year, m.month, calendar.monthrange(m.year, m.month)[1]) for m in months]
        return cls(
            as_of=as_of,
            months=months,
            bounds=np.array([to_us(d) for d in firsts], dtype=np.int64),
            month_of_year=np.array([m.month for m in months], dtype=np.int64),
            complete=np.array([d <= as_of for d in last_days], dtype=bool),
            deliveries=tuple(as_of - timedelta(days=deliveries - 1 - k) for k in range(deliveries)),
        )

    @property
    def n_months(self) -> int:
        return len(self.months)

    @property
    def end_us(self) -> int:
        """End (exclusive) of the as-of day: nothing generated happens at or after it."""
        return to_us(self.as_of) + DAY

    @property
    def delivery_ends(self) -> np.ndarray:
        """End (exclusive) of each delivery day: the extract time of that delivery."""
        return np.array([to_us(d) + DAY for d in self.deliveries], dtype=np.int64)

    def month_keys(self) -> list[str]:
        return [month_key(m) for m in self.months]

    def open_days(self) -> np.ndarray:
        """Days per month on which a start or a churn may fall.

        The month's last day is left out so that 'active on the last day of the month' means
        the same whether a pipeline compares dates or timestamps. In a partial as-of month
        only days up to as_of are open.
        """
        days = np.diff(self.bounds) // DAY - 1
        last = self.n_months - 1
        if not self.complete[last]:
            days[last] = self.as_of.day
        return days

    def month_window(self, month: int) -> tuple[int, int]:
        """[start, end) of a history month, cut at the end of the as-of day."""
        return int(self.bounds[month]), int(min(self.bounds[month + 1], self.end_us))

    def month_length(self, month: int) -> float:
        return float(self.bounds[month + 1] - self.bounds[month])

    def overlaps(
        self, month: int, start: np.ndarray, end: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Entries whose [start, end) overlaps the month: indices and the overlap [lo, hi)."""
        lo_m, hi_m = self.month_window(month)
        rows = np.flatnonzero((start < hi_m) & (end > lo_m) & (start < end))
        return rows, np.maximum(start[rows], lo_m), np.minimum(end[rows], hi_m)

    def delivery_of(self, instants: np.ndarray) -> np.ndarray:
        """Delivery index that first carries a row stamped `instant`; -1 after as_of.

        The first delivery is the backfill of everything up to its day; later deliveries
        carry one day each.
        """
        first_end = int(self.delivery_ends[0])
        idx = np.where(instants < first_end, 0, (instants - first_end) // DAY + 1)
        return np.where(instants < self.end_us, idx, -1).astype(np.int64)

    def random_instants(
        self,
        rng: np.random.Generator,
        month_idx: np.ndarray,
        first_hour: int = 0,
        last_hour: int = 24,
    ) -> np.ndarray:
        """One instant per entry: an open day of the given month, a time between the hours."""
        days = self.open_days()[month_idx]
        day = np.floor(rng.random(month_idx.size) * days).astype(np.int64)
        span = (last_hour - first_hour) * 3600
        sec = first_hour * 3600 + np.floor(rng.random(month_idx.size) * span).astype(np.int64)
        return self.bounds[month_idx] + day * DAY + sec * SECOND


def uniform_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whole-second instants uniform in [lo, hi) (hi > lo assumed)."""
    t = lo + np.floor(rng.random(lo.size) * (hi - lo)).astype(np.int64)
    return floor_seconds(t)


def floor_seconds(t: np.ndarray) -> np.ndarray:
    return t - t % SECOND
