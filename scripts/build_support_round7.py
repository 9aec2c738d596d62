"""Choose the 100 messages of round 7 of the theme check (issue 15) from a second source of real
customer-support text, by a rule fixed before any of them was read.

    .venv/bin/python scripts/build_support_round7.py TWCS_CSV > rows.csv

TWCS_CSV is a copy of the start of twcs.csv, Thought Vector's "Customer Support on Twitter"
(Kaggle, CC BY-NC-SA 4.0): the copy in https://github.com/monalisapatra26/data_visualization
(twcs.csv at commit b79b6dc, the data set's first 5,800 or so rows, tweets of 2017). The rule:
a message is a customer's opening tweet (inbound, answering no tweet) addressed to a company (an
@handle that is not a customer's number), tweet id above 200 (the first 200 rows were seen while
the file was found), cleaned as the IBM fixtures are (handles dropped, URLs read 'link', e-mail
addresses '[email]', runs of 7+ digits '[number]', HTML entities decoded, whitespace collapsed),
at least 10 characters, English by cx_pipeline.text.language, and not the same text as an
earlier one; the first 100 by md5 of the tweet id are kept. Prints CSV rows of round, id,
company, day, text to read locally. The texts are under CC BY-NC-SA 4.0, not an open licence,
so they are not committed: the hand verdicts on them, keyed by tweet id with text_sha256 of
each text, are in cx_pipeline_tests/fixtures/text/support_round7_verdicts.csv, and
benchmarks/theme_quality.py --twcs TWCS_CSV rebuilds the texts with choose() to run the
themes on them again.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cx_pipeline.text import language

URL = re.compile(r"https?\s*:\s*//\S+|www\.\S+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
HANDLE = re.compile(r"@(\w+)")
LONG_NUMBER = re.compile(r"\d[\d ()-]{5,}\d")
SEEN_BEFORE = 200
ROUND = "7"
SIZE = 100


def clean(text: str) -> str:
    text = html.unescape(text)
    text = HANDLE.sub("", EMAIL.sub("[email]", URL.sub("link", text)))
    text = re.sub(r"\s+", " ", text).strip(" .,:")
    return LONG_NUMBER.sub(
        lambda m: "[number]" if sum(c.isdigit() for c in m[0]) >= 7 else m[0], text
    )


def eligible(path: Path) -> list[tuple[str, str, str, str]]:
    """(tweet_id, company, day, text) of every message the rule admits, in file order."""
    found, texts = [], set()
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if None in row.values():
                continue  # the copy ends inside a row
            if row["inbound"] not in ("True", "TRUE") or row["in_response_to_tweet_id"].strip():
                continue
            if int(row["tweet_id"]) <= SEEN_BEFORE:
                continue
            companies = [h for h in HANDLE.findall(row["text"]) if not h.isdigit()]
            text = clean(row["text"])
            if not companies or len(text) < 10 or text in texts or language(text) != "en":
                continue
            texts.add(text)
            day = dt.datetime.strptime(row["created_at"], "%a %b %d %H:%M:%S %z %Y").date()
            found.append((row["tweet_id"], companies[0], day.isoformat(), text))
    return found


def choose(path: Path) -> tuple[int, list[tuple[str, str, str, str]]]:
    """(how many were eligible, the 100 chosen in md5 order of the tweet id)."""
    found = eligible(path)
    return len(found), sorted(found, key=lambda m: hashlib.md5(m[0].encode()).hexdigest())[:SIZE]


def text_sha256(text: str) -> str:
    """The fingerprint the verdicts file keeps instead of the text: does a rebuilt text match
    the one judged?"""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def main() -> None:
    eligible_count, chosen = choose(Path(sys.argv[1]))
    print(f"{eligible_count} eligible, {len(chosen)} chosen", file=sys.stderr)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    for tweet_id, company, day, text in chosen:
        writer.writerow([ROUND, tweet_id, company, day, text])


if __name__ == "__main__":
    main()
