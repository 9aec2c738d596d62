"""Write cx_pipeline_tests/fixtures/text/occupation_titles.csv (issue 15): real occupation titles
in five languages, each with the influence level its ISCO-08 code says, to measure
influence_level() (cx_pipeline/rules.sql) on titles nobody here wrote.

    .venv/bin/python scripts/build_title_fixture.py ESCO CHISCO CPP

ESCO     a folder with occupations_en.csv, occupations_fr.csv, occupations_es.csv of the ESCO
         classification v1.0 (European Commission; CC BY 4.0), as committed in
         https://github.com/emanuellandell/public (commit d2764d58)
CHISCO   DV_CH_ISCO_19_TYP.lsl of https://github.com/I14Y-ch/iSurvey (MIT; the Swiss Federal
         Statistical Office's CH-ISCO-19 occupation types)
CPP      src/professions.ts of https://github.com/andremfp/intrack (MIT; Statistics Portugal's
         Classificação Portuguesa das Profissões 2010, built on ISCO-08)

The level comes from the ISCO-08 code alone, never from the title's words (LEVELS below; the
mapping is stated in the fixture header). Per language the sample is stratified: every manager
occupation (ISCO major group 1) up to MANAGERS of them, and OTHERS of the rest, each drawn by a
hash of its code and title (every chief executive, senior official or legislator, ISCO 11),
so the file is the same on every run. One label per occupation: the
preferred label or one of its alternative labels, and of a "masculine/feminine" pair one form,
each chosen by hash. A title is held out when a hash of (language, title) is 0 mod 3; the rest
is the tuning part.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "cx_pipeline_tests" / "fixtures" / "text" / "occupation_titles.csv"
MANAGERS = 110
OTHERS = 190
# ISCO-08 unit groups of supervisors, and of management and organisation analysts (consultants).
SUPERVISORS = ("3121", "3122", "3123", "3341", "5151", "5222")
CONSULTANTS = ("2421",)
# Managers of the functions that buy: finance, supply and distribution (purchasing), ICT.
BUYING = ("1211", "1324", "1330")
MANAGER_BAND = "senior_manager|decision_maker|influencer"

HEADER = """\
# Real occupation titles with the influence level their ISCO-08 code gives, to measure
# influence_level() (cx_pipeline/rules.sql) on titles nobody here wrote (issue 15). Written by
# scripts/build_title_fixture.py; do not edit by hand.
# Sources (each title is quoted as published; only one form of a "masculine/feminine" pair kept):
#   en, fr, es  ESCO classification v1.0, occupations_{en,fr,es}.csv (preferred and alternative
#               labels), European Commission, https://esco.ec.europa.eu; CC BY 4.0 (Commission
#               Decision 2011/833/EU on the reuse of Commission documents); copy read from
#               https://github.com/emanuellandell/public, commit d2764d58.
#   de          CH-ISCO-19 occupation types (Berufsarten), Swiss Federal Statistical Office,
#               ISCO-08 based, as published on the I14Y interoperability platform; copy read
#               from https://github.com/I14Y-ch/iSurvey (MIT; the FSO's own terms for the
#               classification were not checked here), DV_CH_ISCO_19_TYP.lsl. These are
#               occupation-group names (often plural: "Führungskräfte im Bereich Finanzen"),
#               not titles as typed in a CRM; no openly licensed German ESCO export was found.
#   pt          Classificação Portuguesa das Profissões 2010 (CPP 2010), Statistics Portugal
#               (INE), ISCO-08 based, 4-digit group + subgroup; copy read from
#               https://github.com/andremfp/intrack (MIT; INE's own terms for the
#               classification were not checked here), src/professions.ts.
# Level from the ISCO-08 code alone (defined from the rule's documented meaning before reading
# what the rule outputs; judgements marked *):
#   11 chief executives, senior officials, legislators      -> c_level (the top of an organisation)
#   12, 13 administrative, commercial, production and specialised-services managers, who head a
#     function or unit -> one of senior_manager|decision_maker|influencer (*: ISCO does not say
#     whether the title is a head/director (senior_manager), the manager of a function that buys
#     (decision_maker) or another manager (influencer); reading a manager as c_level or as an
#     end user is wrong)
#   14 hotel, restaurant, retail and other services managers -> influencer, and 1420 retail and
#     wholesale trade managers -> end_user (* the rule calls store managers end users)
#   supervisors (3121, 3122, 3123 mining, manufacturing, construction; 3341 office; 5151
#     cleaning and housekeeping; 5222 shop) and 2421 management and organisation analysts
#     (consultants) -> influencer (* the rule's "supervisors" and "consultants")
#   every other group (professionals, technicians, clerks, service, trades, operators,
#     elementary; armed forces) -> end_user
# Sample per language: every ISCO 11 occupation, 12-14 up to 110 and 190 others, drawn by hash
# (stratified: managers are over-represented on purpose). split: held_out (a hash of language and
# title, 1 in 3; scored once, never read to change the rule) or tuning.
"""


def h(*parts: str) -> int:
    return int(hashlib.sha1("\x1f".join(parts).encode()).hexdigest(), 16)


def level(isco: str) -> str:
    if isco.startswith("11"):
        return "c_level"
    if isco.startswith(("12", "13")):
        return MANAGER_BAND
    if isco.startswith("142"):
        return "end_user"
    if isco.startswith("14"):
        return "influencer"
    if isco.startswith(SUPERVISORS + CONSULTANTS):
        return "influencer"
    return "end_user"


def one_form(label: str, key: str) -> str:
    """One form of "directeur technique/directrice technique" (a slash with words on both
    sides); "Arzt/Ärztin" style suffix pairs are kept whole."""
    forms = [f.strip() for f in label.split("/") if f.strip()]
    if len(forms) > 1 and all(len(f.split()) > 1 or len(f) > 12 for f in forms):
        return forms[h(key, "form") % len(forms)]
    return label.strip()


def esco(folder: Path, lang: str) -> list[tuple[str, str]]:
    """(ISCO unit group, title) per occupation: the preferred or one alternative label."""
    found = []
    with (folder / f"occupations_{lang}.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            labels = [r["preferredLabel"], *[a for a in r["altLabels"].split("\n") if a.strip()]]
            label = labels[h(r["conceptUri"], lang) % len(labels)]
            found.append((r["iscoGroup"], one_form(label, r["conceptUri"])))
    return found


def chisco(path: Path) -> list[tuple[str, str]]:
    """German CH-ISCO-19 occupation types, without the 'onA' (not further specified) headings."""
    root = ET.parse(path).getroot()
    codes = {r.findtext("id"): r.findtext("code") for r in root.find("labels").find("rows")}
    found = []
    for r in root.find("label_l10ns").find("rows"):
        title = r.findtext("title") or ""
        if r.findtext("language") == "de" and not title.endswith("onA"):
            found.append((codes[r.findtext("label_id")][:4], title.strip()))
    return found


def cpp(path: Path) -> list[tuple[str, str]]:
    text = path.read_text(encoding="utf-8")
    pairs = re.findall(r'code:\s*"(\d{4})\.\d+",\s*description:\s*"([^"]+)"', text)
    return [(code, re.sub(r"\s+", " ", d).strip()) for code, d in pairs]


def sample(lang: str, items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    unique = []
    for isco, title in items:
        if title and title.lower() not in seen:
            seen.add(title.lower())
            unique.append((isco, title))
    unique.sort(key=lambda it: h(lang, *it))
    top = [it for it in unique if it[0].startswith("11")]
    managers = top + [it for it in unique if it[0].startswith(("12", "13", "14"))][:MANAGERS]
    others = [it for it in unique if not it[0].startswith("1")][:OTHERS]
    return sorted(managers + others, key=lambda it: (it[0], it[1]))


def main() -> None:
    esco_dir, chisco_file, cpp_file = (Path(a) for a in sys.argv[1:4])
    sources = {
        "en": esco(esco_dir, "en"),
        "fr": esco(esco_dir, "fr"),
        "es": esco(esco_dir, "es"),
        "de": chisco(chisco_file),
        "pt": cpp(cpp_file),
    }
    with OUT.open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["split", "language", "isco", "title", "level"])
        for lang, items in sources.items():
            for isco, title in sample(lang, items):
                split = "held_out" if h(lang, title) % 3 == 0 else "tuning"
                w.writerow([split, lang, isco, title, level(isco)])
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
