"""Scale profiles: how big each generated extract is.

Only sizes live here; behavioural parameters (hazards, NPS bands, usage rates) are planted truths
and live in `simulate.py`, `surveys.py`, `events.py` and `support.py`, so every scale plants the
same truths and only the sample size changes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScaleProfile:
    """Target sizes of one scale. Counts are approximate except `accounts`."""

    name: str
    history_months: int
    accounts: int  # accounts created over the whole history, planted edge cases included
    contacts_per_account: float  # mean of 1..8
    tickets: int  # expected total; the per-account rate is calibrated to hit it
    nps_per_contact_month: float  # Poisson rate of NPS responses per contact and active month
    events_part_rows: int  # max rows per events part file; 0 writes one events.parquet per delivery


PROFILES: dict[str, ScaleProfile] = {
    "small": ScaleProfile(
        name="small",
        history_months=24,
        accounts=300,
        contacts_per_account=3.8,
        tickets=3_000,
        nps_per_contact_month=0.38,
        events_part_rows=0,
    ),
    # Five times the sample: enough answers and losses for the driver analyses and the churn
    # model to recover the planted drivers (drivers.py) in the tests, still built in seconds.
    "recovery": ScaleProfile(
        name="recovery",
        history_months=24,
        accounts=1_500,
        contacts_per_account=3.8,
        tickets=15_000,
        nps_per_contact_month=0.38,
        events_part_rows=0,
    ),
    "medium": ScaleProfile(
        name="medium",
        history_months=36,
        accounts=10_000,
        contacts_per_account=5.0,
        tickets=200_000,
        nps_per_contact_month=0.3,
        events_part_rows=1_000_000,
    ),
    "large": ScaleProfile(
        name="large",
        history_months=36,
        accounts=100_000,
        contacts_per_account=5.0,
        tickets=2_000_000,
        nps_per_contact_month=0.3,
        events_part_rows=2_000_000,
    ),
    # Twice large: how cost and memory grow past one large run (issue #17).
    "large2x": ScaleProfile(
        name="large2x",
        history_months=36,
        accounts=200_000,
        contacts_per_account=5.0,
        tickets=4_000_000,
        nps_per_contact_month=0.3,
        events_part_rows=2_000_000,
    ),
}


def profile(scale: str) -> ScaleProfile:
    """Look a profile up by name, listing the known ones when it is unknown."""
    try:
        return PROFILES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; known scales: {', '.join(PROFILES)}") from None
