"""The country name table behind `country = "iso2"`: what it is built from, that SQL compares
names exactly as Python built them, and how it does on real country names it was not written
against."""

from __future__ import annotations

import gettext
import tomllib
from pathlib import Path

import duckdb
import pycountry

from cx_pipeline.adapters.countries import (
    ALIASES,
    LANGUAGES,
    NORMALIZE_SQL,
    country_table,
    normalize,
    pycountry_names,
)
from cx_pipeline.adapters.mapping import MappingReader, parse_mapping
from cx_pipeline_tests.adapters import delivery

# Every distinct Customer.Country of the Chinook sample database (lerocha/chinook-database,
# ChinookDatabase/DataSources/Chinook_Sqlite.sql, MIT licence), as delivered there. Held out:
# read only after the table, its languages and its aliases were written; all mapped at once.
CHINOOK = {
    "Argentina": "AR",
    "Australia": "AU",
    "Austria": "AT",
    "Belgium": "BE",
    "Brazil": "BR",
    "Canada": "CA",
    "Chile": "CL",
    "Czech Republic": "CZ",
    "Denmark": "DK",
    "Finland": "FI",
    "France": "FR",
    "Germany": "DE",
    "Hungary": "HU",
    "India": "IN",
    "Ireland": "IE",
    "Italy": "IT",
    "Netherlands": "NL",
    "Norway": "NO",
    "Poland": "PL",
    "Portugal": "PT",
    "Spain": "ES",
    "Sweden": "SE",
    "USA": "US",
    "United Kingdom": "GB",
}

ACCOUNTS = """
source = "crm"
[entities.accounts]
format = "csv"
files = ["accounts.csv"]
[entities.accounts.columns]
account_id = "Id"
name = "Name"
created_at = { value = "2026-01-01T00:00:00Z" }
country = { field = "Country", country = "iso2" }
"""


def test_sql_compares_names_exactly_as_the_table_was_built() -> None:
    """The table is keyed by Python's `normalize`; the loader normalizes delivered text in SQL.
    Every name the table holds, in its delivered form, must come out the same both ways."""
    originals = list(ALIASES)
    for lang in (None, *LANGUAGES):
        catalog = (
            gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
            if lang
            else gettext.NullTranslations()
        )
        for country in pycountry.countries:
            for field in ("name", "official_name", "common_name"):
                if value := getattr(country, field, None):
                    originals.append(catalog.gettext(value))
    sql = NORMALIZE_SQL.format(text="t.name")
    with duckdb.connect() as con:
        in_sql = con.execute(
            f"SELECT t.name, {sql} FROM (SELECT unnest($names) AS name) AS t",
            {"names": originals},
        ).fetchall()
    differing = [(name, got) for name, got in in_sql if got != normalize(name)]
    assert differing == []
    assert len(originals) > 5000


def test_aliases_are_only_names_pycountry_does_not_have() -> None:
    known = pycountry_names()
    assert [alias for alias in ALIASES if normalize(alias) in known] == []


def test_a_name_of_two_countries_is_left_out() -> None:
    names, codes = country_table()
    table = dict(zip(names, codes, strict=True))
    ambiguous = [name for name, found in pycountry_names().items() if len(found) > 1]
    # One of pycountry's Portuguese translations gives Afghanistan's official name to Pakistan.
    assert "republica islamica do paquistao" in ambiguous
    assert not set(ambiguous) & set(table)
    assert table["deutschland"] == "DE" and table["usa"] == "US" and table["uk"] == "GB"


def test_held_out_real_country_names_through_the_loader(tmp_path: Path) -> None:
    reader = MappingReader(parse_mapping(tomllib.loads(ACCOUNTS), "accounts.toml"))
    csv = "Id,Name,Country\n" + "".join(f'A{i},N{i},"{c}"\n' for i, c in enumerate(CHINOOK))
    result = delivery.load(tmp_path, reader, "accounts", texts={"accounts.csv": csv})
    rows = delivery.query(tmp_path, "SELECT country FROM raw.accounts ORDER BY _row_number")
    assert [code for (code,) in rows] == list(CHINOOK.values())
    assert result.rows_quarantined == 0
