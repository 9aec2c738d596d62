"""What masking contact details in free text costs on the way into staging (issue 15).

Staging masks every free-text column (ticket subject and description, NPS comments, interview
notes) with rules.sql's mask_contact_details(): e-mails by a SQL regex; phone numbers, IBANs and
card numbers by a Python function (privacy/contact_details.py, libphonenumber) that only texts
with 7 or more digits close together reach. This times, on N texts in one DuckDB connection:

- `emails only`: the SQL e-mail mask alone, the floor any masking pays;
- `mask_contact_details`: the rule as staging runs it (SQL prefilter, then Python);
- `python on every text`: the Python function without the prefilter;
- `old SQL rule` (with `--old-rules FILE`, e.g. `git show 4746e5c:cx_pipeline/rules.sql`): the
  hand-written regex mask this replaced.

The texts are the real customer-support messages of the text fixtures
(cx_pipeline_tests/fixtures/text/support_messages_tuning.csv, IBM, Apache-2.0; its long numbers
already removed), repeated, with a phone number in a share of them (`--phones`, default 2%) and
a number that only looks like one (version, IP, order number, date, year range) in another
(`--look-alikes`, default 2%): in the real IBM support messages 3.3% of texts have 7+ digits
close together.

    PYTHONPATH=. .venv/bin/python benchmarks/masking_cost.py [--texts 200000] [--old-rules F]
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from pathlib import Path

FIXTURE = (
    Path(__file__).resolve().parents[1]
    / "cx_pipeline_tests/fixtures/text/support_messages_tuning.csv"
)
PHONES = (
    "+1 201-555-0123", "(201) 555-0123", "0121 234 5678", "+44 7400 123456", "030 123456",
    "+49 1512 3456789", "01 23 45 67 89", "+33 6 12 34 56 78", "612 34 56 78", "(11) 96123-4567",
)  # fmt: skip
LOOK_ALIKES = (
    "version 2.14.3.1", "server 192.168.100.200", "order #123456789", "on 2024-03-15",
    "we were customers 2019-2023", "build 20240315.1", "order 112-3456789-1234567",
    "Windows 10 Pro 1909 18563.592", "ticket 12345678", "since 15.03.2024",
)  # fmt: skip


def texts(n: int, phones: float, look_alikes: float, seed: int) -> list[str]:
    """n texts: real support messages, some with a phone number or a look-alike added."""
    with FIXTURE.open(encoding="utf-8") as f:
        messages = [r["text"] for r in csv.DictReader(line for line in f if line[0] != "#")]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text, draw = rng.choice(messages), rng.random()
        if draw < phones:
            text += f" Call me on {rng.choice(PHONES)}."
        elif draw < phones + look_alikes:
            text += f" ({rng.choice(LOOK_ALIKES)})"
        out.append(text)
    return out


def main() -> None:
    import duckdb
    import pyarrow as pa

    from cx_pipeline.resources import install_rules

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=200_000)
    parser.add_argument("--phones", type=float, default=0.02)
    parser.add_argument("--look-alikes", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--old-rules", type=Path, help="a rules.sql with the old SQL mask")
    args = parser.parse_args()

    generated = pa.table({"text": texts(args.texts, args.phones, args.look_alikes, args.seed)})
    con = duckdb.connect()
    install_rules(con)
    con.register("generated", generated)
    con.execute("CREATE TABLE texts AS SELECT * FROM generated")
    reach = con.execute("SELECT avg(may_hold_personal_number(text)::INT) FROM texts").fetchone()
    print(f"{args.texts:,} texts, {100 * reach[0]:.1f}% with 7+ digits close together")
    timed = {
        "emails only": "mask_emails(text)",
        "mask_contact_details": "mask_contact_details(text)",
        "python on every text": "mask_personal_numbers(mask_emails(text))",
    }
    if args.old_rules:
        old = duckdb.connect()
        old.execute(args.old_rules.read_text())
        old.register("generated", generated)
        old.execute("CREATE TABLE texts AS SELECT * FROM generated")
    for name, expression in timed.items():
        started = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TABLE masked AS SELECT {expression} AS text FROM texts")
        seconds = time.perf_counter() - started
        masked = con.execute("SELECT count(*) FROM masked WHERE text LIKE '%[phone]%'").fetchone()
        print(f"{name:24} {seconds:7.2f} s  {masked[0]:7,} texts with [phone]")
    if args.old_rules:
        started = time.perf_counter()
        old.execute("CREATE TABLE masked AS SELECT mask_contact_details(text) AS text FROM texts")
        seconds = time.perf_counter() - started
        masked = old.execute("SELECT count(*) FROM masked WHERE text LIKE '%[phone]%'").fetchone()
        print(f"{'old SQL rule':24} {seconds:7.2f} s  {masked[0]:7,} texts with [phone]")


if __name__ == "__main__":
    main()
