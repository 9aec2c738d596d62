"""mask_contact_details() (rules.sql) on phone numbers in five countries' formats and on what
only looks like one. The numbers are from the ranges set aside for drama and examples (Ofcom's
020 7946 0xxx and 07700 900xxx, the US 555 exchange) or in the layout each national plan
publishes; the look-alikes are the kinds issue 15 found masked in real support messages (26 of
41 masks there were not phone numbers): IP addresses, versions, order numbers, year ranges."""

from __future__ import annotations

import duckdb
import pytest

from cx_pipeline.resources import install_rules

PHONES = [
    # United States
    ("Call me at (415) 555-0142", "Call me at [phone]"),
    ("US: 415-555-0142 any time", "US: [phone] any time"),
    ("+1 415 555 0142", "[phone]"),
    ("reach me on 415.555.0142", "reach me on [phone]"),
    ("+14155550142", "[phone]"),
    # United Kingdom
    ("UK office +44 20 7946 0958", "UK office [phone]"),
    ("ring 020 7946 0958", "ring [phone]"),
    ("mobile 07700 900123", "mobile [phone]"),
    # Germany
    ("Tel. +49 30 12345678", "Tel. [phone]"),
    ("Tel: 030 12345678", "Tel: [phone]"),
    ("Handy 0151 23456789", "Handy [phone]"),
    ("+49 (0)30 1234567", "[phone]"),
    # France
    ("Appelez le +33 1 23 45 67 89", "Appelez le [phone]"),
    ("tél 01 23 45 67 89", "tél [phone]"),
    ("portable 06.12.34.56.78", "portable [phone]"),
    # Spain and Brazil
    ("Llámame al +34 912 345 678", "Llámame al [phone]"),
    ("teléfono 912 34 56 78", "teléfono [phone]"),
    ("WhatsApp +55 11 91234-5678", "WhatsApp [phone]"),
    ("cel (11) 91234-5678", "cel [phone]"),
    # With an e-mail and a look-alike in the same text.
    (
        "mail jo@example.com or +44 20 7946 0958, order #123456789 from 10.0.0.1",
        "mail [email] or [phone], order #123456789 from 10.0.0.1",
    ),
]

LOOK_ALIKES = [
    "Server 192.168.1.254 is down again",
    "ping 10.0.0.1 fails",
    "Since version 2.14.3.1 the app crashes",
    "app v10.2.1.1234 on Android",
    "Order #123456789 never arrived",
    "order 1234-5678-9012 missing",
    "Invoice no. 2024-000123 is wrong",
    "we were customers 2019-2023",
    "between 2019 - 2023 it worked",
    "on 2024-03-15 the sync failed",
    "on 15.03.2024 it broke",
    "since 03/15/2024",
    "ticket 12345678 is still open",
    "build 20240315.1 is slow",
    "Paid 1,234,567.89 EUR",
    "at 10:30-11:45",
    "customer ID 1234567890",
    "Our account 98765432",
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    install_rules(con)
    return con


@pytest.mark.parametrize(("text", "masked"), PHONES)
def test_phone_numbers_are_masked(con: duckdb.DuckDBPyConnection, text: str, masked: str) -> None:
    assert con.execute("SELECT mask_contact_details($t)", {"t": text}).fetchone()[0] == masked


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_are_kept(con: duckdb.DuckDBPyConnection, text: str) -> None:
    assert con.execute("SELECT mask_contact_details($t)", {"t": text}).fetchone()[0] == text


def test_null_and_empty(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute(
        "SELECT mask_contact_details(NULL), mask_contact_details('')"
    ).fetchone() == (
        None,
        "",
    )
