"""Phone, IBAN and card numbers in free text, told from what only looks like them by checks the
numbers themselves carry, not by the shape of a run of digits.

- Phone numbers: Google's libphonenumber (the `phonenumbers` port, Apache-2.0) finds numbers
  that are valid in a numbering plan and grouped as that country writes them
  (Leniency.STRICT_GROUPING; only valid, Leniency.VALID, right after a word such as "Tel",
  "phone" or "Handy"). A number with '+' or '00' is read in its own country; a national
  number ("020 7946 0958") needs a region to be read in, so each text is read in every region of
  the CX_PHONE_REGIONS setting (default: the countries the reporting data comes from most). An
  IP address, a version, an order number or a year range is rarely a valid, well-grouped number
  anywhere; the few that are (a bare 10-digit run is a valid Brazilian landline) are kept when a
  reference word ("order", "ticket", "ID", "#"...) comes just before them, when they are joined
  to a word ("INV-2024-000123") or when they are part of a dotted quad (an IPv4 address).
- IBANs (ISO 13616): two letters, two check digits and 11-30 letters or digits, printed in
  groups of four or not, whose mod-97 check is 1.
- Card numbers and IBANs are never taken from inside a link, whose ids and timestamps pass
  those checks by chance.
- Card numbers: 13-19 digits, written as one block or in the groups cards print (4-4-4-4...,
  Amex's 4-6-5), starting 2-6 (the payment-card issuer ranges), whose Luhn check holds.

mask() is a DuckDB function (register()) that rules.sql's mask_contact_details() calls only for
texts with 7 or more digits close together (a plain SQL test), so the many texts without a long
number never reach Python. phonenumbers is imported on first use.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import duckdb

from cx_pipeline import settings
from cx_pipeline.sql import create_function_once

FUNCTION = "mask_personal_numbers"
PHONE, IBAN, CARD = "[phone]", "[iban]", "[card]"
# The regions a national number is read in when CX_PHONE_REGIONS is not set.
DEFAULT_REGIONS = tuple(settings.PHONE_REGIONS.default.split(","))

# A reference word (with an optional "no." / "#" after it), or a lone '#', just before a number
# says what the number is: "order 4155550142", "ticket no. 0201234567", "#11912345678".
_REFERENCE = re.compile(
    r"(?:\b(?:order|invoice|ticket|case|ref|reference|id|version|build|release|account|customer"
    r"|client|contract|tracking|serial|sku|po|transaction|confirmation|booking|reservation"
    r"|shipment|parcel|error|code|bestellung|rechnung|kunde|kundennummer|auftrag|commande"
    r"|facture|pedido|factura|fatura|protocolo|cpf|cnpj)\b\.?"
    r"(?:\s*(?:(?:no|nr|num|number|nummer|número|numero|id)\b\.?|n[°º]))?[\s:#-]*|#\s*)$",
    re.IGNORECASE,
)
# A word that says a phone number follows, up to PHONE_WORD_REACH characters before it: there
# the number only needs to be valid (Leniency.VALID), not also grouped as its country prints it
# ("Tel.: 030-123456-0", a German extension; "Tel: 0301234 56").
_PHONE_WORD = re.compile(
    r"\b(?:tel|tél|telf|phone|telephone|téléphone|telefon|telefone|teléfono|telefono|fax|mobile"
    r"|mob|cell|cellphone|cel|celular|handy|portable|móvil|movil|whatsapp|call|ring|ruf|anrufen"
    r"|appelez|llámame|llamar|ligue|contato|contacto|number|nummer|numéro|número|numero)",
    re.IGNORECASE,
)
PHONE_WORD_REACH = 30
# A number joined to a word by '-', '_' or '/' is part of a code: INV-2024-000123, SKU_0612345678.
_CODE_PREFIX = re.compile(r"[^\W\d]\w*[-_/]$")
# The SQL prefilter of rules.sql (may_hold_personal_number()), as a Python pattern.
_LONG_RUN = re.compile(r"[0-9](?:[^0-9A-Za-z]{0,3}[0-9]){6,}")
_IPV4 = re.compile(r"(?<![0-9.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?::[0-9]+)?(?![0-9.]*[0-9])")
# Links carry long ids and timestamps (web.archive.org/web/20200401204021/...) that pass a Luhn
# or mod-97 check by chance; a card number or IBAN is not written inside one.
_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+", re.IGNORECASE)
_IBAN = re.compile(r"\b[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,34}")
_CARD = re.compile(r"(?<![\w+])[2-6][0-9]{3}(?:[ -]?[0-9]){9,15}")
_CARD_GROUPS = re.compile(
    r"[0-9]{4}([ -])[0-9]{6}\1[0-9]{4,5}|[0-9]{4}(?:([ -])[0-9]{4}){2,3}(?:\2[0-9]{1,4})?"
)


def _iban_valid(candidate: str) -> bool:
    """ISO 13616: 15-34 characters, country letters, and the mod-97 of the rearranged number
    (first four characters moved to the end, letters as 10-35) is 1."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha():
        return False
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def _luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card_valid(candidate: str) -> bool:
    """13-19 digits, one block or the groups cards print, Luhn check holds."""
    digits = re.sub(r"[^0-9]", "", candidate)
    if not 13 <= len(digits) <= 19 or not _luhn_valid(digits):
        return False
    return candidate.isdigit() or _CARD_GROUPS.fullmatch(candidate) is not None


