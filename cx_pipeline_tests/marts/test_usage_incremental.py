"""marts.usage_daily kept between runs: a run replaces only the days its changed events, identity
links and as-of date can affect, and after each run the table equals a full rebuild's, row for
row; audit.mart_builds says incremental or full, and why.

Reporting timezone America/New_York (UTC-5 until 8 Mar 2026, UTC-4 from then); the as-of date is
the latest CRM delivery day. Events (UTC -> local day):

Delivery 31 Mar (first build, full):
  E1 C1/A1 login           10 Mar 12:00Z -> 10 Mar
  E2 C2/A1 report_created  11 Mar 12:00Z -> 11 Mar
  E3 C4/A3 login           12 Mar 12:00Z -> 12 Mar
  E7 nobody, device dev-9  page_viewed 5 Mar 02:00Z -> 4 Mar 21:00 local: 4 Mar
Delivery 1 Apr (incremental; as-of 31 Mar -> 1 Apr):
  E4 C1/A1 report_created   1 Apr 03:00Z -> 31 Mar 23:00 local: 31 Mar
  E5 C6/A6 login            1 Apr 15:00Z -> 1 Apr
  E6 C4/A3 login           20 Mar 12:00Z -> 20 Mar (arrives late)
  E8 C2/A1 login, dev-9     1 Apr 14:00Z -> 1 Apr: dev-9 now links to C2, so E7 (4 Mar, no
                            event of that day redelivered) becomes C2's, at A1
  days: UTC 1 Apr -> 31 Mar, 1 Apr; UTC 20 Mar -> 19, 20 Mar; identity dev-9 -> 4 Mar, 1 Apr;
        newly in the window: 1 Apr -> {4, 19, 20, 31 Mar, 1 Apr}
1 Apr delivered again (incremental): E4 moved to 25 Mar 12:00Z, E5 dropped, E6 and E8 as before
  days: old rows 1 Apr, 1 Apr, 20 Mar, 1 Apr; new 25 Mar, 20 Mar, 1 Apr (UTC)
        -> {19, 20, 24, 25, 31 Mar, 1 Apr}
An erasure of C2 (raw rewritten in place): full. C2's events keep their own account, lose the
contact; E7 (dev-9, C2's device) loses both.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from cx_pipeline import catalog
from cx_pipeline.marts.builder import empty_table_sql, grain_check, load_spec
from cx_pipeline.privacy.erasure import record_erasure
from cx_pipeline.resources import Warehouse
from cx_pipeline.sql import table_exists
from cx_pipeline_tests.conftest import materialize_all, up_to
from cx_pipeline_tests.marts.mart_builds import last_build
from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

TZ = "America/New_York"
NEXT_DAY = "2026-04-01"
USAGE = up_to("marts.usage_daily")


def tables(*names: str) -> dg.AssetSelection:
    return dg.AssetSelection.assets(*(catalog.key(*n.split(".")) for n in names))


USAGE_ONLY = tables("marts.usage_daily")
# After a first build of everything usage_daily reads: what a day of events and the CRM
# (the as-of date, the contacts) change on the way to it, and not the other sources.
DAY = tables(
    "raw.events",
    "raw.subscriptions",
    "raw.contacts",
    "staging.events",
    "staging.contacts",
    "staging.identity_map",
    "staging.resolved_events",
    "marts.usage_daily",
)
D = dt.date


def at(month: int, day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


# event_id, contact_id, account_id, occurred_at, event_name, anonymous_id
FIRST = [
    ("E1", "C1", "A1", at(3, 10, 12), "login", None),
    ("E2", "C2", "A1", at(3, 11, 12), "report_created", None),
    ("E3", "C4", "A3", at(3, 12, 12), "login", None),
    ("E7", None, None, at(3, 5, 2), "page_viewed", "dev-9"),
]
SECOND = [
    ("E4", "C1", "A1", at(4, 1, 3), "report_created", None),
    ("E5", "C6", "A6", at(4, 1, 15), "login", None),
    ("E6", "C4", "A3", at(3, 20, 12), "login", None),
    ("E8", "C2", "A1", at(4, 1, 14), "login", "dev-9"),
]
SECOND_AGAIN = [
    ("E4", "C1", "A1", at(3, 25, 12), "report_created", None),
    ("E6", "C4", "A3", at(3, 20, 12), "login", None),
    ("E8", "C2", "A1", at(4, 1, 14), "login", "dev-9"),
]

# (account_id, contact_id, day, event_name) -> events, worked out from the lists above.
AFTER_FIRST = {
    ("A1", "C1", D(2026, 3, 10), "login"): 1,
    ("A1", "C2", D(2026, 3, 11), "report_created"): 1,
    ("A3", "C4", D(2026, 3, 12), "login"): 1,
    (None, None, D(2026, 3, 4), "page_viewed"): 1,
}
AFTER_SECOND = {
    **{k: v for k, v in AFTER_FIRST.items() if k[0] is not None},
    ("A1", "C2", D(2026, 3, 4), "page_viewed"): 1,
    ("A3", "C4", D(2026, 3, 20), "login"): 1,
    ("A1", "C1", D(2026, 3, 31), "report_created"): 1,
    ("A6", "C6", D(2026, 4, 1), "login"): 1,
    ("A1", "C2", D(2026, 4, 1), "login"): 1,
}
AFTER_REDELIVERY = {
    **{
        k: v
        for k, v in AFTER_SECOND.items()
        if k
        not in {
            ("A1", "C1", D(2026, 3, 31), "report_created"),
            ("A6", "C6", D(2026, 4, 1), "login"),
        }
    },
    ("A1", "C1", D(2026, 3, 25), "report_created"): 1,
}
AFTER_ERASURE = {
    ("A1", "C1", D(2026, 3, 10), "login"): 1,
    ("A1", None, D(2026, 3, 11), "report_created"): 1,
    ("A3", "C4", D(2026, 3, 12), "login"): 1,
    (None, None, D(2026, 3, 4), "page_viewed"): 1,
    ("A3", "C4", D(2026, 3, 20), "login"): 1,
    ("A1", "C1", D(2026, 3, 25), "report_created"): 1,
    ("A1", None, D(2026, 4, 1), "login"): 1,
}


def write_events(root: Path, day: str, events: list[tuple]) -> None:
    folder = root / "analytics" / day
    folder.mkdir(parents=True, exist_ok=True)
    columns = ["event_id", "contact_id", "account_id", "occurred_at", "event_name", "anonymous_id"]
    frame = pl.DataFrame([dict(zip(columns, e, strict=True)) for e in events])
    frame.with_columns(session_id=pl.lit("s"), properties=pl.lit(None, pl.String)).write_parquet(
        folder / "events.parquet"
    )


def deliver(root: Path, day: str, events: list[tuple]) -> None:
    """Every other source delivers the same files again that day; analytics these events."""
    for source in ("crm", "support", "surveys"):
        folder = root / source / day
        folder.mkdir(parents=True, exist_ok=True)
        for path in (root / source / DELIVERY).iterdir():
            shutil.copy(path, folder / path.name)
    write_events(root, day, events)


def run(
    root: Path,
    database: Path,
    day: str,
    selection: dg.AssetSelection = DAY,
    **settings: object,
) -> None:
    d = dt.date.fromisoformat(day)
    materialize_all(
        root, database, days=(d, d), selection=selection, **{"timezone": TZ, **settings}
    )


def usage(database: Path) -> dict[tuple, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "SELECT account_id, contact_id, day, event_name, events FROM marts.usage_daily"
        ).fetchall()
    found = {tuple(r[:4]): r[4] for r in rows}
    assert len(found) == len(rows)
    return found


def assert_equals_full_rebuild(root: Path, database: Path, tmp_path: Path) -> None:
    """A copy of the warehouse rebuilds usage_daily in full from the same staging: no row of
    either table is missing from the other."""
    copy = tmp_path / "full.duckdb"
    shutil.copy(database, copy)
    run(root, copy, NEXT_DAY, USAGE_ONLY, full_rebuild=True)
    assert last_build(copy, "usage_daily", "days")[:2] == ("full", "CX_FULL_REBUILD is set")
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(f"ATTACH '{copy}' AS full_build (READ_ONLY)")
        ours, full = "marts.usage_daily", "full_build.marts.usage_daily"
        for a, b in ((ours, full), (full, ours)):
            extra = con.execute(f"SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}").fetchall()
            assert extra == [], f"in {a}, not in {b}: {extra}"
    copy.unlink()


def test_usage_daily_replaces_only_the_days_that_changed(tmp_path: Path) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    write_events(root, DELIVERY, FIRST)
    database = tmp_path / "cx.duckdb"

    run(root, database, DELIVERY, USAGE)
    assert last_build(database, "usage_daily", "days") == ("full", "first build", None)
    assert usage(database) == AFTER_FIRST

    deliver(root, NEXT_DAY, SECOND)
    run(root, database, NEXT_DAY)
    mode, reason, days = last_build(database, "usage_daily", "days")
    assert (mode, reason) == ("incremental", "changed events, identity links and as-of days only")
    assert days == [D(2026, 3, 4), D(2026, 3, 19), D(2026, 3, 20), D(2026, 3, 31), D(2026, 4, 1)]
    assert usage(database) == AFTER_SECOND
    assert_equals_full_rebuild(root, database, tmp_path)

    write_events(root, NEXT_DAY, SECOND_AGAIN)
    run(root, database, NEXT_DAY)
    mode, reason, days = last_build(database, "usage_daily", "days")
    assert mode == "incremental"
    assert days == [
        D(2026, 3, 19),
        D(2026, 3, 20),
        D(2026, 3, 24),
        D(2026, 3, 25),
        D(2026, 3, 31),
        D(2026, 4, 1),
    ]
    assert usage(database) == AFTER_REDELIVERY
    assert_equals_full_rebuild(root, database, tmp_path)

    # Nothing new: nothing to replace.
    run(root, database, NEXT_DAY, USAGE_ONLY)
    assert last_build(database, "usage_daily", "days") == (
        "incremental",
        "changed events, identity links and as-of days only",
        [],
    )

    warehouse = Warehouse(database=str(database), memory_limit="1GB")
    with warehouse.get_connection() as con:
        record_erasure(con, contact_id="C2", email=None, reason="test")
        # The snapshot of identity links (contact and device ids) goes with the erasure, even
        # if no run ever rebuilds the mart again.
        assert not table_exists(con, "audit", "usage_daily_identity")
    run(root, database, NEXT_DAY)
    assert last_build(database, "usage_daily", "days") == (
        "full",
        "raw was rewritten in place (erasure or retention purge)",
        None,
    )
    assert usage(database) == AFTER_ERASURE
    assert_equals_full_rebuild(root, database, tmp_path)


def test_usage_daily_rebuilds_in_full_when_a_rule_or_setting_changes(tmp_path: Path) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    write_events(root, DELIVERY, FIRST)
    deliver(root, NEXT_DAY, SECOND)
    database = tmp_path / "cx.duckdb"
    materialize_all(root, database, selection=USAGE, timezone=TZ)
    assert last_build(database, "usage_daily", "days")[:2] == ("full", "first build")

    run(root, database, NEXT_DAY, USAGE_ONLY, timezone="UTC")
    assert last_build(database, "usage_daily", "days")[:2] == (
        "full",
        "the reporting timezone changed from America/New_York to UTC",
    )
    run(root, database, NEXT_DAY, USAGE_ONLY, as_of="2026-03-31")
    assert last_build(database, "usage_daily", "days")[:2] == (
        "full",
        "the reporting timezone changed from UTC to America/New_York",
    )
    run(root, database, NEXT_DAY, USAGE_ONLY, as_of="2026-03-30")
    assert last_build(database, "usage_daily", "days")[:2] == (
        "full",
        "the as-of date moved backwards, from 2026-03-31 to 2026-03-30",
    )
    # Forwards again: only the days newly inside the window.
    run(root, database, NEXT_DAY, USAGE_ONLY)
    assert last_build(database, "usage_daily", "days") == (
        "incremental",
        "changed events, identity links and as-of days only",
        [D(2026, 3, 31), D(2026, 4, 1)],
    )
    with duckdb.connect(str(database)) as con:  # as if the SQL of the last build were older
        con.execute("UPDATE audit.mart_builds SET fingerprint = 'older'")
    run(root, database, NEXT_DAY, USAGE_ONLY)
    assert last_build(database, "usage_daily", "days")[0] == "full"
    assert last_build(database, "usage_daily", "days")[1].startswith("its SQL changed")

    run(root, database, NEXT_DAY, tables("staging.events"), full_rebuild=True)
    run(root, database, NEXT_DAY, USAGE_ONLY)
    assert last_build(database, "usage_daily", "days")[:2] == (
        "full",
        "staging.events was rebuilt in full (CX_FULL_REBUILD is set)",
    )


def test_the_grain_check_of_an_incremental_build_reads_the_replaced_days(tmp_path: Path) -> None:
    """Two rows share their grain on 2 Mar: the check finds them when 2 Mar was replaced, and
    a build that replaced only 3 Mar does not read 2 Mar (checked when it was built)."""
    spec = load_spec("usage_daily")
    with duckdb.connect(str(tmp_path / "cx.duckdb")) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(empty_table_sql(spec))
        con.execute(
            "INSERT INTO marts.usage_daily VALUES "
            "('A1', 'C1', DATE '2026-03-02', 'login', 1, NULL), "
            "('A1', 'C1', DATE '2026-03-02', 'login', 2, NULL), "
            "('A1', 'C1', DATE '2026-03-03', 'login', 1, NULL)"
        )
        assert not grain_check(con, spec, "day = DATE '2026-03-02'").passed
        assert grain_check(con, spec, "day = DATE '2026-03-03'").passed
        assert not grain_check(con, spec).passed
