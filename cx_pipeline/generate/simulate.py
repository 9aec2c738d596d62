"""The monthly churn simulation, coupled with NPS responses (planted churn truth).

Month by month: accounts at risk (customers on the last day of the previous month) churn with
hazard base x 3 if they gave a detractor answer in the previous month x 2 if their usage is low
x 4 if their usage dropped in the previous month (drivers.py); then the month's NPS responses
are drawn, which set the detractor flags for the next month.
The expected churn (sum of hazards over exposures) is recorded for every complete month.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cx_pipeline.generate.accounts import Accounts
from cx_pipeline.generate.contacts import Contacts
from cx_pipeline.generate.drivers import FALLING_USAGE_MULTIPLIER, Drivers
from cx_pipeline.generate.profiles import ScaleProfile
from cx_pipeline.generate.streams import stream
from cx_pipeline.generate.surveys import DETRACTOR, ResponseBatch, draw_responses
from cx_pipeline.generate.timeline import NEVER, Timeline

BASE_HAZARD = 0.02
DETRACTOR_MULTIPLIER = 3.0  # detractor answer (0-6) in the previous calendar month
LOW_USAGE_MULTIPLIER = 2.0


@dataclass
class ChurnLedger:
    """Per complete month (first history month excluded): exposures, expected and actual losses."""

    months: dict[str, dict[str, float]] = field(default_factory=dict)
    # Realised churn split by the detractor flag, over the same months.
    by_flag: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            "detractor_previous_month": {"exposures": 0, "lost": 0},
            "no_detractor_previous_month": {"exposures": 0, "lost": 0},
        }
    )
    # Realised churn split by the falling-usage flag (usage dropped in the previous month).
    by_usage: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            "usage_fell_previous_month": {"exposures": 0, "lost": 0},
            "usage_did_not_fall": {"exposures": 0, "lost": 0},
        }
    )

    @property
    def exposures(self) -> int:
        return int(sum(m["exposures"] for m in self.months.values()))

    def add_returned(
        self,
        key: str,
        at_risk: np.ndarray,
        hazard: np.ndarray,
        churn: np.ndarray,
        fell: np.ndarray,
    ) -> None:
        """Count reactivated accounts (subscriptions.py) at risk in a complete month: never
        detractors, since they answer no survey after their first loss."""
        month = self.months[key]
        month["exposures"] += int(at_risk.sum())
        month["expected_lost"] = round(month["expected_lost"] + float(hazard[at_risk].sum()), 6)
        month["lost"] += int(churn.sum())
        cell = self.by_flag["no_detractor_previous_month"]
        cell["exposures"] += int(at_risk.sum())
        cell["lost"] += int(churn.sum())
        for flag, name in ((True, "usage_fell_previous_month"), (False, "usage_did_not_fall")):
            cell = self.by_usage[name]
            cell["exposures"] += int((at_risk & (fell == flag)).sum())
            cell["lost"] += int((churn & (fell == flag)).sum())

    def pct(self, key: str) -> float:
        total = sum(m[key] for m in self.months.values())
        return round(100 * total / self.exposures, 6) if self.exposures else 0.0


def simulate(
    profile: ScaleProfile,
    timeline: Timeline,
    accounts: Accounts,
    contacts: Contacts,
    drivers: Drivers,
    seed: int,
    on_responses: Callable[[int, ResponseBatch], None],
    progress: Callable[[str], None],
) -> ChurnLedger:
    """Fill `accounts.end` with churn instants; hand each month's responses to `on_responses`."""
    ledger = ChurnLedger()
    keys = timeline.month_keys()
    detractor = np.zeros(accounts.n, dtype=bool)
    for m in range(timeline.n_months):
        if m >= 1:
            rng = stream(seed, "churn", m)
            at_risk = (
                ~accounts.same_month_cancel & (accounts.start_month < m) & (accounts.end == NEVER)
            )
            hazard = (
                BASE_HAZARD
                * np.where(detractor, DETRACTOR_MULTIPLIER, 1.0)
                * np.where(accounts.low_usage, LOW_USAGE_MULTIPLIER, 1.0)
                * np.where(drivers.falling_usage(m), FALLING_USAGE_MULTIPLIER, 1.0)
            )
            churn = at_risk & (rng.random(accounts.n) < hazard)
            lost = np.flatnonzero(churn)
            accounts.end[lost] = timeline.random_instants(rng, np.full(lost.size, m))
            if timeline.complete[m]:
                ledger.months[keys[m]] = {
                    "exposures": int(at_risk.sum()),
                    "expected_lost": round(float(hazard[at_risk].sum()), 6),
                    "lost": int(lost.size),
                }
                for flag, name in (
                    (True, "detractor_previous_month"),
                    (False, "no_detractor_previous_month"),
                ):
                    cell = ledger.by_flag[name]
                    cell["exposures"] += int((at_risk & (detractor == flag)).sum())
                    cell["lost"] += int((churn & (detractor == flag)).sum())
                fell = drivers.falling_usage(m)
                for flag, name in (
                    (True, "usage_fell_previous_month"),
                    (False, "usage_did_not_fall"),
                ):
                    cell = ledger.by_usage[name]
                    cell["exposures"] += int((at_risk & (fell == flag)).sum())
                    cell["lost"] += int((churn & (fell == flag)).sum())
        batch = draw_responses(
            timeline, m, accounts, contacts, drivers, profile.nps_per_contact_month, seed
        )
        detractor = np.zeros(accounts.n, dtype=bool)
        detractor[batch.account[batch.band == DETRACTOR]] = True
        on_responses(m, batch)
        if (m + 1) % 6 == 0 or m + 1 == timeline.n_months:
            progress(f"simulate: month {m + 1}/{timeline.n_months}")
    return ledger
