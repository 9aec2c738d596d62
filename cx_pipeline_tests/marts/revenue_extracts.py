"""The churn extracts plus two accounts that exercise the MRR movements (as of 2026-03-31, UTC).

On top of `churn_extracts`:
  A9  Iota AB (EMEA, Software): S12 800 from 2025-11-03, ended 2025-12-15; after a gap through
      January, back with S13 600 from 2026-02-10: new in Nov-25, churned in Dec-25, nothing in
      Jan-26, a reactivation in Feb-26.
  A10 Kappa Pty (APAC, Education): S14 3000 from 2025-12-10, replaced on 2026-01-15 at 12:00 by
      S15 2000 at the same instant: a same-day plan change in mid-January, which is a
      contraction of 1000 and neither churn nor new.

With the currency column (`write_revenue_extracts(..., currencies=True)`), A10 pays in euros:
S14 in EUR, S15 in 'eur' (codes are upper-cased); everyone else leaves it empty (the reporting
currency, USD). `EXCHANGE_RATES` holds EUR to USD 1.10 from 2025-01-01 and 1.20 from
2026-01-01, and a EUR to GBP rate the USD report must ignore, so S14 converts at 1.10 (3300
USD) and S15 at 1.20 (2400 USD).
"""

from __future__ import annotations

from pathlib import Path

from cx_pipeline_tests.marts.churn_extracts import (
    EXTRA_ACCOUNTS,
    EXTRA_CONTACTS,
    EXTRA_SUBSCRIPTIONS,
    write_churn_extracts,
)
from cx_pipeline_tests.tiny_extracts import DELIVERY, SUBSCRIPTIONS

REVENUE_ACCOUNTS = """\
A9,Iota AB,Software,EMEA,SE,35,7200,2025-11-01T00:00:00Z
A10,Kappa Pty,Education,APAC,AU,500,24000,2025-12-01T00:00:00Z
"""

REVENUE_CONTACTS = """\
C9,A9,ivy@iota.example,Ivy Iota,CFO,2025-11-01T00:00:00Z
C10,A10,kai@kappa.example,Kai Kappa,IT Manager,2025-12-01T00:00:00Z
"""

REVENUE_SUBSCRIPTIONS = """\
S12,A9,Core,Starter,800,2025-11-03T09:00:00Z,2025-12-15T09:00:00Z,budget
S13,A9,Core,Starter,600,2026-02-10T09:00:00Z,,
S14,A10,Core,Pro,3000,2025-12-10T09:00:00Z,2026-01-15T12:00:00Z,plan change
S15,A10,Core,Starter,2000,2026-01-15T12:00:00Z,,
"""

CURRENCIES = {"S14": "EUR", "S15": "eur"}

EXCHANGE_RATES = """currency,to_currency,rate_date,rate,source
EUR,USD,2025-01-01,1.10,test fixture
EUR,USD,2026-01-01,1.20,test fixture
EUR,GBP,2025-01-01,0.85,test fixture
"""


def _with_currency(csv: str, currencies: dict[str, str]) -> str:
    """The subscriptions CSV with a currency column: the code given per subscription, else
    empty."""
    lines = csv.strip("\n").split("\n")
    rows = [lines[0] + ",currency"]
    rows += [line + "," + currencies.get(line.split(",")[0], "") for line in lines[1:]]
    return "\n".join(rows) + "\n"


def write_revenue_extracts(
    root: Path, currencies: dict[str, str] | None = None, extra_subscriptions: str = ""
) -> Path:
    """Write the churn extracts with A9 and A10 added under `root` and return `root`; with
    `currencies` (subscription id -> code) the subscriptions carry a currency column."""
    write_churn_extracts(root)
    crm = root / "crm" / DELIVERY
    with (crm / "accounts.csv").open("a") as f:
        f.write(REVENUE_ACCOUNTS)
    with (crm / "contacts.csv").open("a") as f:
        f.write(REVENUE_CONTACTS)
    churn_subscriptions = SUBSCRIPTIONS + EXTRA_SUBSCRIPTIONS
    assert (crm / "subscriptions.csv").read_text() == churn_subscriptions
    subscriptions = churn_subscriptions + REVENUE_SUBSCRIPTIONS + extra_subscriptions
    assert (crm / "accounts.csv").read_text().endswith(EXTRA_ACCOUNTS + REVENUE_ACCOUNTS)
    assert (crm / "contacts.csv").read_text().endswith(EXTRA_CONTACTS + REVENUE_CONTACTS)
    if currencies is not None:
        subscriptions = _with_currency(subscriptions, currencies)
    (crm / "subscriptions.csv").write_text(subscriptions)
    return root


def write_exchange_rates(reference_root: Path, rates: str = EXCHANGE_RATES) -> Path:
    """A reference folder holding only exchange_rates.csv (all the revenue marts read)."""
    reference_root.mkdir(parents=True, exist_ok=True)
    (reference_root / "exchange_rates.csv").write_text(rates)
    return reference_root
