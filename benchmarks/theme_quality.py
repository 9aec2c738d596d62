"""How well the theme taxonomy reads real customer-support messages (issue 15).

    .venv/bin/python benchmarks/theme_quality.py               # the committed samples
    .venv/bin/python benchmarks/theme_quality.py --ibm DIR     # + the whole IBM data set

Themes come from feedback_themes.sql with data/reference/voc_taxonomy.csv, run as shipped on
the texts (the harness of cx_pipeline_tests/marts/voice_extracts.py). The messages are tweets
to 25 companies' support accounts from the IBM "Twitter Conversations Dataset for Conversational
Document Prediction" (Apache-2.0): cx_pipeline_tests/fixtures/text/support_messages_tuning.csv
(read to widen the taxonomy) and support_messages_checked.csv (checked by hand 100 at a time:
rounds 1-5, the first turns of test.json, were used to narrow the taxonomy; round 6, 100
follow-up messages of dev.json and test.json chosen by a fixed rule and read once after the
taxonomy was frozen, is the held-out check; the file's header says how). With --ibm DIR
(holding the data set's dev.json and test.json) coverage is also measured on every first-turn
message of both files, extracted as the fixtures were. Figures and their meaning are in
docs/voice-of-customer.md ("Themes").

Coverage: share of messages given at least one theme. Precision: share of the (message, theme)
pairs the rule gives that a person judged right; also per message (every theme right, or at
least one right).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "cx_pipeline_tests" / "fixtures" / "text"
HELD_OUT_ROUND = "6"
URL = re.compile(r"https?\s*:\s*//\S+|www\.\S+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
HANDLE = re.compile(r"@\w+")


def fixture_rows(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(ln for ln in f if not ln.startswith("#")))


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
    args = parser.parse_args()

    tuning = fixture_rows("support_messages_tuning.csv")
    checked = fixture_rows("support_messages_checked.csv")
    given, _ = themes_of(
        [(r["id"], r["text"]) for r in tuning] + [(r["id"], r["text"]) for r in checked]
    )
    tuned = coverage({r["id"]: given[r["id"]] for r in tuning})
    print(f"tuning sample: {len(tuning)} messages, coverage {tuned:.1%}")
    print()
    print(
        "| round | messages | coverage | (message, theme) pairs | precision | all themes right "
        "| a theme right |"
    )
    print("|---|---|---|---|---|---|---|")
    for number in sorted({r["round"] for r in checked}):
        rows = [r for r in checked if r["round"] == number]
        f = judged_figures(rows, given)
        label = f"{number} (held out)" if number == HELD_OUT_ROUND else f"{number} (tuned on)"
        print(
            f"| {label} | {f['messages']} | {f['coverage']:.0%} | {f['pairs']} | "
            f"{f['precision']:.1%} | {f['all_right']:.0%} | {f['any_right']:.0%} |"
            + (f" {f['unjudged']} unjudged" if f["unjudged"] else "")
        )
    tuned_rows = [r for r in checked if r["round"] != HELD_OUT_ROUND]
    f = judged_figures(tuned_rows, given)
    print(
        f"| all tuned on ({len(tuned_rows)}) | {f['messages']} | {f['coverage']:.1%} | "
        f"{f['pairs']} | {f['precision']:.1%} | {f['all_right']:.0%} | {f['any_right']:.0%} |"
    )
    held_out = judged_figures([r for r in checked if r["round"] == HELD_OUT_ROUND], given)
    print()
    print(f"held-out round {HELD_OUT_ROUND} by theme (right / given):")
    for theme, marks in sorted(held_out["by_theme"].items(), key=lambda kv: -sum(kv[1].values())):
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
