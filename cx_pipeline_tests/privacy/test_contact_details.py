"""IBANs and card numbers in free text, the regions national phone numbers are read in, and the
function's registration (privacy/contact_details.py, called by rules.sql's mask_contact_details).

IBANs: the examples of SWIFT's IBAN Registry (release 2024), checked by hand for one below. Card
numbers: the test numbers payment processors publish for developers (Stripe's "Testing" page:
4242 4242 4242 4242 Visa, 5555 5555 5555 4444 Mastercard, 3782 822463 10005 American Express,
6011 1111 1111 1117 Discover), none a real card."""

from __future__ import annotations

import duckdb
import pytest

from cx_pipeline import settings
from cx_pipeline.privacy import contact_details
from cx_pipeline.resources import install_rules

# GB82 WEST 1234 5698 7654 32 by hand (ISO 13616 / ISO 7064 mod 97-10): move GB82 to the end,
# letters to numbers (A=10 ... Z=35: W=32 E=14 S=28 T=29 G=16 B=11):
# 3214282912345698765432161182; piecewise mod 97: 321428291 -> 70; 702345698 -> 29;
# 297654321 -> 24; 2461182 -> 1. The remainder is 1: a valid IBAN. GB83 leaves 2: not one.
IBANS = [
    ("IBAN GB82 WEST 1234 5698 7654 32, thanks", "IBAN [iban], thanks"),
    ("DE89 3704 0044 0532 0130 00", "[iban]"),
    ("to DE89370400440532013000.", "to [iban]."),
    ("iban: de89 3704 0044 0532 0130 00", "iban: [iban]"),
    ("FR14 2004 1010 0505 0001 3M02 606 (BIC BNPAFRPP)", "[iban] (BIC BNPAFRPP)"),
    ("ES91 2100 0418 4502 0005 1332", "[iban]"),
    ("BR1800360305000010009795493C1", "[iban]"),
    # The greedy match runs into the next word in capitals; cut back to the valid part.
    ("DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX", "[iban] BIC COBADEFFXXX"),
]
# 4242 4242 4242 4242 by hand (Luhn): from the right, every second digit doubled: the eight 4s
# in odd places from the left become 8s: 8 x 8 + 8 x 2 = 80, a multiple of 10: valid.
# 4242 4242 4242 4241 sums to 79: not a card number.
CARDS = [
    ("card 4242 4242 4242 4242 exp 12/26", "card [card] exp 12/26"),
    ("4242424242424242", "[card]"),
    ("MC 5555-5555-5555-4444.", "MC [card]."),
    ("Amex 3782 822463 10005", "Amex [card]"),
    ("6011 1111 1111 1117 and 4242 4242 4242 4242", "[card] and [card]"),
    # The greedy match runs into the expiry date; cut back to the valid part.
    ("4242 4242 4242 4242 12 26", "[card] 12 26"),
]
KEPT = [
    "GB83 WEST 1234 5698 7654 32",  # check digits wrong
    "DE88 3704 0044 0532 0130 00",
    "4242 4242 4242 4241",  # Luhn fails
    "1234 5678 9012 3456",  # starts 1: no card issuer
    "42 42 42 42 42 42 42 42",  # Luhn holds, but no card is grouped in pairs
    "https://web.archive.org/web/4242424242424242/x",  # inside a link
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    install_rules(con)
    return con


def _mask(con: duckdb.DuckDBPyConnection, text: str | None) -> str | None:
    return con.execute("SELECT mask_contact_details($t)", {"t": text}).fetchone()[0]


@pytest.mark.parametrize(("text", "masked"), IBANS + CARDS)
def test_ibans_and_card_numbers_are_masked(
    con: duckdb.DuckDBPyConnection, text: str, masked: str
) -> None:
    assert _mask(con, text) == masked


@pytest.mark.parametrize("text", KEPT)
def test_numbers_failing_their_check_are_kept(con: duckdb.DuckDBPyConnection, text: str) -> None:
    assert _mask(con, text) == text


def test_all_kinds_in_one_text(con: duckdb.DuckDBPyConnection) -> None:
    text = (
        "Jo (jo.smith@example.com, +44 20 7946 0958) paid with 4242 4242 4242 4242 from "
        "GB82 WEST 1234 5698 7654 32 for order #123456789 on 2024-03-15 from 10.0.0.1"
    )
    assert _mask(con, text) == (
        "Jo ([email], [phone]) paid with [card] from [iban] for order #123456789 on 2024-03-15 "
        "from 10.0.0.1"
    )


def test_null_and_short_texts_never_reach_python(con: duckdb.DuckDBPyConnection) -> None:
    assert _mask(con, None) is None
    assert _mask(con, "3 tickets in 2 days") == "3 tickets in 2 days"


def test_national_numbers_are_read_in_the_configured_regions() -> None:
    """An Italian number without '+' (a Florence landline's layout) is a phone only when IT is
    among the regions; with '+39' (libphonenumber's IT mobile example) whatever the regions."""
    text = "chiamami al 055 123 4567 o al +39 312 345 6789"
    default, italian = duckdb.connect(), duckdb.connect()
    install_rules(default)
    install_rules(italian, "IT,GB")
    assert _mask(default, text) == "chiamami al 055 123 4567 o al [phone]"
    assert _mask(italian, text) == "chiamami al [phone] o al [phone]"


def test_the_regions_setting() -> None:
    assert settings.PHONE_REGIONS.parse(" us, gb ,DE") == ["US", "GB", "DE"]
    assert contact_details.DEFAULT_REGIONS == ("US", "GB", "DE", "FR", "ES", "BR")
    for bad in ("", "USA", "U1"):
        with pytest.raises(ValueError, match="two-letter"):
            settings.PHONE_REGIONS.parse(bad)
    # A well-formed code without a numbering plan is refused where numbers are first read.
    with pytest.raises(ValueError, match="no numbering plan for XX"):
        contact_details.mask("call 020 7946 0958", ("GB", "XX"))


def test_registering_twice_keeps_the_first() -> None:
    con = duckdb.connect()
    install_rules(con, "GB")
    contact_details.register(con, "IT")
    assert _mask(con, "055 123 4567") == "055 123 4567"
