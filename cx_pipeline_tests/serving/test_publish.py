"""The serving file: every mart with its docs, personal data masked, readers that neither
block the pipeline nor ever see half a snapshot, a report that names the snapshot it was built
with, and reruns that do not grow the warehouse file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cx_pipeline.marts.assets import ALL_MART_SPECS
from cx_pipeline.marts.builder import MartSpec
from cx_pipeline.resources import install_rules
from cx_pipeline.serving.publish import DIGESTS_TABLE, INFO_TABLE, publish
from cx_pipeline_tests.conftest import REPO_ROOT, materialize_all, up_to
from cx_pipeline_tests.tiny_extracts import write_tiny_extracts


def test_every_mart_is_served_with_its_comments(sample_warehouse: Path) -> None:
    serving = sample_warehouse.with_name("cx_serving.duckdb")
    with duckdb.connect(str(serving), read_only=True) as con:
        (tags,) = con.execute(
            "SELECT tags FROM duckdb_databases() WHERE path = ?", [str(serving)]
        ).fetchone()
        assert tags["storage_version"].startswith("v1.0.0")
        served = dict(
            con.execute(
                "SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'marts'"
            ).fetchall()
        )
        assert set(served) == {s.name for s in ALL_MART_SPECS} | {INFO_TABLE, DIGESTS_TABLE}
        undocumented = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE schema_name = 'marts' AND table_name <> ? AND comment IS NULL",
            [INFO_TABLE],
        ).fetchall()
        assert undocumented == []
        counts = {
            s.name: con.execute(f"SELECT count(*) FROM marts.{s.name}").fetchone()[0]
            for s in ALL_MART_SPECS
        }
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        for name, rows in counts.items():
            assert con.execute(f"SELECT count(*) FROM marts.{name}").fetchone() == (rows,), name


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse with the shared rules and an empty marts schema."""
    with duckdb.connect() as warehouse:
        install_rules(warehouse)
        warehouse.execute("CREATE SCHEMA marts")
        yield warehouse


SPEC = MartSpec(
    name="voices",
    description="Test mart.",
    columns=(
        ("contact_email", "VARCHAR", "An identifier."),
        ("comment", "VARCHAR", "Free text."),
        ("score", "INTEGER", "Not personal."),
        ("quotes", "VARCHAR[]", "Free text, listed."),
    ),
    deps=(),
    personal_identifiers=("contact_email",),
    free_text=("comment", "quotes"),
)


