"""Free-text country names as ISO 3166-1 alpha-2 codes, for the `country = "iso2"` option.

CRMs without country picklists hold whatever a person typed ("United States", "U.S.A.",
"Deutschland", "UK"). The names come from pycountry: every country's alpha-2 and alpha-3 code,
name, official name and common name, plus their translations in the languages below (pycountry
ships the iso-codes translations). ALIASES holds the few common names pycountry has in none of
those (a test keeps it that way). A name two countries share is left out, so it is never guessed.

The table is built once, in Python; the loader binds it as two lists and looks each delivered
value up in SQL after `NORMALIZE_SQL`, which must treat text exactly as `normalize` does (a
test checks every name through both).
"""

from __future__ import annotations

import functools
import gettext
import re
import unicodedata

import pycountry

# Languages whose country names (pycountry's translations) are read besides English: the common
# languages of CRM users. Names in other languages stay unmapped and are quarantined.
LANGUAGES = (
    "cs",
    "da",
    "de",
    "es",
    "fi",
    "fr",
    "it",
    "ja",
    "ko",
    "nb_NO",
    "nl",
    "pl",
    "pt",
    "pt_BR",
    "ru",
    "sv",
    "tr",
    "zh_CN",
    "zh_TW",
)

# Common names that pycountry does not know in any form, and the code each one means.
ALIASES = {
    "UK": "GB",  # the United Kingdom's own abbreviation (GB is the ISO code)
    "Great Britain": "GB",
    "Britain": "GB",
    "England": "GB",  # the UK's constituent countries: ISO codes them as GB only
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "Turkey": "TR",  # renamed Türkiye in ISO 3166 in 2022
    "Republic of Korea": "KR",
    "Macedonia": "MK",
    "Czech Rep.": "CZ",
    "UAE": "AE",
    "Ivory Coast": "CI",
    "Cape Verde": "CV",
    "East Timor": "TL",
    "Vatican": "VA",
    "Vatican City": "VA",
    "Palestine": "PS",
    "DR Congo": "CD",
    "DRC": "CD",
    "Democratic Republic of the Congo": "CD",
    "St Kitts and Nevis": "KN",
    "St Vincent and the Grenadines": "VC",
}

# The SQL twin of `normalize`, with {text} for the delivered value: accents off, lower case,
# '&' as 'and', dots, apostrophes and brackets dropped, commas, hyphens, slashes and white
# space as one space, a leading 'the ' dropped.
NORMALIZE_SQL = (
    "regexp_replace(trim(regexp_replace(regexp_replace(replace(lower(strip_accents({text})), "
    "'&', ' and '), '[.''\u2019()]', '', 'g'), '[\\s,/-]+', ' ', 'g')), '^the ', '')"
)


def normalize(text: str) -> str:
    """The form names are compared in (see NORMALIZE_SQL)."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFC", stripped).lower()
    text = re.sub(r"[.'\u2019()]", "", text.replace("&", " and "))
    text = re.sub(r"[\s,/-]+", " ", text).strip()
    return re.sub(r"^the ", "", text)


def pycountry_names() -> dict[str, set[str]]:
    """Normalized name -> the codes it names, from pycountry alone (English and LANGUAGES)."""
    names: dict[str, set[str]] = {}
    fields = ("name", "official_name", "common_name")
    catalogs = [gettext.NullTranslations()] + [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        for lang in LANGUAGES
    ]
    for country in pycountry.countries:
        texts = {country.alpha_2, country.alpha_3}
        for catalog in catalogs:
            texts.update(catalog.gettext(v) for f in fields if (v := getattr(country, f, None)))
        for text in texts:
            names.setdefault(normalize(text), set()).add(country.alpha_2)
    return names


@functools.cache
def country_table() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(normalized names, their alpha-2 codes): pycountry's unambiguous names, then ALIASES."""
    table = {name: codes.pop() for name, codes in pycountry_names().items() if len(codes) == 1}
    table.update({normalize(alias): code for alias, code in ALIASES.items()})
    return tuple(table), tuple(table.values())


def alpha_2_codes() -> tuple[str, ...]:
    """Every ISO 3166-1 alpha-2 code, the values a mapped country may have."""
    return tuple(sorted(c.alpha_2 for c in pycountry.countries))
