"""The shipped `zendesk` adapter: Zendesk API pages load as the contract, nothing is lost.

The fixtures under fixtures/zendesk are one delivery day as Zendesk's API returns it: a Tickets
API list page (tickets-0001.json), an incremental-export cursor page (tickets-0002.json, which
re-delivers ticket 105 after an update and carries a deleted ticket and an SMS ticket) and the
List Ticket Metrics response (ticket_metrics.json, with a row for a ticket not delivered).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from cx_pipeline.contract import entity
from cx_pipeline.contract_sql import staging_select
from cx_pipeline.ingest.loader import DeliveryLoad
from cx_pipeline_tests.adapters.delivery import deliver, load, query, shipped_reader, sources_file
from cx_pipeline_tests.conftest import RAW_AND_STAGING, materialize_all
from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

FIXTURES = Path(__file__).parent / "fixtures" / "zendesk"
TICKETS = entity("tickets")
UTC = dt.UTC


def load_tickets(
    tmp_path: Path, files: list[str]
) -> tuple[DeliveryLoad, Callable[..., list[tuple]]]:
    """Copy fixture files into one delivery folder, load it with the real loader."""
    reader = shipped_reader(tmp_path, "support", "zendesk")
    result = load(tmp_path, reader, "tickets", *(FIXTURES / name for name in files))
    return result, partial(query, tmp_path)


ALL_FILES = ["tickets-0001.json", "tickets-0002.json", "ticket_metrics.json"]


@pytest.fixture(scope="module")
def delivery(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[DeliveryLoad, Callable[..., list[tuple]]]:
    """The whole fixture delivery, loaded once for the module."""
    return load_tickets(tmp_path_factory.mktemp("zendesk"), ALL_FILES)


def test_the_sources_file_selects_the_shipped_adapter(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "support", "zendesk")
    assert reader.name == "zendesk"
    assert reader.mapping.source == "support"
    assert reader.file_patterns(TICKETS) == (
        "tickets.json",
        "tickets-*.json",
        "tickets.jsonl",
        "tickets-*.jsonl",
    )


def test_tickets_read_as_the_contract(delivery) -> None:
    _, query = delivery
    rows = query(f"SELECT * FROM ({staging_select(TICKETS)}) ORDER BY ticket_id")
    assert [r[:13] for r in rows] == [
        # email, solved; first reply = created + 30 calendar minutes; CSAT good = 5.
        (
            "101",
            "5001",
            "9001",
            dt.datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
            dt.datetime(2026, 3, 30, 8, 30, tzinfo=UTC),
            dt.datetime(2026, 3, 30, 11, 0, tzinfo=UTC),
            "email",
            "high",
            "solved",
            "question",
            "Export échoue — 請求書 PDF",
            "Bonjour,\nl'export PDF échoue depuis hier.\n— Zoë",
            5,
        ),
        # web, on hold -> open; no organization, priority or type; no reply yet; CSAT only
        # offered = no rating.
        (
            "102",
            None,
            "9002",
            dt.datetime(2026, 3, 30, 9, 15, tzinfo=UTC),
            None,
            None,
            "web",
            None,
            "open",
            None,
            "Can't log in with SSO",
            "Our SSO login loops back to the sign-in page.",
            None,
        ),
        # voice -> phone; 95 calendar minutes (0 business minutes) after 22:40; CSAT bad = 1.
        (
            "103",
            "5002",
            "9003",
            dt.datetime(2026, 3, 29, 22, 40, tzinfo=UTC),
            dt.datetime(2026, 3, 30, 0, 15, tzinfo=UTC),
            None,
            "phone",
            "urgent",
            "pending",
            "incident",
            "Dashboard down",
            "Call from Jürgen: nothing loads since the release.",
            1,
        ),
        # api -> web; seconds kept through minutes_after; CSAT unoffered = no rating.
        (
            "104",
            "5001",
            "9004",
            dt.datetime(2026, 3, 20, 7, 5, 9, tzinfo=UTC),
            dt.datetime(2026, 3, 20, 8, 6, 9, tzinfo=UTC),
            dt.datetime(2026, 3, 21, 12, 0, tzinfo=UTC),
            "web",
            "low",
            "closed",
            "task",
            "Plan change request",
            "Please move us to the annual plan.",
            None,
        ),
        # twitter -> social; the incremental page's later version wins (new/normal on page 1);
        # no ticket_metrics row, so no reply or solve time.
        (
            "105",
            "5003",
            "9005",
            dt.datetime(2026, 3, 30, 14, 0, tzinfo=UTC),
            None,
            None,
            "social",
            "high",
            "open",
            "problem",
            "Direct message from ana_dev",
            "your API returns 500 on /reports",
            None,
        ),
    ]
    # requester_email: a ticket carries only the requester's id, so it is never mapped (not even
    # from via.source.from, the sender of an e-mail ticket).
    assert [r[13] for r in rows] == [None] * 5
    # The agent and group a ticket is assigned to, as Zendesk ids (105 is unassigned).
    assert [r[14:16] for r in rows] == [
        ("235323", "98738"),
        ("235323", "98738"),
        ("235323", "98739"),
        ("235324", "98738"),
        (None, None),
    ]
    assert rows[4][17] == f"support/{DELIVERY}/tickets-0002.json"


def test_values_without_a_translation_are_quarantined_with_the_rule(delivery) -> None:
    result, query = delivery
    quarantined = query(
        "SELECT record->>'ticket_id', list_sort(broken_rules), _source_file, _row_number "
        "FROM quarantine.tickets ORDER BY 1"
    )
    page_2 = f"support/{DELIVERY}/tickets-0002.json"
    assert quarantined == [
        ("106", ["allowed:status"], page_2, 2),  # a deleted ticket (incremental export)
        ("107", ["allowed:channel"], page_2, 3),  # an SMS ticket: no contract channel
    ]
    assert result.rows_read == 8
    assert result.rows_quarantined == 2
    assert result.rows_loaded == 6  # ticket 105 twice in raw; staging keeps the later one
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    audit = query(
        "SELECT source_file, rows_read, rows_loaded, rows_quarantined FROM audit.loads ORDER BY 1"
    )
    assert audit == [
        (f"support/{DELIVERY}/tickets-0001.json", 5, 5, 0),
        (page_2, 3, 1, 2),
    ]


def test_the_whole_ticket_is_kept_in_extra(delivery) -> None:
    _, query = delivery
    ((extra,),) = query(
        "SELECT _extra FROM raw.tickets WHERE ticket_id = '101' AND _source_file LIKE '%0001%'"
    )
    ticket = json.loads(extra)
    assert ticket["tags"] == ["export", "vip"]
    assert ticket["satisfaction_rating"] == {
        "id": 1234,
        "score": "good",
        "comment": "Merci, très rapide !",
    }
    assert ticket["via"]["source"]["from"] == {"address": "zoe@alpha.example", "name": "Zoë Ærø"}
    assert ticket["custom_fields"] == [{"id": 27642, "value": "745"}, {"id": 27648, "value": None}]
    assert ticket["ticket_form_id"] == 360000001
    # Every delivered row is in raw, quarantined ones included.
    assert query("SELECT count(*), count(_extra) FROM raw.tickets") == [(8, 8)]


def test_a_delivery_without_ticket_metrics_still_loads(tmp_path: Path) -> None:
    result, query = load_tickets(tmp_path, ["tickets-0001.json"])
    assert (result.rows_read, result.rows_quarantined) == (5, 0)
    rows = query(
        f"SELECT ticket_id, first_response_at, solved_at, csat_score "
        f"FROM ({staging_select(TICKETS)}) ORDER BY ticket_id"
    )
    assert rows == [
        ("101", None, None, 5),
        ("102", None, None, None),
        ("103", None, None, 1),
        ("104", None, None, None),
        ("105", None, None, None),
    ]


def test_a_zendesk_delivery_runs_through_the_pipeline(tmp_path: Path, query) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    (root / "support" / DELIVERY / "tickets.csv").unlink()
    deliver(tmp_path, "support", *(FIXTURES / name for name in ALL_FILES))
    sources = sources_file(tmp_path, "support", "zendesk")
    # Two of eight rows are quarantined on purpose: let them through the share check. Zendesk
    # ids match no CRM contact or account: that is a warning, not a failure.
    materialize_all(
        root,
        tmp_path / "cx.duckdb",
        sources_file=str(sources),
        quarantine_block_share=1.0,
        selection=RAW_AND_STAGING,
    )
    assert query(
        "SELECT ticket_id, channel, status, csat_score FROM staging.tickets ORDER BY 1"
    ) == [
        ("101", "email", "solved", 5),
        ("102", "web", "open", None),
        ("103", "phone", "pending", 1),
        ("104", "web", "closed", None),
        ("105", "social", "open", None),
    ]
    assert query("SELECT count(*) FROM staging.accounts") == [(6,)]