@pytest.mark.parametrize("mode", ["masked", "clear"])
def test_personal_data_is_masked_unless_asked(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, mode: str
) -> None:
    con.execute(
        "CREATE TABLE marts.voices AS SELECT 'ann@alpha.example' AS contact_email, "
        "'Call me on +44 20 7946 0958 or mail Ann.Alpha@alpha.example, thanks' AS comment, "
        "9 AS score, ['ok', 'write to bob@beta.example'] AS quotes"
    )
    target = tmp_path / "serving.duckdb"
    published = publish(con, (SPEC,), target, personal_data=mode)
    assert published.rows == {"voices": 1}
    with duckdb.connect(str(target), read_only=True) as served:
        row = served.execute("SELECT * FROM marts.voices").fetchone()
        info = served.execute(f"SELECT personal_data FROM marts.{INFO_TABLE}").fetchone()
    assert info == (mode,)
    if mode == "clear":
        assert row == con.execute("SELECT * FROM marts.voices").fetchone()
    else:
        email, comment, score, quotes = row
        assert email.startswith("hash:") and "ann" not in email
        assert comment == "Call me on [phone] or mail [email], thanks"
        assert score == 9
        assert quotes == ["ok", "write to [email]"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["serving.duckdb"]


def test_parquet_export_replaces_the_folder(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    con.execute(
        "CREATE TABLE marts.voices AS "
        "SELECT 'x' AS contact_email, 'y' AS comment, 1 AS score, ['z'] AS quotes"
    )
    folder = tmp_path / "parquet"
    for _ in range(2):
        publish(con, (SPEC,), tmp_path / "serving.duckdb", parquet_dir=folder)
    assert sorted(p.name for p in folder.iterdir()) == ["voices.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parquet", "serving.duckdb"]


# A BI tool in a process of its own. "hold" keeps one connection open for the whole run (as a
# connection pool does; DuckDB then keeps serving that process the snapshot it opened), "poll"
# connects, reads every table of the snapshot and disconnects, over and over.
READER = """
import json, sys, time
from pathlib import Path
import dagster as dg
import duckdb

path, mode, stop = sys.argv[1], sys.argv[2], Path(sys.argv[3])
SNAPSHOT = "SELECT published_at::VARCHAR, tables FROM marts._snapshot"
held = duckdb.connect(path, read_only=True) if mode == "hold" else None
seen, problems = [], []
print("ready", flush=True)
deadline = time.monotonic() + 120
while not stop.exists() and time.monotonic() < deadline:
    try:
        con = held or duckdb.connect(path, read_only=True)
        published, tables = con.execute(SNAPSHOT).fetchone()
        for table in tables:
            con.execute(f"SELECT count(*) FROM marts.{table}").fetchone()
        if not seen or seen[-1] != published:
            seen.append(published)
        if held is None:
            con.close()
    except Exception as e:  # a lock, or a snapshot missing a table, would land here
        problems.append(str(e))
    time.sleep(0.02)
print(json.dumps({"seen": seen, "problems": problems}))
"""


def start_reader(serving: Path, mode: str, stop: Path) -> subprocess.Popen:
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(serving), mode, str(stop)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stdout.readline() == "ready\n"
    return reader


def published_at(serving: Path) -> str:
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute("SELECT published_at::VARCHAR FROM marts._snapshot").fetchone()[0]


@pytest.fixture(scope="module")
def reruns(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Three runs on the tiny extracts, BI readers of the serving file during the second: what
    each run left (run id, serving snapshot, report footer, warehouse size) and what the readers
    saw. The first builds the whole graph; the next two reload the answers, rebuild one mart
    and publish (each step of a run costs a fixed fifth of a second, whatever it does). One
    fixture, because both tests below are about runs that follow one another."""
    tmp_path = tmp_path_factory.mktemp("reruns")
    root = write_tiny_extracts(tmp_path / "extracts")
    warehouse = tmp_path / "cx.duckdb"
    serving, stop = tmp_path / "cx_serving.duckdb", tmp_path / "stop"
    runs: list[dict] = []

    def run(selection: dg.AssetSelection | None = None) -> None:
        # raises if a reader's lock got in the way
        result = materialize_all(root, warehouse, selection=selection)
        with duckdb.connect(str(serving), read_only=True) as served:
            (served_run,) = served.execute(f"SELECT run_id FROM marts.{INFO_TABLE}").fetchone()
        footer = re.search(
            r"Serving snapshot: run ([0-9a-f-]+), published",
            (tmp_path / "cx_report.html").read_text(),
        )
        runs.append(
            {
                "run_id": result.run_id,
                "served_run": served_run,
                "footer_run": footer and footer.group(1),
                "published_at": published_at(serving),
                "size": warehouse.stat().st_size,
            }
        )

    run()
    again = dg.AssetSelection.groups("serving") | up_to("marts.nps_by_month")
    readers = [start_reader(serving, mode, stop) for mode in ("hold", "poll")]
    try:
        run(again)
        time.sleep(0.5)  # let the poller open the new snapshot
        stop.touch()
        holder, poller = (json.loads(r.communicate(timeout=60)[0]) for r in readers)
    finally:
        for reader in readers:
            reader.kill()
            reader.wait()
    run(again)
    return {"runs": runs, "holder": holder, "poller": poller}


def test_readers_never_block_the_run_nor_see_half_a_snapshot(reruns: dict) -> None:
    before, after = (run["published_at"] for run in reruns["runs"][:2])
    assert after > before
    assert reruns["holder"] == {"seen": [before], "problems": []}
    assert reruns["poller"] == {"seen": [before, after], "problems": []}


def test_the_report_names_the_snapshot_and_reruns_keep_the_file_size(reruns: dict) -> None:
    for run in reruns["runs"]:
        assert run["served_run"] == run["run_id"]
        assert run["footer_run"] == run["run_id"]
    sizes = [run["size"] for run in reruns["runs"]]
    print("warehouse bytes after each run:", sizes)
    assert max(sizes[1:]) <= sizes[0] * 1.5, sizes
    assert sizes[2] <= sizes[1] * 1.1, sizes


DAILY = MartSpec(
    name="daily",
    description="Test mart kept by day.",
    columns=(
        ("account_id", "VARCHAR", "Account."),
        ("day", "DATE", "Day."),
        ("contact_email", "VARCHAR", "An identifier."),
        ("events", "BIGINT", "Events."),
    ),
    personal_identifiers=("contact_email",),
    grain=("account_id", "day"),
)
WHOLE = MartSpec(
    name="whole",
    description="Test mart without a day.",
    columns=(("account_id", "VARCHAR", "Account."), ("score", "DOUBLE", "Score.")),
    grain=("account_id",),
)


def served(path: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"SELECT * FROM marts.{table} ORDER BY ALL").fetchall()


def test_a_publish_rewrites_only_the_changed_days_and_marts(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    con.execute(
        "CREATE TABLE marts.daily AS SELECT 'A' || (i % 3) AS account_id, "
        "DATE '2026-10-01' + (i // 3)::INTEGER AS day, 'p' || i || '@x.example' AS contact_email, "
        "i AS events FROM range(30) AS r(i)"
    )  # 10 days of 3 accounts
    con.execute("CREATE TABLE marts.whole AS SELECT 'A1' AS account_id, 1.5 AS score")
    con.execute(
        "CREATE TABLE marts.voices AS "
        "SELECT 'x' AS contact_email, 'y' AS comment, 1 AS score, ['z'] AS quotes"
    )
    specs = (DAILY, WHOLE, SPEC)
    target, parquet = tmp_path / "serving.duckdb", tmp_path / "parquet"
    first = publish(con, specs, target, parquet_dir=parquet)
    assert (first.mode, first.reason, sorted(first.copied)) == (
        "full",
        "no snapshot yet",
        ["daily", "voices", "whole"],
    )
    again = publish(con, specs, target, parquet_dir=parquet)
    assert (again.mode, sorted(again.kept), again.copied, again.patched) == (
        "patched",
        ["daily", "voices", "whole"],
        [],
        {},
    )
    voices_file = (parquet / "voices.parquet").stat().st_ino

    # One day changed, one gone, one new; the mart without a day changed (its one key's bucket
    # is rewritten); voices unchanged.
    con.execute("UPDATE marts.daily SET events = events + 100 WHERE day = DATE '2026-10-02'")
    con.execute("DELETE FROM marts.daily WHERE day = DATE '2026-10-05'")
    con.execute("INSERT INTO marts.daily VALUES ('A1', DATE '2026-10-11', 'new@x.example', 7)")
    con.execute("UPDATE marts.whole SET score = 2.5")
    patched = publish(con, specs, target, parquet_dir=parquet)
    assert (patched.mode, patched.kept, patched.patched, patched.copied) == (
        "patched",
        ["voices"],
        {"daily": 3, "whole": 1},
        [],
    )
    assert patched.rows == {"daily": 28, "whole": 1, "voices": 1}
    # The same rows as a snapshot written whole, and the kept mart's Parquet file kept.
    whole = publish(con, specs, tmp_path / "whole.duckdb")
    assert whole.reason == "no snapshot yet"
    for table in ("daily", "whole", "voices"):
        assert served(target, table) == served(tmp_path / "whole.duckdb", table), table
    assert (parquet / "voices.parquet").stat().st_ino == voices_file
    assert duckdb.sql(f"SELECT count(*) FROM '{parquet / 'daily.parquet'}'").fetchone() == (28,)
    with duckdb.connect(str(target), read_only=True) as served_con:
        (tags,) = served_con.execute(
            "SELECT tags FROM duckdb_databases() WHERE path = ?", [str(target)]
        ).fetchone()
        info = served_con.execute(f"SELECT mode, full_size FROM marts.{INFO_TABLE}").fetchone()
    assert tags["storage_version"].startswith("v1.0.0")
    assert info[0] == "patched" and info[1] > 0

    # Written whole again: after an erasure or a purge, with another personal-data setting, on
    # request, and for a mart this release retired.
    assert publish(con, specs, target, rewrites_now=1).reason == (
        "raw was rewritten in place (erasure or retention purge)"
    )
    assert publish(con, specs, target, rewrites_now=1, personal_data="clear").reason == (
        "personal data is now clear"
    )
    again = publish(con, specs, target, rewrites_now=1, personal_data="clear", full_rebuild=True)
    assert again.reason == "CX_FULL_REBUILD is set"
    retired = publish(con, (DAILY, WHOLE), target, rewrites_now=1, personal_data="clear")
    assert retired.mode == "patched" and sorted(retired.kept) == ["daily", "whole"]
    with duckdb.connect(str(target), read_only=True) as served_con:
        assert served_con.execute(
            "SELECT table_name FROM duckdb_tables() ORDER BY 1"
        ).fetchall() == [(INFO_TABLE,), (DIGESTS_TABLE,), ("daily",), ("whole",)]
        assert served_con.execute(
            f"SELECT DISTINCT mart FROM marts.{DIGESTS_TABLE} ORDER BY 1"
        ).fetchall() == [("daily",), ("whole",)]


def test_a_mart_without_a_day_is_patched_by_key_bucket_unless_its_key_is_masked(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from cx_pipeline.serving.publish import _plan_copy

    con.execute(
        "CREATE TABLE marts.whole AS SELECT 'A' || i AS account_id, i * 1.5 AS score "
        "FROM range(5000) AS r(i)"
    )
    target = tmp_path / "serving.duckdb"
    publish(con, (WHOLE,), target)
    con.execute("UPDATE marts.whole SET score = -1 WHERE account_id IN ('A7', 'A4242')")
    con.execute("DELETE FROM marts.whole WHERE account_id = 'A99'")
    con.execute("INSERT INTO marts.whole VALUES ('B1', 0.5)")
    patched = publish(con, (WHOLE,), target)
    assert patched.patched == {"whole": 4}  # two changed keys, one gone, one new
    whole = publish(con, (WHOLE,), tmp_path / "whole.duckdb")
    assert served(target, "whole") == served(tmp_path / "whole.duckdb", "whole")
    assert whole.copied == ["whole"]

    # A grain the serving file masks falls in other buckets there: such a mart is copied.
    keyed_by_email = MartSpec(
        name="by_email",
        description="Test mart keyed by a person.",
        columns=(("contact_email", "VARCHAR", "An identifier."), ("n", "BIGINT", "Count.")),
        personal_identifiers=("contact_email",),
        grain=("contact_email",),
    )
    assert _plan_copy(con, keyed_by_email, mask=True, masking="").part is None
    assert _plan_copy(con, keyed_by_email, mask=False, masking="").part is not None


def test_an_empty_mart_is_kept_until_it_gets_rows(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    con.execute("CREATE TABLE marts.whole (account_id VARCHAR, score DOUBLE)")
    target = tmp_path / "serving.duckdb"
    publish(con, (WHOLE,), target)
    assert publish(con, (WHOLE,), target).kept == ["whole"]
    con.execute("INSERT INTO marts.whole VALUES ('A1', 1.5), ('A2', 2.5)")
    assert publish(con, (WHOLE,), target).patched == {"whole": 2}
    assert served(target, "whole") == [("A1", 1.5), ("A2", 2.5)]


def test_a_snapshot_grown_to_twice_its_size_is_written_whole(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cx_pipeline.serving import publish as module

    con.execute("CREATE TABLE marts.whole AS SELECT 'A1' AS account_id, 1.5 AS score")
    target = tmp_path / "serving.duckdb"
    publish(con, (WHOLE,), target)
    monkeypatch.setattr(module, "REWRITE_GROWTH", 0.5)
    assert publish(con, (WHOLE,), target).reason.startswith("it grew to ")


def test_what_the_last_snapshot_did_not_cover_is_written_whole(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con.execute("CREATE TABLE marts.whole AS SELECT 'A1' AS account_id, 1.5 AS score")
    # A total row (null day) beside the days, as nps_weighted has.
    con.execute(
        "CREATE TABLE marts.daily AS SELECT 'A1' AS account_id, d::DATE AS day, "
        "'a@x.example' AS contact_email, 1::BIGINT AS events "
        "FROM (VALUES (DATE '2026-10-01'), (NULL)) AS v(d)"
    )
    specs, target, parquet = (DAILY, WHOLE), tmp_path / "serving.duckdb", tmp_path / "parquet"
    publish(con, specs, target)
    con.execute("UPDATE marts.daily SET events = 2 WHERE day IS NULL")
    assert publish(con, specs, target).patched == {"daily": 1}

    # An erasure the marts were not rebuilt after: written whole, and whole again next time.
    first = publish(con, specs, target, rewrites_now=1, rewrites_covered=0)
    second = publish(con, specs, target, rewrites_now=1)
    assert first.mode == second.mode == "full"
    assert publish(con, specs, target, rewrites_now=1).mode == "patched"

    # Parquet files are linked only from the folder the last snapshot wrote.
    publish(con, specs, target, rewrites_now=1, parquet_dir=parquet)
    written = (parquet / "whole.parquet").stat().st_ino
    publish(con, specs, target, rewrites_now=1)  # export off: the folder stays behind
    again = publish(con, specs, target, rewrites_now=1, parquet_dir=parquet)
    assert again.kept == ["daily", "whole"]
    assert (parquet / "whole.parquet").stat().st_ino != written

    # Another masking rule copies the marts again.
    assert publish(con, specs, target, rewrites_now=1, masking="other").copied == [
        "daily",
        "whole",
    ]

    from cx_pipeline.resources import build_resources

    monkeypatch.setenv("CX_FULL_REBUILD", "true")
    assert build_resources()["serving"].full_rebuild
