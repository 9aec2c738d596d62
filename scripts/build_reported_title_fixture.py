"""Write cx_pipeline_tests/fixtures/text/reported_titles.csv (issue 15): job titles as US workers
report their own job on O*NET's surveys, each with the influence level its O*NET-SOC occupation
gives, to measure influence_level() (cx_pipeline/rules.sql) on titles as people write them.

    .venv/bin/python scripts/build_reported_title_fixture.py "Sample of Reported Titles.txt"

The file is "Sample of Reported Titles.txt" of the O*NET 29.3 Database (May 2025), U.S. Department
of Labor, Employment and Training Administration (USDOL/ETA), CC BY 4.0
(https://www.onetcenter.org/license_db.html), as committed in
https://github.com/eugene-maina72/Phase_5_Capstone_Project-SmartPath (data/, commit e7515a8d).

The level comes from the occupation code alone, never from the title's words (level() below;
the mapping is stated in the fixture header and was fixed before the rule's output was read).
A title published with its other form in brackets ("Sales Vice President (Sales VP)") keeps one
of the two, chosen by hash. A title reported under occupations of different levels is left out
(the source gives it no single level). The sample holds every title of the management group
(SOC 11) and of the groups the mapping names (supervisors, buyers, consultants, project
managers, systems architects), and OTHERS of the rest, drawn by hash, so the file is the same on
every run. A title is held out when a hash of it is 0 mod 3; the rest is the tuning part.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "cx_pipeline_tests" / "fixtures" / "text" / "reported_titles.csv"
OTHERS = 350
MANAGER_BAND = "senior_manager|decision_maker|influencer"
# O*NET occupations filed under SOC's management group whose own title names specialists or
# coordinators, not managers: the source gives them no level, so they are left out.
NOT_MANAGERS = ("11-9121.01", "11-9121.02", "11-9179.01", "11-9199.11")

HEADER = """\
# Job titles as US workers report their own job, each with the influence level its O*NET-SOC
# occupation gives, to measure influence_level() (cx_pipeline/rules.sql) on titles as people
# write them (issue 15). Written by scripts/build_reported_title_fixture.py; do not edit by hand.
# Source: O*NET 29.3 Database (May 2025), "Sample of Reported Titles" (titles submitted by
#   incumbents and occupational experts on O*NET data-collection surveys, with the occupation
#   they were collected for), U.S. Department of Labor, Employment and Training Administration
#   (USDOL/ETA); CC BY 4.0, https://www.onetcenter.org/license_db.html. Copy read from
#   https://github.com/eugene-maina72/Phase_5_Capstone_Project-SmartPath, data/, commit e7515a8d.
#   Changes: of a title published with its other form in brackets ("Sales Vice President (Sales
#   VP)") one form is kept, chosen by hash; titles reported under occupations of different
#   levels are left out; a sample, below.
# Level from the O*NET-SOC code alone (fixed from the rule's documented meaning before reading
# what the rule outputs; judgements marked *):
#   11-1011.00 chief executives -> c_level|senior_manager (* SOC's chief executives include the
#     executive vice presidents under the chief: both are top executives)
#   11-1011.03 chief sustainability officers -> c_level|senior_manager|decision_maker|influencer
#     (* O*NET files sustainability managers and directors under the chief officer)
#   every other management occupation (SOC 11) -> senior_manager|decision_maker|influencer (*:
#     SOC does not say whether the title is a head/director, the manager of a function that buys
#     or another manager; reading a manager as c_level or as an end user is wrong); O*NET's
#     specialists and coordinators filed under SOC 11 (11-9121.01, 11-9121.02, 11-9179.01,
#     11-9199.11) are left out
#   first-line supervisors (SOC 33-53, minor group x-1000, chefs and head cooks included) ->
#     influencer (the rule's supervisors, foremen, leads), and 41-1011 supervisors of retail
#     sales workers -> end_user|influencer (* the rule calls a store manager an end user and a
#     supervisor an influencer; SOC puts both in 41-1011)
#   13-1021, 13-1022, 13-1023 buyers and purchasing agents -> decision_maker (the rule's buyers)
#   13-1111 management analysts (consultants), 15-1299.09 IT project managers -> influencer
#   15-1299.08 computer systems engineers/architects -> end_user|influencer (* the rule's
#     architects are influencers, its engineers end users; O*NET keeps them in one occupation)
#   every other occupation (professionals, technicians, clerks, service, sales, trades,
#     operators, military) -> end_user
# Sample: every title of the occupations named above and 350 others, drawn by hash. split:
# held_out (a hash of the title, 1 in 3; scored once, never read to change the rule) or tuning.
"""


def h(*parts: str) -> int:
    return int(hashlib.sha1("\x1f".join(parts).encode()).hexdigest(), 16)


def level(code: str) -> str:
    """The influence level an O*NET-SOC code gives (HEADER states the mapping)."""
    major, minor = code[:2], code[3:4]
    if code.startswith("11-1011.00"):
        return "c_level|senior_manager"
    if code.startswith("11-1011.03"):
        return "c_level|" + MANAGER_BAND
    if major == "11":
        return MANAGER_BAND
    if code.startswith("41-1011"):
        return "end_user|influencer"
    if int(major) >= 33 and minor == "1":
        return "influencer"
    if code.startswith(("13-1021", "13-1022", "13-1023")):
        return "decision_maker"
    if code.startswith(("13-1111", "15-1299.09")):
        return "influencer"
    if code.startswith("15-1299.08"):
        return "end_user|influencer"
    return "end_user"


def one_form(title: str) -> str:
    """ "Sales Vice President (Sales VP)" -> one of the two forms, by hash."""
    m = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", title.strip())
    if not m:
        return title.strip()
    return m.group(h(title, "form") % 2 + 1).strip()


def main() -> None:
    rows = []
    with Path(sys.argv[1]).open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            code = r["O*NET-SOC Code"]
            if code in NOT_MANAGERS:
                continue
            rows.append((code, one_form(r["Reported Job Title"])))
    levels: dict[str, set[str]] = {}
    codes: dict[str, str] = {}
    for code, title in rows:
        levels.setdefault(title.lower(), set()).add(level(code))
        codes.setdefault(title.lower(), code)
    unique = {t: code for t, code in codes.items() if len(levels[t]) == 1}
    titles = {title.lower(): title for _, title in rows}
    named = sorted(t for t, code in unique.items() if level(code) != "end_user")
    others = sorted((t for t, code in unique.items() if level(code) == "end_user"), key=h)
    chosen = sorted(named + others[:OTHERS], key=lambda t: (unique[t], t))
    with OUT.open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["split", "language", "onet_soc", "title", "level"])
        for t in chosen:
            split = "held_out" if h("en", titles[t]) % 3 == 0 else "tuning"
            w.writerow([split, "en", unique[t], titles[t], level(unique[t])])
    dropped = sum(len(v) > 1 for v in levels.values())
    print(f"wrote {OUT}: {len(chosen)} titles ({dropped} left out for mixed levels)")


if __name__ == "__main__":
    main()
