"""Support family: ticket metrics, business minutes, SLA breaches, the backlog and the monthly
medians worked out by hand on `support_extracts` (the hand computation is in its docstring):
a ticket reopened twice, one over a weekend, one over a holiday, one over the DST change that
breaches its business-hours SLA by one minute, one urgent ticket a minute late and one on time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cx_pipeline import catalog
from cx_pipeline.generate.generator import generate
from cx_pipeline.partitions import delivered_days, range_tags
from cx_pipeline.report import page
from cx_pipeline.resources import ExtractStore
from cx_pipeline_tests.conftest import REPO_ROOT, all_assets, make_resources, reader
from cx_pipeline_tests.marts.support_extracts import (
    write_support_extracts,
    write_support_reference,
)
from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

Query = Callable[..., list[tuple]]

MARTS = ("ticket_metrics", "ticket_backlog", "support_by_month")


def _materialize(
    extracts: Path, reference_root: Path, warehouse: Path, **settings: object
) -> dg.ExecuteInProcessResult:
    """The support marts and what they read; raw.subscriptions too, which gives the as-of day."""
    resources = make_resources(extracts, warehouse, **settings)
    resources["extracts"] = ExtractStore(root=str(extracts), reference_root=str(reference_root))
    days = delivered_days(extracts)
    selection = dg.AssetSelection.assets(
        *(catalog.key("marts", name) for name in MARTS)
    ).upstream() | dg.AssetSelection.assets(catalog.key("raw", "subscriptions"))
    return dg.materialize(
        all_assets(),
        resources=resources,
        selection=selection,
        tags=range_tags(days[0], days[-1]),
    )


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("support")
    _materialize(
        write_support_extracts(root / "extracts"),
        write_support_reference(root / "reference"),
        root / "cx.duckdb",
    )
    return root / "cx.duckdb"


@pytest.fixture(scope="module")
def tiny(tiny_path: Path) -> Query:
    return reader(tiny_path)


def _ticket(query: Query, ticket_id: str, columns: str) -> tuple:
    return query(
        f"SELECT {columns} FROM marts.ticket_metrics WHERE ticket_id = $t", {"t": ticket_id}
    )[0]


TIMES = (
    "first_reply_calendar_minutes, first_reply_business_minutes, "
    "first_resolution_calendar_minutes, first_resolution_business_minutes, "
    "full_resolution_calendar_minutes, full_resolution_business_minutes"
)
STATUS_TIMES = (
    "requester_wait_calendar_minutes, requester_wait_business_minutes, "
    "agent_work_calendar_minutes, agent_work_business_minutes, "
    "agent_wait_calendar_minutes, agent_wait_business_minutes"
)
TOUCHES = "public_agent_replies, reopens, is_one_touch_resolution, is_two_touch_resolution"
SLA = "first_reply_sla_minutes, first_reply_breached, resolution_sla_minutes, resolution_breached"


def test_ticket_reopened_twice(tiny: Query) -> None:
    assert _ticket(tiny, "T10", TIMES) == (60, 60, 180, 180, 2910, 990)
    assert _ticket(tiny, "T10", STATUS_TIMES) == (210, 210, 190, 190, 60, 60)
    assert _ticket(tiny, "T10", TOUCHES) == (3, 2, False, False)
    assert _ticket(tiny, "T10", SLA) == (60, False, 990, False)
    # 12 stretches: the event repeating 'open' at 10:30 starts none, closing is the last.
    spans = tiny(
        "SELECT status FROM marts.ticket_status_spans WHERE ticket_id = 'T10' ORDER BY span_number"
    )
    assert [s for (s,) in spans] == [
        "new", "open", "pending", "open", "solved", "open", "hold", "open", "solved", "open",
        "solved", "closed",
    ]  # fmt: skip


def test_one_and_two_touch_resolutions(tiny: Query) -> None:
    assert _ticket(tiny, "T11", TOUCHES) == (1, 0, True, False)
    assert _ticket(tiny, "T11", STATUS_TIMES) == (45, 45, 45, 45, 0, 0)
    assert _ticket(tiny, "T12", TOUCHES) == (2, 0, False, True)
    assert _ticket(tiny, "T12", STATUS_TIMES) == (40, 40, 40, 40, 20, 20)
    # Still pending: not a resolution, and no status times before the ticket is solved.
    assert _ticket(tiny, "T19", TOUCHES) == (1, 0, False, False)
    assert _ticket(tiny, "T19", STATUS_TIMES) == (None,) * 6


def test_urgent_calendar_sla_breached_by_one_minute_and_met_on_the_minute(tiny: Query) -> None:
    assert _ticket(tiny, "T13", "sla_in_business_hours, first_reply_target_minutes") == (
        False,
        60,
    )
    assert _ticket(tiny, "T13", SLA) == (61, True, 360, False)
    assert _ticket(tiny, "T13", TIMES) == (61, 61, 360, 120, 360, 120)
    assert _ticket(tiny, "T14", SLA) == (60, False, 60, False)


def test_weekend_in_business_minutes_without_events(tiny: Query) -> None:
    assert _ticket(tiny, "T15", TIMES) == (3885, 45, 3990, 150, 3990, 150)
    # No history: reopens, touches and status times are unknown, not zero.
    assert _ticket(tiny, "T15", f"has_events, {TOUCHES}, {STATUS_TIMES}") == (False,) + (None,) * 10
    assert _ticket(tiny, "T15", SLA) == (45, False, 150, False)


def test_dst_change_moves_the_working_hours_and_breaches_by_one_minute(tiny: Query) -> None:
    # Monday 30 March starts at 07:00 UTC (09:00 CEST), not 08:00: 60 + 61 business minutes.
    assert _ticket(tiny, "T16", TIMES) == (3901, 121, 3960, 180, 3960, 180)
    assert _ticket(tiny, "T16", SLA) == (121, True, 180, False)
    assert _ticket(tiny, "T16", STATUS_TIMES) == (3901, 121, 3901, 121, 59, 59)
    windows = tiny(
        "SELECT day, strftime(window_start AT TIME ZONE 'UTC', '%H:%M') FROM "
        "marts.business_hours_windows WHERE day BETWEEN '2026-03-27' AND '2026-03-30' ORDER BY day"
    )
    assert [(str(d), t) for d, t in windows] == [("2026-03-27", "08:00"), ("2026-03-30", "07:00")]


def test_holiday_has_no_business_minutes(tiny: Query) -> None:
    assert _ticket(tiny, "T17", TIMES) == (2470, 70, 2520, 120, 2520, 120)
    days = tiny(
        "SELECT day FROM marts.business_hours_windows "
        "WHERE day BETWEEN '2025-12-31' AND '2026-01-02' ORDER BY day"
    )
    assert [str(d) for (d,) in days] == ["2025-12-31", "2026-01-02"]


def test_sla_breached_while_still_open_and_undecided_within_target(tiny: Query) -> None:
    # T18: 600 minutes to the end of the as-of day, over both urgent targets.
    assert _ticket(tiny, "T18", SLA) == (600, True, 600, True)
    # T19: replied within target; resolution 60 business minutes so far, within 4800.
    assert _ticket(tiny, "T19", SLA) == (30, False, 60, None)
    # T20: solved without a reply: the first-reply clock stops at the solve.
    assert _ticket(tiny, "T20", f"first_reply_at, {SLA}") == (None, 30, False, 30, False)


def test_backlog_by_day(tiny: Query) -> None:
    rows = {
        str(day): values
        for day, *values in tiny(
            "SELECT day, created_tickets, solves, open_tickets, waiting_tickets "
            "FROM marts.ticket_backlog"
        )
    }
    assert min(rows) == "2025-12-31" and max(rows) == "2026-03-31"
    busy = {day: tuple(v) for day, v in rows.items() if any(v)}
    assert busy == {
        "2025-12-31": (1, 0, 1, 0),
        "2026-01-01": (0, 0, 1, 0),
        "2026-01-02": (0, 1, 0, 0),
        "2026-02-03": (1, 1, 0, 0),
        "2026-03-03": (1, 1, 0, 0),
        "2026-03-04": (3, 4, 0, 0),
        "2026-03-05": (1, 2, 0, 0),
        "2026-03-13": (1, 0, 1, 0),
        "2026-03-14": (0, 0, 1, 0),
        "2026-03-15": (0, 0, 1, 0),
        "2026-03-16": (0, 1, 0, 0),
        "2026-03-27": (1, 0, 1, 0),
        "2026-03-28": (0, 0, 1, 0),
        "2026-03-29": (0, 0, 1, 0),
        "2026-03-30": (0, 1, 0, 0),
        "2026-03-31": (2, 0, 2, 1),
    }


def _month(query: Query, dimension: str, value: str, columns: str) -> tuple:
    rows = query(
        f"SELECT {columns} FROM marts.support_by_month WHERE month = '2026-03-01' "
        "AND dimension = $d AND value = $v",
        {"d": dimension, "v": value},
    )
    return tuple(round(v, 4) if isinstance(v, float) else v for v in rows[0])


def test_monthly_medians_percentiles_and_rates(tiny: Query) -> None:
    assert _month(
        tiny,
        "all",
        "all",
        "tickets, solved_tickets, median_first_reply_calendar_minutes, "
        "p90_first_reply_calendar_minutes, median_first_reply_business_minutes, "
        "p90_first_reply_business_minutes, median_full_resolution_calendar_minutes, "
        "p90_full_resolution_calendar_minutes, median_full_resolution_business_minutes, "
        "p90_full_resolution_business_minutes, median_requester_wait_business_minutes, "
        "median_agent_work_business_minutes",
    ) == (9, 7, 60, 3889.8, 52.5, 79, 360, 3972, 120, 504, 90, 90)
    assert _month(
        tiny,
        "all",
        "all",
        "one_touch_pct, reopened_pct, first_reply_sla_tickets, first_reply_breaches, "
        "first_reply_breach_pct, resolution_sla_tickets, resolution_breaches, "
        "resolution_breach_pct, csat_responses, csat_average, csat_satisfied_pct",
    ) == (66.6667, 16.6667, 9, 3, 33.3333, 8, 1, 12.5, 6, 3.3333, 50)


def test_csat_and_breaches_per_group_and_agent(tiny: Query) -> None:
    csat = "csat_responses, csat_average, csat_satisfied_pct"
    assert _month(tiny, "group", "G1", csat) == (4, 4.25, 75)
    assert _month(tiny, "group", "G2", csat) == (2, 1.5, 0)
    assert _month(tiny, "agent", "U2", f"tickets, first_reply_breaches, {csat}") == (
        3,
        1,
        2,
        3.0,
        50,
    )
    assert _month(tiny, "agent", "(none)", "tickets") == (2,)


def test_without_ticket_events_or_a_schedule(tmp_path: Path) -> None:
    """Today's extracts (no ticket_events, no assignee or group) and no reference files: the
    marts build; what needs the history or the schedule is null, never an invented zero. T3 was
    solved on 11 Mar and is open again: without a history it counts as unsolved (in the backlog
    on 31 Mar with T2, no resolution time)."""
    extracts = write_tiny_extracts(tmp_path / "extracts")
    with (extracts / "support" / DELIVERY / "tickets.csv").open("a") as f:
        f.write(
            "T3,A1,C1,2026-03-10T09:00:00Z,2026-03-10T10:00:00Z,2026-03-11T09:00:00Z,"
            "email,low,open,billing,Again,Still wrong,\n"
        )
    _materialize(extracts, tmp_path / "empty", tmp_path / "cx.duckdb")
    query = reader(tmp_path / "cx.duckdb")
    rows = query(
        f"SELECT ticket_id, group_id, first_reply_calendar_minutes, first_reply_business_minutes, "
        f"{TOUCHES}, first_reply_breached FROM marts.ticket_metrics ORDER BY ticket_id"
    )
    assert rows == [
        ("T1", None, 30, None, None, None, None, None, None),
        ("T2", None, None, None, None, None, None, None, None),
        ("T3", None, 60, None, None, None, None, None, None),
    ]
    assert query(
        "SELECT last_solved_at, full_resolution_calendar_minutes FROM marts.ticket_metrics "
        "WHERE ticket_id = 'T3'"
    ) == [(None, None)]
    assert query(
        "SELECT day, open_tickets FROM marts.ticket_backlog WHERE day IN ('2026-03-01', "
        "'2026-03-11', '2026-03-31') ORDER BY day"
    ) == [(dt.date(2026, 3, 1), 1), (dt.date(2026, 3, 11), 1), (dt.date(2026, 3, 31), 2)]


def test_report_shows_sla_attainment(tiny_path: Path) -> None:
    """March 2026: first reply within SLA for 6 of 9 decided (66.7%), resolution for 7 of 8
    (87.5%); median first reply 52.5 business minutes, 90th percentile 79; CSAT 4-5 on 3 of 6."""
    with duckdb.connect(str(tiny_path), read_only=True) as con:
        section = page._support(con)  # the report's section (the rest needs other marts)
    assert (
        "Tickets created in March 2026: 9; first reply within SLA 66.7% of 9 decided, "
        "resolution within SLA 87.5% of 8; median first reply 52 min (90th percentile 79 min)"
    ) in section
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", section)]
    assert [c for c in cells if c] == [
        ["Dec 25", "1", "100.0%", "100.0%", "70 min", "70 min", "120 min", "100.0%"],
        ["Feb 26", "1", "100.0%", "100.0%", "n/a", "n/a", "30 min", "n/a"],
        ["Mar 26", "9", "66.7%", "87.5%", "52 min", "79 min", "120 min", "50.0%"],
    ]
    assert "Source: marts.support_by_month" in section


def test_reporting_timezone_sets_the_day_ends(tmp_path: Path) -> None:
    """With CX_TIMEZONE=Europe/Berlin the as-of day ends at 1 Apr 00:00 CEST = 31 Mar 22:00 UTC:
    T18 has waited 480 calendar minutes, over the urgent first-reply target (60) but exactly on
    the resolution target (480), so that SLA is still undecided (it was breached at 600 minutes
    in UTC). Day ends move too: T13 (solved 4 Mar 20:00 UTC = 21:00 CET) stays solved on 4 Mar,
    and the 23-hour day of 29 Mar ends at 22:00 UTC with T16 still open."""
    _materialize(
        write_support_extracts(tmp_path / "extracts"),
        write_support_reference(tmp_path / "reference"),
        tmp_path / "cx.duckdb",
        timezone="Europe/Berlin",
    )
    query = reader(tmp_path / "cx.duckdb")
    assert _ticket(query, "T18", SLA) == (480, True, 480, None)
    assert query(
        "SELECT day, solves, open_tickets FROM marts.ticket_backlog "
        "WHERE day IN ('2026-03-04', '2026-03-29', '2026-03-30') ORDER BY day"
    ) == [
        (dt.date(2026, 3, 4), 4, 0),
        (dt.date(2026, 3, 29), 0, 1),
        (dt.date(2026, 3, 30), 1, 0),
    ]


def _business_minutes(start: dt.datetime, end: dt.datetime, holidays: set[dt.date]) -> float:
    """Minutes of [start, end) inside Monday-Friday 09:00-17:00 UTC, holidays left out: the
    shipped schedule, counted day by day in Python."""
    total = 0.0
    day = start.date() - dt.timedelta(days=1)
    while day <= end.date():
        if day.weekday() < 5 and day not in holidays:
            opens = dt.datetime.combine(day, dt.time(9), dt.UTC)
            closes = dt.datetime.combine(day, dt.time(17), dt.UTC)
            overlap = (min(end, closes) - max(start, opens)).total_seconds() / 60
            total += max(overlap, 0.0)
        day += dt.timedelta(days=1)
    return total


def test_generated_histories_recomputed_in_python(tmp_path: Path) -> None:
    """The generator's tickets with their planted histories (replies and solves exactly at
    first_response_at and solved_at), through the shipped schedule, holidays and SLA policies:
    every ticket's first reply and full resolution in calendar and business minutes, and every
    first-reply breach, recomputed independently from the tickets' own timestamps."""
    extracts = tmp_path / "extracts"
    generate(extracts, scale="small", seed=7, as_of=dt.date(2026, 10, 31), progress=None)
    _materialize(extracts, REPO_ROOT / "data" / "reference", tmp_path / "cx.duckdb")
    query = reader(tmp_path / "cx.duckdb")
    holidays = {d for (d,) in query("SELECT holiday_date FROM raw.holidays")}
    targets = dict(query("SELECT priority, first_reply_minutes FROM raw.sla_policies"))
    in_hours = dict(query("SELECT priority, business_hours FROM raw.sla_policies"))
    rows = query(
        "SELECT t.ticket_id, t.created_at, t.first_response_at, t.solved_at, t.status, "
        "t.priority, m.has_events, m.first_reply_calendar_minutes, "
        "m.first_reply_business_minutes, m.full_resolution_calendar_minutes, "
        "m.full_resolution_business_minutes, m.first_reply_breached "
        "FROM staging.tickets AS t JOIN marts.ticket_metrics AS m USING (ticket_id)"
    )
    assert len(rows) > 1000
    breaches = 0
    for ticket, created, replied, solved, status, priority, events, *measured in rows:
        # A ticket neither answered nor solved yet has no history.
        assert events == (replied is not None or solved is not None), ticket
        reply_cal, reply_bus, resolution_cal, resolution_bus, breached = measured
        if replied is None:
            assert reply_cal is None and reply_bus is None, ticket
        else:
            assert reply_cal == pytest.approx((replied - created).total_seconds() / 60), ticket
            business = _business_minutes(created, replied, holidays)
            assert reply_bus == pytest.approx(business), ticket
            elapsed = business if in_hours[priority] else reply_cal
            assert breached == (elapsed > targets[priority]), ticket
            breaches += breached
        if status in ("solved", "closed"):
            assert resolution_cal == pytest.approx((solved - created).total_seconds() / 60)
            assert resolution_bus == pytest.approx(_business_minutes(created, solved, holidays))
        else:
            assert resolution_cal is None, ticket
    assert breaches > 0


def test_a_schedule_in_two_timezones_fails_with_the_reason(tmp_path: Path) -> None:
    reference = write_support_reference(tmp_path / "reference")
    (reference / "business_hours.csv").write_text(
        "weekday,start_time,end_time,timezone\n"
        "1,09:00,17:00,Europe/Berlin\n"
        "2,09:00,17:00,Europe/London\n"
        "3,17:00,09:00,Europe/Berlin\n"
    )
    with pytest.raises(Exception, match="2 timezones") as failure:
        _materialize(write_support_extracts(tmp_path / "extracts"), reference, tmp_path / "cx.db")
    assert "Europe/Berlin, Europe/London" in str(failure.value)
    assert "1 row(s) whose end_time is not after start_time" in str(failure.value)
