"""The shipped `salesforce` adapter: Data Loader / Data Export CSV loads as the crm contract.

The fixtures under fixtures/salesforce/ are written as Data Loader (v61+) writes an export:
API field names in the header, every value quoted, 18-character ids, UTC datetimes with
milliseconds, dates for CloseDate. They carry the awkward cases: CRLF line ends with a quoted
multi-line value and doubled quotes, non-ASCII text, a comma inside a name, empty fields, a
date re-saved by a spreadsheet in a local format, a private contact and an opportunity without
an account.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from cx_pipeline.adapters.mapping import MappingReader
from cx_pipeline.adapters.sources import vendor_adapters
from cx_pipeline.readers import ExtractError
from cx_pipeline_tests.adapters.delivery import connect, load, quarantined, shipped_reader, staged

FIXTURES = Path(__file__).parent / "fixtures" / "salesforce"
UTC = dt.UTC
ALPHA, MUELLER, GAMMA = "0015g00000AbCdEAAV", "0015g00000AbCdFAAV", "0015g00000AbCdGAAV"


@pytest.fixture(scope="module")
def salesforce(tmp_path_factory: pytest.TempPathFactory) -> MappingReader:
    """The crm reader a sources file naming the shipped adapter gives."""
    return shipped_reader(tmp_path_factory.mktemp("sources"), "crm", "salesforce")


def test_the_sources_file_names_the_shipped_adapter(salesforce: MappingReader) -> None:
    assert salesforce.name == "salesforce"
    assert salesforce.mapping.source == "crm"
    assert set(salesforce.mapping.entities) == {"accounts", "contacts", "subscriptions"}
    assert "salesforce" in vendor_adapters()


def test_accounts(tmp_path: Path, salesforce: MappingReader) -> None:
    load(tmp_path, salesforce, "accounts", FIXTURES)
    rows = staged(tmp_path, "accounts")
    bad = quarantined(tmp_path, "accounts", "account_id")
    with connect(tmp_path) as con:
        extra = con.execute(
            "SELECT _extra->>'AnnualRevenue', _extra->>'BillingCountry', _extra->>'BillingCity' "
            "FROM raw.accounts ORDER BY _row_number"
        ).fetchall()
        audit = con.execute("SELECT extra_columns, missing_optional_columns FROM audit.loads")
        (extra_columns, missing) = audit.fetchone()
    # region and arr have no standard Salesforce field: always null. Industry empty -> null.
    # The domain is Website as typed (staging's identity map reduces it to alpha.example).
    assert rows == [
        (
            ALPHA,
            "Alpha Ltd",
            "Technology",
            None,
            "US",
            40,
            None,
            dt.datetime(2025, 10, 1, 9, 30, tzinfo=UTC),
            "https://www.alpha.example",
        ),
        (
            MUELLER,
            "Müller & Söhne GmbH",
            "Retail",
            None,
            "DE",
            300,
            None,
            dt.datetime(2025, 10, 15, 12, tzinfo=UTC),
            "www.mueller-soehne.example",
        ),
        (
            "0015g00000AbCdHAAV",
            "Delta, S.A.",
            None,
            None,
            "BR",
            None,
            None,
            dt.datetime(2025, 12, 1, tzinfo=UTC),
            None,  # no Website
        ),
    ]
    # "01/11/2025 10:00" is ambiguous (January or November?): quarantined, never guessed.
    assert bad == {GAMMA: ["type:created_at"]}
    # AnnualRevenue is the account's own revenue, not ARR: kept in _extra, not mapped.
    assert extra == [
        ("5000000", "United States", "Austin"),
        (None, "Germany", "München"),
        ("80000000", "Japan", "東京"),
        (None, "Brazil", "São Paulo"),
    ]
    # The country columns are read through a translation: kept as delivered too.
    assert extra_columns == [
        "IsDeleted",
        "Type",
        "BillingCity",
        "BillingCountry",
        "BillingCountryCode",
        "AnnualRevenue",
    ]
    assert missing == ["region", "arr"]


def test_contacts(tmp_path: Path, salesforce: MappingReader) -> None:
    load(tmp_path, salesforce, "contacts", FIXTURES)
    rows = staged(tmp_path, "contacts")
    bad = quarantined(tmp_path, "contacts", "contact_id")
    with connect(tmp_path) as con:
        (description,) = con.execute(
            "SELECT _extra->>'Description' FROM raw.contacts "
            "WHERE contact_id = '0035g00000XyZaBAAR'"
        ).fetchone()
    assert rows == [
        (
            "0035g00000XyZaAAAR",
            ALPHA,
            "ann@alpha.example",
            "Ann Alpha",  # the salutation is not part of the name
            "CEO",
            dt.datetime(2025, 10, 2, 10, tzinfo=UTC),
        ),
        (
            "0035g00000XyZaBAAR",
            MUELLER,
            "jose@mueller-soehne.example",
            "José Müller",
            "Head of Customer Success",
            dt.datetime(2025, 10, 20, 14, 15, tzinfo=UTC),
        ),
        (
            "0035g00000XyZaDAAR",
            GAMMA,
            "zoe@gamma.example",
            "Zoë van der Berg",
            "Data Analyst",
            dt.datetime(2025, 12, 2, 8, tzinfo=UTC),
        ),
    ]
    # A private contact (no AccountId) cannot be placed in an account.
    assert bad == {"0035g00000XyZaCAAR": ["required:account_id"]}
    assert description == 'Met at "SaaStr" 2025\nprefers e-mail'


def test_won_opportunities_as_subscriptions(tmp_path: Path, salesforce: MappingReader) -> None:
    load(tmp_path, salesforce, "subscriptions", FIXTURES)
    rows = staged(tmp_path, "subscriptions")
    bad = quarantined(tmp_path, "subscriptions", "subscription_id")
    with connect(tmp_path) as con:
        extra = con.execute(
            "SELECT mrr, _extra->>'StageName', _extra->>'CurrencyIsoCode' "
            "FROM raw.subscriptions WHERE subscription_id = '0065g00000QrStBAAR'"
        ).fetchone()
    # mrr = Amount / 12 (Amount taken as the annual value), rounded to cents; the close date
    # is the start, at midnight UTC; no end date, plan, cancel reason or currency on an
    # opportunity.
    assert rows == [
        (
            "0065g00000QrStAAAR",
            ALPHA,
            "Alpha - Analytics (annual)",
            None,
            Decimal("400.00"),
            dt.datetime(2025, 10, 15, tzinfo=UTC),
            None,
            None,
            None,  # no currency: the reporting currency
        ),
        (
            "0065g00000QrStBAAR",
            MUELLER,
            "Müller & Söhne - Core",
            None,
            Decimal("1000.04"),  # 12000.50 / 12 = 1000.0417
            dt.datetime(2025, 11, 3, tzinfo=UTC),
            None,
            None,
            None,  # no currency: the reporting currency
        ),
        (
            "0065g00000QrStDAAR",
            GAMMA,
            "Gamma expansion",
            None,
            None,  # no Amount: no MRR, not zero
            dt.datetime(2026, 2, 1, tzinfo=UTC),
            None,
            None,
            None,  # no currency: the reporting currency
        ),
    ]
    assert bad == {"0065g00000QrStCAAR": ["required:account_id"]}
    # raw holds the monthly value as text; the unmapped columns are kept in _extra.
    assert extra == ("1000.04", "Closed Won", "EUR")


def test_an_org_without_country_picklists_reads_the_typed_country(
    tmp_path: Path, salesforce: MappingReader
) -> None:
    text = (FIXTURES / "Account.csv").read_text(encoding="utf-8")
    header, *lines = text.splitlines()
    drop = header.split(",").index('"BillingCountryCode"')
    without_codes = "\n".join(
        ",".join(cell for i, cell in enumerate(line.split(",")) if i != drop)
        for line in [header, lines[0]]
    )
    load(tmp_path, salesforce, "accounts", FIXTURES, texts={"Account.csv": without_codes + "\n"})
    with connect(tmp_path) as con:
        (country, billing_country) = con.execute(
            "SELECT country, _extra->>'BillingCountry' FROM raw.accounts"
        ).fetchone()
        (missing,) = con.execute("SELECT missing_optional_columns FROM audit.loads").fetchone()
    assert (country, billing_country) == ("US", "United States")
    assert missing == ["region", "arr"]


def test_an_old_data_loader_upper_case_header_names_the_columns(
    tmp_path: Path, salesforce: MappingReader
) -> None:
    text = (FIXTURES / "Account.csv").read_bytes().decode("utf-8")
    header, rest = text.split("\r\n", 1)
    with pytest.raises(
        ExtractError, match=r"column\(s\) Id \(mapped to account_id by salesforce\)"
    ) as raised:
        load(
            tmp_path,
            salesforce,
            "accounts",
            FIXTURES,
            texts={"Account.csv": header.upper() + "\r\n" + rest},
        )
    assert "it has: ID, ISDELETED, NAME" in str(raised.value)


def test_free_text_billing_countries_of_real_customers(
    tmp_path: Path, salesforce: MappingReader
) -> None:
    """Issue #14: real customer records (Chinook, see fixtures/salesforce/no_country_codes)
    in an org without country picklists: BillingCountry as typed, mapped to ISO codes."""
    result = load(tmp_path, salesforce, "accounts", FIXTURES / "no_country_codes")
    with connect(tmp_path) as con:
        rows = con.execute(
            "SELECT name, country, _extra->>'BillingCountry' FROM raw.accounts ORDER BY _row_number"
        ).fetchall()
        (missing,) = con.execute("SELECT missing_optional_columns FROM audit.loads").fetchone()
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 6, 0)
    assert rows == [
        ("Embraer - Empresa Brasileira de Aeronáutica S.A.", "BR", "Brazil"),
        ("JetBrains s.r.o.", "CZ", "Czech Republic"),
        ("Telus", "CA", "Canada"),
        ("Google Inc.", "US", "USA"),
        ("Leonie Köhler", "DE", "Germany"),
        ("Steve Murray", "GB", "United Kingdom"),
    ]
    assert missing == ["region", "arr"]
