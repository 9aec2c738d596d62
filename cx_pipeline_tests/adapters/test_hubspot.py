"""The shipped `hubspot` adapter: CRM API v3 pages load as the crm contract, with exact values.

The fixtures under fixtures/hubspot/ are API responses as HubSpot returns them: a page of
`results` with string-valued `properties`, `paging` on all but the last page, the search
endpoint's `total`. They carry the awkward cases: nulls, a second page file, non-ASCII names,
an epoch-millisecond create date (the legacy API's format), a company without a name, a contact
and a deal without a company.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from cx_pipeline.adapters.mapping import MappingReader
from cx_pipeline.adapters.sources import vendor_adapters
from cx_pipeline_tests.adapters.delivery import (
    connect,
    deliver,
    load,
    quarantined,
    shipped_reader,
    sources_file,
    staged,
)
from cx_pipeline_tests.conftest import materialize_all, up_to
from cx_pipeline_tests.tiny_extracts import write_tiny_extracts

FIXTURES = Path(__file__).parent / "fixtures" / "hubspot"
DELIVERY = "2026-03-31"
UTC = dt.UTC


@pytest.fixture(scope="module")
def hubspot(tmp_path_factory: pytest.TempPathFactory) -> MappingReader:
    """The crm reader a sources file naming the shipped adapter gives."""
    return shipped_reader(tmp_path_factory.mktemp("sources"), "crm", "hubspot")


def test_the_sources_file_names_the_shipped_adapter(hubspot: MappingReader) -> None:
    assert hubspot.name == "hubspot"
    assert hubspot.mapping.source == "crm"
    assert set(hubspot.mapping.entities) == {"accounts", "contacts", "subscriptions"}
    assert "hubspot" in vendor_adapters()


def test_companies_from_two_api_pages(tmp_path: Path, hubspot: MappingReader) -> None:
    load(tmp_path, hubspot, "accounts", FIXTURES)
    rows = staged(tmp_path, "accounts")
    bad = quarantined(tmp_path, "accounts", "account_id")
    with connect(tmp_path) as con:
        counts = con.execute(
            "SELECT _source_file, count(*) FROM raw.accounts GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        extra = con.execute(
            "SELECT _extra->'$.properties'->>'annualrevenue', _extra->'$.properties'->>'country', "
            "_extra->>'$.createdAt' FROM raw.accounts WHERE account_id = '9001'"
        ).fetchone()
    # region and arr have no HubSpot source: always null. The country is the ISO code (else the
    # free-text country's code); the domain is the "Company Domain Name" property.
    assert rows == [
        (
            "9001",
            "Alpha Ltd",
            "COMPUTER_SOFTWARE",
            None,
            "US",
            40,
            None,
            dt.datetime(2025, 10, 1, 9, 30, tzinfo=UTC),
            "alpha.example",
        ),
        (
            "9002",
            "Müller & Söhne GmbH",
            "RETAIL",
            None,
            "DE",
            None,
            None,
            dt.datetime(2025, 10, 15, 12, tzinfo=UTC),
            "mueller-soehne.example",
        ),
        (
            "9005",
            "Delta SA",
            None,
            None,
            "BR",  # no Country/Region Code: the free-text country "Brasil"
            80,
            None,
            dt.datetime(2025, 12, 1, tzinfo=UTC),
            "delta.example",
        ),
    ]
    # An epoch-millisecond createdate is not the v3 format: quarantined, never guessed.
    assert bad == {"9003": ["type:created_at"], "9004": ["required:name"]}
    assert counts == [
        ("crm/2026-03-31/companies-2.json", 2),
        ("crm/2026-03-31/companies.json", 3),
    ]
    # annualrevenue (the company's own revenue) is not ARR: kept, not mapped.
    assert extra == ("5000000", "United States", "2025-10-01T09:30:00.000Z")


def test_contacts_belong_to_their_primary_company(tmp_path: Path, hubspot: MappingReader) -> None:
    load(tmp_path, hubspot, "contacts", FIXTURES)
    rows = staged(tmp_path, "contacts")
    bad = quarantined(tmp_path, "contacts", "contact_id")
    with connect(tmp_path) as con:
        (region_code,) = con.execute(
            "SELECT _extra->'$.properties'->>'hs_country_region_code' "
            "FROM raw.contacts WHERE contact_id = '104'"
        ).fetchone()
    assert rows == [
        (
            "101",
            "9001",
            "ann@alpha.example",
            "Ann Alpha",
            "CEO",
            dt.datetime(2025, 10, 2, 10, tzinfo=UTC),
        ),
        (
            "102",
            "9002",
            "jose@mueller-soehne.example",
            "José",  # no last name: no trailing space
            "Head of Customer Success",
            dt.datetime(2025, 10, 20, 14, 15, tzinfo=UTC),
        ),
        (
            "104",
            "9003",
            "zoe@gamma.example",
            "Zoë van der Berg",
            "Data Analyst",
            dt.datetime(2025, 12, 2, 8, tzinfo=UTC),
        ),
    ]
    # A contact with no company cannot be placed in an account: the contract requires one.
    assert bad == {"103": ["required:account_id"]}
    assert region_code == "JP"


def test_closed_won_deals_as_subscriptions(tmp_path: Path, hubspot: MappingReader) -> None:
    load(tmp_path, hubspot, "subscriptions", FIXTURES)
    rows = staged(tmp_path, "subscriptions")
    bad = quarantined(tmp_path, "subscriptions", "subscription_id")
    with connect(tmp_path) as con:
        extra = con.execute(
            "SELECT _extra->'$.properties'->>'amount', _extra->'$.properties'->>'dealstage', "
            "_extra->>'$.total' FROM raw.subscriptions WHERE subscription_id = '5002'"
        ).fetchone()
    # product is the deal name; plan, ended_at, cancel_reason and currency have no deal property.
    assert rows == [
        (
            "5001",
            "9001",
            "Alpha \u2013 Analytics (annual)",  # an en dash, as typed
            None,
            Decimal("400.00"),
            dt.datetime(2025, 10, 15, 9, tzinfo=UTC),
            None,
            None,
            None,  # no currency: the reporting currency
        ),
        (
            "5002",
            "9002",
            "Müller & Söhne \u2013 Core",
            None,
            None,  # no recurring line items: HubSpot leaves hs_mrr empty, so do we
            dt.datetime(2025, 11, 3, tzinfo=UTC),
            None,
            None,
            None,  # no currency: the reporting currency
        ),
        (
            "5004",
            "9003",
            "Gamma expansion",
            None,
            Decimal("1250.50"),
            dt.datetime(2026, 2, 1, tzinfo=UTC),
            None,
            None,
            None,  # no currency: the reporting currency
        ),
    ]
    assert bad == {"5003": ["required:account_id"]}
    # The record, not the page, is kept: the search response's `total` is not in it.
    assert extra == ("12000.50", "closedwon", None)


def test_every_delivered_record_is_kept_whole(tmp_path: Path, hubspot: MappingReader) -> None:
    load(tmp_path, hubspot, "subscriptions", FIXTURES)
    with connect(tmp_path) as con:
        (record,) = con.execute(
            "SELECT _extra FROM raw.subscriptions WHERE subscription_id = '5001'"
        ).fetchone()
    delivered = json.loads((FIXTURES / "deals.json").read_text(encoding="utf-8"))["results"][0]
    assert json.loads(record) == delivered


def test_the_pipeline_builds_the_marts_from_hubspot(
    tmp_path: Path, query: Callable[..., list[tuple]]
) -> None:
    """End to end, once: the crm source read by the adapter, the others canonical."""
    root = write_tiny_extracts(tmp_path / "extracts")
    crm = root / "crm" / DELIVERY
    for canonical in crm.iterdir():
        canonical.unlink()
    deliver(tmp_path, "crm", FIXTURES)
    sources = sources_file(tmp_path, "crm", "hubspot")
    # The fixtures quarantine rows on purpose (2 of 5 companies): let them through.
    materialize_all(
        root,
        tmp_path / "cx.duckdb",
        sources_file=str(sources),
        quarantine_block_share=1.0,
        selection=up_to("marts.account_segments"),
    )
    # Accounts, their subscriptions' start and deal names reach the marts; no region (HubSpot
    # has none). 9005 has no won deal: a prospect.
    assert query(
        "SELECT account_id, region, country, customer_since, products "
        "FROM marts.account_segments ORDER BY account_id"
    ) == [
        ("9001", None, "US", dt.date(2025, 10, 15), ["Alpha \u2013 Analytics (annual)"]),
        ("9002", None, "DE", dt.date(2025, 11, 3), ["Müller & Söhne \u2013 Core"]),
        ("9005", None, "BR", None, None),
    ]
    assert query("SELECT count(*) FROM staging.subscriptions") == [(3,)]


ASSOCIATED = FIXTURES / "associations"  # real sandbox records read with associations=companies


def test_deals_without_a_company_property_take_their_primary_company_association(
    tmp_path: Path, hubspot: MappingReader
) -> None:
    """Issue #14: a page read with `associations=companies` names the company only there."""
    result = load(tmp_path, hubspot, "subscriptions", ASSOCIATED)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 2, 0)
    assert staged(tmp_path, "subscriptions") == [
        (
            "6744192456",
            "7086461639",
            "With Atul",
            None,
            None,
            dt.datetime(2023, 2, 24, 3, 1, 1, 147000, tzinfo=UTC),
            None,
            None,
            None,  # no currency: the reporting currency
        ),
        (
            "6744457152",
            "7086464459",  # the primary (deal_to_company) one, not the unlabeled one listed first
            "Yodoo Deal (2021-11-25)",
            None,
            None,
            dt.datetime(2023, 2, 24, 3, 53, 39, 801000, tzinfo=UTC),
            None,
            None,
            None,  # no currency: the reporting currency
        ),
    ]


def test_contacts_without_a_company_property_take_their_primary_company_association(
    tmp_path: Path, hubspot: MappingReader
) -> None:
    load(tmp_path, hubspot, "contacts", ASSOCIATED)
    assert [row[:3] for row in staged(tmp_path, "contacts")] == [
        ("1", "7086461639", "emailmaria@hubspot.com")
    ]
    # No company property and no association: still not placed in any account.
    assert quarantined(tmp_path, "contacts", "contact_id") == {"51": ["required:account_id"]}


def test_free_text_countries_become_iso_codes(tmp_path: Path, hubspot: MappingReader) -> None:
    load(tmp_path, hubspot, "accounts", ASSOCIATED)
    with connect(tmp_path) as con:
        rows = con.execute(
            "SELECT account_id, country, _extra->'$.properties'->>'country' "
            "FROM raw.accounts ORDER BY account_id"
        ).fetchall()
    # No Country/Region Code in either: the typed country, as ISO 3166-1 alpha-2, and the text
    # as typed stays in _extra.
    assert rows == [("7086461639", "US", "United States"), ("7086464459", "US", "U.S.A.")]
    assert quarantined(tmp_path, "accounts", "account_id") == {}
