"""How well the theme taxonomy reads real customer-support messages (issue 15).

    .venv/bin/python benchmarks/theme_quality.py               # the committed samples
    .venv/bin/python benchmarks/theme_quality.py --ibm DIR     # + the whole IBM data set
    .venv/bin/python benchmarks/theme_quality.py --twcs FILE   # + round 7 run again on its texts

Themes come from feedback_themes.sql with data/reference/voc_taxonomy.csv, run as shipped on
the texts (the harness of cx_pipeline_tests/marts/voice_extracts.py). Rounds 1-6 and the
tuning sample are tweets to 25 companies' support accounts from the IBM "Twitter Conversations
Dataset for Conversational Document Prediction" (Apache-2.0):
cx_pipeline_tests/fixtures/text/support_messages_tuning.csv (read to widen the taxonomy) and
support_messages_checked.csv (checked by hand 100 at a time: rounds 1-5, the first turns of
test.json, and round 6, 100 follow-up messages that were the held-out check until round 7, are
all tuning data now). Round 7, the held-out check, is 100 opening tweets of a second source,
Thought Vector's "Customer Support on Twitter" (CC BY-NC-SA 4.0), chosen by a rule committed
before reading (scripts/build_support_round7.py) and read once after the taxonomy was frozen.
That licence is not an open one, so the repository keeps no text of round 7, only the themes
the rule gave, the hand verdicts and notes (support_round7_verdicts.csv, whose header says
how): round 7 is reported from those committed themes. With --twcs FILE (or CX_TWCS_CSV set),
a local copy of the data set's twcs.csv, the script rebuilds the 100 texts, checks each against
the fingerprint the file keeps, runs the themes again on them and compares them with the
committed ones (a theme given now that has no verdict is counted as unjudged). With --ibm DIR
(holding the IBM data set's dev.json and test.json) coverage is also measured on every
first-turn message of both files, extracted as the fixtures were. Figures and their meaning are
in docs/voice-of-customer.md ("Themes").

Coverage: share of messages given at least one theme. Precision: share of the (message, theme)
pairs the rule gives that a person judged right; also per message (every theme right, or at
least one right).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "cx_pipeline_tests" / "fixtures" / "text"
HELD_OUT_ROUND = "7"
EARLIER_HELD_OUT = {"6": "held out until round 7, tuned on since"}
URL = re.compile(r"https?\s*:\s*//\S+|www\.\S+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
HANDLE = re.compile(r"@\w+")


def fixture_rows(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(ln for ln in f if not ln.startswith("#")))


def round7_rows() -> list[dict[str, str]]:
    """The verdicts of round 7, keyed 'id' as the checked rounds are; no text."""
    return [
        {**r, "id": r["tweet_id"], "round": HELD_OUT_ROUND}
        for r in fixture_rows("support_round7_verdicts.csv")
    ]


def committed_themes(rows: list[dict[str, str]]) -> dict[str, list[str]]:
    return {r["id"]: [] if r["themes"] == "none" else r["themes"].split("|") for r in rows}


def rebuild_round7(twcs: Path) -> list[tuple[str, str]]:
    """(tweet_id, text) of round 7 from a local twcs.csv, by the committed rule."""
    spec = importlib.util.spec_from_file_location(
        "build_support_round7", ROOT / "scripts" / "build_support_round7.py"
    )
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    eligible, chosen = script.choose(twcs)
    rows = round7_rows()
    fingerprints = {r["id"]: r["text_sha256"] for r in rows}
    differ = [i for i, _, _, text in chosen if fingerprints.get(i) != script.text_sha256(text)]
    print(
        f"round 7 rebuilt from {twcs}: {eligible} eligible, {len(chosen)} chosen, "
        f"{len(chosen) - len(differ)} of {len(rows)} match the judged texts"
        + (f"; differ or not judged: {', '.join(differ)}" if differ else "")
    )
    return [(i, text) for i, _, _, text in chosen]


def ibm_messages(path: Path) -> list[tuple[str, str]]:
    """(sessionID, text) of each conversation: the customer's turns before the agent's first
    reply, with handles dropped, URLs read 'link' and e-mail addresses '[email]'."""
    found = []
    for conversation in json.loads(path.read_text(encoding="utf-8")):
        turns = []
        for message in conversation["dialogContent"]:
            if "agent" in message:
                break
            text = HANDLE.sub("", EMAIL.sub("[email]", URL.sub("link", message["message"])))
            turns.append(re.sub(r"\s+", " ", text).strip(" .,:"))
        text = " ".join(t for t in turns if t)
        if len(text) >= 10:
            found.append((conversation["dialogHeader"]["sessionID"], text))
    return found


def themes_of(
    texts: list[tuple[str, str]], topics: int = 0
) -> tuple[dict[str, list[str]], list[tuple]]:
    """The themes feedback_themes.sql gives each (id, text), 'none' left out; with topics, also
    the top terms marts.emerging_topics finds in the texts given no theme (all said the same
    day, so in one week)."""
    from cx_pipeline.ingest import reference
    from cx_pipeline.marts.builder import load_spec, run_mart_sql
    from cx_pipeline.resources import Warehouse
    from cx_pipeline_tests.marts.voice_extracts import feedback_for_texts

    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "cx.duckdb"
        query = feedback_for_texts(database, texts)
        found = dict(
            query(
                "SELECT item_id, list(theme ORDER BY theme) FILTER (WHERE theme <> 'none') "
                "FROM marts.feedback_themes GROUP BY item_id"
            )
        )
        terms: list[tuple] = []
        if topics:
            with Warehouse(database=str(database)).get_connection() as con:
                reference.load_reference_csv(
                    con,
                    "voc_stop_words",
                    str(ROOT / "data" / "reference" / "voc_stop_words.csv"),
                    reference.VOC_STOP_WORD_COLUMNS,
                )
                con.execute(
                    "CREATE TABLE marts.account_segments AS SELECT 'AX' AS account_id, "
                    "'unknown' AS revenue_tier"
                )
                run_mart_sql(con, load_spec("emerging_topics").sql, {})
            terms = query(
                "SELECT term, items, example_text FROM marts.emerging_topics "
                "WHERE segment_type = 'all' ORDER BY topic_rank LIMIT $n",
                {"n": topics},
            )
    return {item: themes or [] for item, themes in found.items()}, terms


def coverage(themes: dict[str, list[str]]) -> float:
    return sum(bool(t) for t in themes.values()) / len(themes)


def judged_figures(rows: list[dict[str, str]], themes: dict[str, list[str]]) -> dict:
    """Precision of the themes given now, from the verdicts recorded for them; a theme the
    file has no verdict for is counted as unjudged."""
    pairs = right = unjudged = all_right = any_right = tagged = 0
    by_theme: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        verdicts = dict(zip(row["themes"].split("|"), row["verdicts"].split("|"), strict=False))
        given = themes[row["id"]]
        if not given:
            continue
        tagged += 1
        marks = [verdicts.get(t, "?") for t in given]
        for theme, mark in zip(given, marks, strict=True):
            pairs += 1
            right += mark == "right"
            unjudged += mark == "?"
            by_theme[theme][mark] += 1
        all_right += all(m == "right" for m in marks)
        any_right += any(m == "right" for m in marks)
    return {
        "messages": len(rows),
        "coverage": tagged / len(rows),
        "pairs": pairs,
        "precision": right / pairs if pairs else float("nan"),
        "unjudged": unjudged,
        "all_right": all_right / tagged if tagged else float("nan"),
        "any_right": any_right / tagged if tagged else float("nan"),
        "by_theme": by_theme,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ibm", type=Path, help="folder with the data set's dev.json, test.json")
    parser.add_argument(
        "--twcs",
        type=Path,
        default=os.environ.get("CX_TWCS_CSV") or None,
        help="a local twcs.csv (Customer Support on Twitter) to rebuild round 7's texts from "
        "(default: $CX_TWCS_CSV)",
    )
    args = parser.parse_args()

    tuning = fixture_rows("support_messages_tuning.csv")
    checked = fixture_rows("support_messages_checked.csv")
    held_out = round7_rows()
    rebuilt = rebuild_round7(args.twcs) if args.twcs else []
    given, _ = themes_of(
        [(r["id"], r["text"]) for r in tuning]
        + [(r["id"], r["text"]) for r in checked]
        + [(f"r7:{i}", text) for i, text in rebuilt]
    )
    tuned = coverage({r["id"]: given[r["id"]] for r in tuning})
    print(f"tuning sample: {len(tuning)} messages, coverage {tuned:.1%}")
    print()
    print(
        "| round | messages | coverage | (message, theme) pairs | precision | all themes right "
        "| a theme right |"
    )
    print("|---|---|---|---|---|---|---|")

    def row(label: str, f: dict, coverage_format: str = ".0%") -> None:
        print(
            f"| {label} | {f['messages']} | {f['coverage']:{coverage_format}} | {f['pairs']} | "
            f"{f['precision']:.1%} | {f['all_right']:.0%} | {f['any_right']:.0%} |"
            + (f" {f['unjudged']} unjudged" if f["unjudged"] else "")
        )

    for number in sorted({r["round"] for r in checked}):
        rows = [r for r in checked if r["round"] == number]
        row(f"{number} ({EARLIER_HELD_OUT.get(number, 'tuned on')})", judged_figures(rows, given))
    row(f"all tuned on ({len(checked)})", judged_figures(checked, given), ".1%")
    committed = judged_figures(held_out, committed_themes(held_out))
    row(f"{HELD_OUT_ROUND} (held out; themes as committed, texts not shipped)", committed)
    if rebuilt:
        found = [r for r in held_out if f"r7:{r['id']}" in given]
        now = {r["id"]: given[f"r7:{r['id']}"] for r in found}
        row(
            f"{HELD_OUT_ROUND} (held out; themes given now to the rebuilt texts)",
            judged_figures(found, now),
        )
        changed = [
            (i, "|".join(t) or "none", "|".join(now[i]) or "none")
            for i, t in committed_themes(found).items()
            if t != now[i]
        ]
        print()
        print(
            f"round {HELD_OUT_ROUND}: {len(found) - len(changed)} of {len(held_out)} "
            "messages rebuilt and given the committed themes now"
        )
        for tweet_id, before, after in changed:
            print(f"  tweet {tweet_id}: committed {before}, now {after}")
    print()
    print(f"held-out round {HELD_OUT_ROUND} by theme, as committed (right / given):")
    for theme, marks in sorted(committed["by_theme"].items(), key=lambda kv: -sum(kv[1].values())):
        print(f"  {theme:22} {marks['right']:3} / {sum(marks.values()):3}")
    _, terms = themes_of([(r["id"], r["text"]) for r in checked], topics=15)
    print()
    print(
        f"marts.emerging_topics on the {len(checked)} checked messages: the top terms of those "
        "with no theme"
    )
    for term, items, example in terms:
        print(f"  {term:22} {items:3}  e.g. {example[:90]}")
    if args.ibm:
        print()
        for name in ("dev", "test"):
            messages = ibm_messages(args.ibm / f"{name}.json")
            share = coverage(themes_of(messages)[0])
            print(f"IBM {name}.json: {len(messages)} messages, coverage {share:.1%}")


if __name__ == "__main__":
    main()