def _longest_valid(
    pattern: re.Pattern[str], text: str, valid: Callable[[str], bool]
) -> Iterable[tuple[int, int]]:
    """Spans of `pattern` matches outside links, each cut back at a space or dash to the longest
    part that `valid` accepts (a greedy match may run into the word or number after it)."""
    links = [m.span() for m in _URL.finditer(text)]
    for match in pattern.finditer(text):
        if any(s < match.end() and match.start() < e for s, e in links):
            continue
        candidate = match.group()
        ends = [len(candidate)] + [
            i for i in range(len(candidate) - 1, 0, -1) if candidate[i] in " -"
        ]
        for end in ends:
            part = candidate[:end]
            if end < len(candidate) and candidate[end - 1] in " -":
                continue
            if valid(part):
                yield match.start(), match.start() + end
                break


@functools.cache
def _phonenumbers() -> Any:
    import phonenumbers

    return phonenumbers


def _windows(text: str) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Parts of `text` around each run of 7+ digits close together, widened to whole words
    (a phone number is read with the '+', '(' or word before it), overlapping ones merged, each
    with its runs: the matcher reads only these, not every short number in a long text."""
    windows: list[tuple[int, int, list[tuple[int, int]]]] = []
    for run in _LONG_RUN.finditer(text):
        start = text.rfind(" ", 0, max(0, run.start() - 8)) + 1
        end = text.find(" ", min(len(text), run.end() + 8))
        end = len(text) if end < 0 else end
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], end), [*windows[-1][2], run.span()])
        else:
            windows.append((start, end, [run.span()]))
    return windows


def phone_spans(text: str, regions: tuple[str, ...] = DEFAULT_REGIONS) -> list[tuple[int, int]]:
    """(start, end) of each phone number in `text`, read in each of `regions` in turn until
    every long run of digits is part of one."""
    pn = _phonenumbers()
    checked(regions)
    ips = [m.span() for m in _IPV4.finditer(text)]
    spans = set()
    for offset, window_end, runs in _windows(text):
        window = text[offset:window_end]
        said = _PHONE_WORD.search(text, max(0, runs[0][0] - PHONE_WORD_REACH), runs[0][0])
        leniency = pn.Leniency.VALID if said else pn.Leniency.STRICT_GROUPING
        for region in regions:
            for match in pn.PhoneNumberMatcher(window, region, leniency=leniency):
                start, end = offset + match.start, offset + match.end
                if _REFERENCE.search(text, 0, start) or _CODE_PREFIX.search(text, 0, start):
                    continue
                if any(s < end and start < e for s, e in ips):
                    continue
                spans.add((start, end))
            if all(any(s <= lo and hi <= e for s, e in spans) for lo, hi in runs):
                break
    return sorted(spans)


def _replace(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """`text` with each span replaced by its placeholder; overlapping spans are merged."""
    merged: list[list[Any]] = []
    for start, end, placeholder in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            continue
        merged.append([start, end, placeholder])
    out, last = [], 0
    for start, end, placeholder in merged:
        out += [text[last:start], placeholder]
        last = end
    out.append(text[last:])
    return "".join(out)


def mask(text: str, regions: tuple[str, ...] = DEFAULT_REGIONS) -> str:
    """`text` with card numbers, IBANs and phone numbers replaced by [card], [iban], [phone]."""
    found = [(s, e, CARD) for s, e in _longest_valid(_CARD, text, _card_valid)]
    found += [(s, e, IBAN) for s, e in _longest_valid(_IBAN, text, _iban_valid)]
    if found:
        text, found = _replace(text, found), []
    return _replace(text, [(s, e, PHONE) for s, e in phone_spans(text, regions)])


@functools.cache
def checked(regions: tuple[str, ...]) -> tuple[str, ...]:
    """`regions` when libphonenumber has a numbering plan for each; else a ValueError naming
    the others (a code it lacks would silently mask no national number)."""
    unknown = [r for r in regions if r not in _phonenumbers().SUPPORTED_REGIONS]
    if unknown:
        raise ValueError(
            f"{settings.PHONE_REGIONS.env}: libphonenumber has no numbering plan for "
            f"{', '.join(unknown)}"
        )
    return regions


def register(
    con: duckdb.DuckDBPyConnection, regions: tuple[str, ...] | str = DEFAULT_REGIONS
) -> None:
    """mask_personal_numbers(text) on this connection (before rules.sql, whose
    mask_contact_details() calls it), reading national numbers in `regions` (a tuple or the
    setting's comma-separated text); a connection keeps its first registration."""
    if isinstance(regions, str):
        regions = tuple(settings.PHONE_REGIONS.parse(regions))  # type: ignore[arg-type]

    def mask_column(texts: Any) -> Any:
        import pyarrow as pa

        return pa.array(
            [None if t is None else mask(t, regions) for t in texts.to_pylist()], pa.string()
        )

    create_function_once(
        con, FUNCTION, mask_column, [duckdb.sqltypes.VARCHAR], duckdb.sqltypes.VARCHAR
    )


def fingerprint(regions: str) -> str:
    """What decides how a text is masked: this module, the phonenumbers release and the regions
    national numbers are read in (the serving file copies again what another rule would mask
    otherwise)."""
    from importlib.metadata import version

    parts = (Path(__file__).read_text(), version("phonenumbers"), regions)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
