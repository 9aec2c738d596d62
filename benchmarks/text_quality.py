"""How well the text rules read text nobody here wrote for them (issue 15).

    .venv/bin/python benchmarks/text_quality.py                    # the committed samples
    .venv/bin/python benchmarks/text_quality.py --uci DIR          # + the whole UCI set
    .venv/bin/python benchmarks/text_quality.py --data DATA        # + every held-out line

Sentiment and language (cx_pipeline/text.py) on labelled text, per language: English on review
sentences, the 300 of cx_pipeline_tests/fixtures/text/review_sentences.tsv or with --uci the
3,000 of the UCI "Sentiment Labelled Sentences" (CC BY 4.0; DIR holds amazon_cells_labelled.txt,
imdb_labelled.txt and yelp_labelled.txt), a source the model never saw; German, Spanish, French
and Portuguese on samples of the held-out XED subtitle lines and (German, Spanish,
Portuguese) BRIGHTER social media posts and French book reviews (held_out_sentences.tsv in the
text fixtures), or with
--data every held-out line of the data scripts/train_sentiment.py reads. Each text goes
through text.analyse(), language detection included. Influence levels (rules.sql) on the
hand-written titles of cx_pipeline_tests/fixtures/text/job_titles.csv, by split, and on the
real occupation titles of occupation_titles.csv (ESCO, CH-ISCO-19, CPP 2010; levels from their
ISCO-08 codes), by language and split, and the titles US workers report for their own job in
reported_titles.csv (O*NET 29.3; levels from their O*NET-SOC codes), by split: the rule was
tuned on the tuning parts only. Nothing is trained on these data; figures and their meaning are
in docs/voice-of-customer.md.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "cx_pipeline_tests" / "fixtures" / "text"
UCI_FILES = ("amazon_cells", "imdb", "yelp")
# The held-out samples (scripts/train_sentiment.py --fixtures writes them).
HELD_OUT = FIXTURES / "held_out_sentences.tsv"


def fixture_rows(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader((ln for ln in f if not ln.startswith("#")), delimiter=delimiter))


def uci_rows(folder: Path) -> list[tuple[str, str, str]]:
    """(domain, gold, sentence) of the whole UCI set."""
    found = []
    for name in UCI_FILES:
        path = folder / f"{name}_labelled.txt"
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            sentence, _, label = line.rpartition("\t")
            if label in ("0", "1"):
                found.append((name, "positive" if label == "1" else "negative", sentence.strip()))
    return found


def sentiment_figures(items: list[tuple[str, str, str]]) -> dict[str, float]:
    """Accuracy, macro F1 over positive and negative (neutral and unsupported are wrong for
    both) and shares of the (group, gold, text) items; neutral gold items are left out here
    and counted by neutral_figures()."""
    from cx_pipeline import text

    items = [i for i in items if i[1] != "neutral"]
    predicted = [text.analyse(sentence)["label"] for _, _, sentence in items]
    gold = [g for _, g, _ in items]
    f1 = []
    for c in ("positive", "negative"):
        tp = sum(g == c and p == c for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, predicted, strict=True))
        f1.append(2 * tp / (2 * tp + fp + fn))
    counts = Counter(predicted)
    negatives = [p for g, p in zip(gold, predicted, strict=True) if g == "negative"]
    return {
        "n": len(items),
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(items),
        "macro_f1": sum(f1) / 2,
        "neutral": counts["neutral"] / len(items),
        "unsupported": counts["unsupported"] / len(items),
        "negatives_caught": negatives.count("negative") / len(negatives),
    }


def print_sentiment(title: str, items: list[tuple[str, str, str]]) -> None:
    print(f"\n{title}")
    print("| domain | n | accuracy | macro F1 | neutral | unsupported | negatives caught |")
    print("|---|---|---|---|---|---|---|")
    domains = sorted({d for d, _, _ in items})
    for domain in [*domains, "all"]:
        subset = [i for i in items if domain in (i[0], "all")]
        f = sentiment_figures(subset)
        print(
            f"| {domain} | {f['n']} | {f['accuracy']:.1%} | {100 * f['macro_f1']:.1f} | "
            f"{f['neutral']:.1%} | {f['unsupported']:.1%} | {f['negatives_caught']:.1%} |"
        )


def neutral_figures(items: list[tuple[str, str, str]]) -> str:
    from cx_pipeline import text

    neutral = [t for _, g, t in items if g == "neutral"]
    if not neutral:
        return ""
    read = [text.analyse(t)["label"] for t in neutral]
    return f"{read.count('neutral') / len(read):.1%} of {len(read)}"


def print_languages(title: str, items: list[tuple[str, str, str]]) -> None:
    """Per (language, source): n, accuracy, macro F1, share neutral and unsupported, and how
    many gold-neutral lines (where the source has them) are read neutral."""
    print(f"\n{title}")
    print(
        "| language, source | n | accuracy | macro F1 | neutral | unsupported "
        "| true neutrals read neutral |\n|---|---|---|---|---|---|---|"
    )
    for group in sorted({g for g, _, _ in items}):
        subset = [i for i in items if i[0] == group]
        f = sentiment_figures(subset)
        print(
            f"| {group} | {f['n']} | {f['accuracy']:.1%} | {100 * f['macro_f1']:.1f} | "
            f"{f['neutral']:.1%} | {f['unsupported']:.1%} | {neutral_figures(subset)} |"
        )


def held_out_rows(data: Path) -> list[tuple[str, str, str]]:
    """(language and source, gold, text) of every held-out line scripts/train_sentiment.py
    set aside."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import train_sentiment

    found = []
    for lang in train_sentiment.LANGUAGES:
        for source, splits in train_sentiment.corpus(data, lang).items():
            found += [(f"{lang}, {source}", g, t) for g, t in splits.get("held_out", [])]
    return found


def title_levels(name: str) -> list[tuple[dict[str, str], str]]:
    """Each row of a titles fixture with the level rules.sql influence_level() gives it."""
    import duckdb

    from cx_pipeline.resources import install_rules

    con = duckdb.connect()
    install_rules(con)
    return [
        (row, con.execute("SELECT influence_level($t)", {"t": row["title"]}).fetchone()[0])
        for row in fixture_rows(name)
    ]


def print_titles() -> None:
    """Share of titles whose level is right: the hand-written job_titles.csv by split, the
    real occupation titles of occupation_titles.csv (ESCO, CH-ISCO-19, CPP 2010) by split and
    language, where a level is right when it is one of those the ISCO-08 code allows, and the
    reported titles of reported_titles.csv (O*NET) by split, likewise by O*NET-SOC code."""
    right: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row, level in title_levels("job_titles.csv"):
        key = (row["split"], "English" if row["language"] == "en" else "other languages")
        right[key][0] += level == row["level"]
        right[key][1] += 1
    print("\nHand-written titles (job_titles.csv)")
    print("| titles | right | n | share |\n|---|---|---|---|")
    for (split, group), (ok, n) in sorted(right.items()):
        print(f"| {split}, {group} | {ok} | {n} | {ok / n:.1%} |")

    real: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    confusion: Counter[tuple[str, str]] = Counter()
    for row, level in title_levels("occupation_titles.csv"):
        ok = level in row["level"].split("|")
        for key in ((row["language"], row["split"]), ("all", row["split"])):
            real[key][0] += ok
            real[key][1] += 1
        if not ok:
            confusion[(row["level"].split("|")[0], level)] += 1
    print("\nReal occupation titles (occupation_titles.csv), right / n")
    print("| language | tuning | held out |\n|---|---|---|")
    for lang in ("en", "de", "fr", "es", "pt", "all"):
        cells = []
        for split in ("tuning", "held_out"):
            ok, n = real[(lang, split)]
            cells.append(f"{ok}/{n} = {ok / n:.1%}" if n else "")
        print(f"| {lang} | {' | '.join(cells)} |")
    print("\nWrong levels, both parts (ISCO says -> the rule says; 'senior_manager' stands for")
    print("the manager band senior_manager|decision_maker|influencer)")
    for (gold, got), n in confusion.most_common():
        print(f"  {gold:>15} -> {got:<15} {n}")

    reported: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    missed: Counter[tuple[str, str]] = Counter()
    for row, level in title_levels("reported_titles.csv"):
        ok = level in row["level"].split("|")
        reported[row["split"]][0] += ok
        reported[row["split"]][1] += 1
        if not ok:
            missed[(row["level"], level)] += 1
    print("\nTitles US workers report (reported_titles.csv, O*NET 29.3), right / n")
    print("| language | tuning | held out |\n|---|---|---|")
    cells = [f"{ok}/{n} = {ok / n:.1%}" for ok, n in (reported[s] for s in ("tuning", "held_out"))]
    print(f"| en | {' | '.join(cells)} |")
    print("\nWrong levels, both parts (O*NET-SOC says -> the rule says)")
    for (gold, got), n in missed.most_common():
        print(f"  {gold:>48} -> {got:<15} {n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uci", type=Path, help="folder with the three UCI files")
    parser.add_argument("--data", type=Path, help="the training data folder (held-out parts)")
    args = parser.parse_args()
    from cx_pipeline import text

    print(f"analyser: {text.analyser()}")
    sample = [
        (r["domain"], "positive" if r["label"] == "1" else "negative", r["sentence"])
        for r in fixture_rows("review_sentences.tsv", delimiter="\t")
    ]
    print_sentiment("Review sentences, committed sample (300)", sample)
    if args.uci:
        print_sentiment("Review sentences, whole UCI set (3,000)", uci_rows(args.uci))
    if HELD_OUT.exists():
        with HELD_OUT.open(encoding="utf-8", newline="") as f:
            lines = (ln for ln in f if not ln.startswith("#"))
            held_out = [
                (f"{r['language']}, {r['source']} sample", r["label"], r["sentence"])
                for r in csv.DictReader(lines, delimiter="\t")
            ]
        print_languages(f"Held-out lines, the samples in {HELD_OUT.name}", held_out)
    if args.data:
        print_languages("Every held-out line", held_out_rows(args.data))
    print_titles()


if __name__ == "__main__":
    main()
