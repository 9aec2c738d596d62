"""The shipped `intercom` adapter: Conversations API pages load as support tickets.

The fixtures under fixtures/intercom are one delivery day as Intercom's API returns it: a page
of GET /conversations (conversations-0001.json) and a later page (conversations-0002.json) that
re-delivers conversation 30002 after it was answered, closed and rated. Timestamps are Unix
seconds, except one conversation whose created_at an export tool turned into ISO 8601.
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
from cx_pipeline_tests.adapters.delivery import load, query, shipped_reader
from cx_pipeline_tests.tiny_extracts import DELIVERY

FIXTURES = Path(__file__).parent / "fixtures" / "intercom"
TICKETS = entity("tickets")
UTC = dt.UTC
PAGE_1 = f"support/{DELIVERY}/conversations-0001.json"
PAGE_2 = f"support/{DELIVERY}/conversations-0002.json"


@pytest.fixture(scope="module")
def delivery(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[DeliveryLoad, Callable[..., list[tuple]]]:
    """The fixture delivery, loaded once for the module with the real loader."""
    tmp_path = tmp_path_factory.mktemp("intercom")
    reader = shipped_reader(tmp_path, "support", "intercom")
    return load(tmp_path, reader, "tickets", FIXTURES), partial(query, tmp_path)


def test_the_sources_file_selects_the_shipped_adapter(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "support", "intercom")
    assert reader.name == "intercom"
    assert reader.mapping.source == "support"
    assert reader.file_patterns(TICKETS) == ("conversations.json", "conversations-*.json")


def test_conversations_read_as_tickets(delivery) -> None:
    _, query = delivery
    rows = query(f"SELECT * FROM ({staging_select(TICKETS)}) ORDER BY ticket_id")
    assert [r[:13] for r in rows] == [
        # Messenger -> chat, closed -> solved after a reopen (the last close counts),
        # priority -> high, first of two tags as the category, rating 4. No account on a
        # conversation; chat has an empty subject.
        (
            "30001",
            None,
            "65f0a1b2c3d4e5f601234567",
            dt.datetime(2026, 3, 30, 9, 0, tzinfo=UTC),
            dt.datetime(2026, 3, 30, 9, 5, tzinfo=UTC),
            dt.datetime(2026, 3, 30, 11, 0, tzinfo=UTC),
            "chat",
            "high",
            "solved",
            "Billing",
            None,
            "<p>Bonjour, l\u2019export PDF échoue 😕</p>",  # a typographic apostrophe
            4,
        ),
        # The later page wins: answered 13:20, closed 15:00, rated 5 (open and unrated on page 1).
        (
            "30002",
            None,
            "65f0a1b2c3d4e5f601234568",
            dt.datetime(2026, 3, 30, 13, 0, tzinfo=UTC),
            dt.datetime(2026, 3, 30, 13, 20, tzinfo=UTC),
            dt.datetime(2026, 3, 30, 15, 0, tzinfo=UTC),
            "email",
            "normal",
            "solved",
            None,
            "Invoice #4411 missing",
            "<p>Hi team,</p><p>where is invoice #4411?</p>",
            5,
        ),
        # phone_call -> phone, snoozed -> pending; a rating object of nulls is no rating.
        (
            "30003",
            None,
            "65f0a1b2c3d4e5f601234569",
            dt.datetime(2026, 3, 29, 23, 30, tzinfo=UTC),
            dt.datetime(2026, 3, 29, 23, 31, tzinfo=UTC),
            None,
            "phone",
            "normal",
            "pending",
            "Outage",
            None,
            "<p>Inbound call from [phone]</p>",  # contact details are masked in staging
            None,
        ),
        # whatsapp -> social; a plain-text body; rating 1 with an empty remark.
        (
            "30004",
            None,
            "65f0a1b2c3d4e5f60123456a",
            dt.datetime(2026, 3, 30, 16, 45, 30, tzinfo=UTC),
            dt.datetime(2026, 3, 30, 16, 50, 30, tzinfo=UTC),
            dt.datetime(2026, 3, 30, 17, 10, tzinfo=UTC),
            "social",
            "high",
            "solved",
            "Envíos",
            None,
            "Mi pedido no llegó",
            1,
        ),
        # An automated outbound email the contact replied to loads like any email
        # conversation (delivered_as stays in _extra).
        (
            "30006",
            None,
            "65f0a1b2c3d4e5f60123456c",
            dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
            None,
            None,
            "email",
            "normal",
            "open",
            None,
            "Your trial ends in 3 days",
            "<p>Hi Ana, your trial ends on Thursday.</p>",
            None,
        ),
        # created_at as ISO text is read as is; no contacts, statistics null.
        (
            "30007",
            None,
            None,
            dt.datetime(2026, 3, 30, 20, 15, tzinfo=UTC),
            None,
            None,
            "chat",
            "normal",
            "open",
            None,
            None,
            "<p>Can I pay by SEPA?</p>",
            None,
        ),
    ]
    # requester_email: the source author's e-mail when the author is a contact; the admin who
    # sent an outbound message (30006) is not the requester.
    assert [(r[0], r[13]) for r in rows] == [
        ("30001", "zoe@alpha.example"),
        ("30002", "bob@alpha.example"),
        ("30003", None),  # the caller has no e-mail
        ("30004", None),  # a WhatsApp lead without e-mail
        ("30006", None),  # authored by admin mark@example.com
        ("30007", None),
    ]
    # The assigned admin and team (30002's later page assigns an admin as well).
    assert [(r[0], *r[14:16]) for r in rows] == [
        ("30001", "814860", None),
        ("30002", "814860", "5017691"),
        ("30003", "814861", None),
        ("30004", "814861", None),
        ("30006", None, None),
        ("30007", None, None),
    ]
    assert rows[1][17] == PAGE_2


def test_values_without_a_translation_are_quarantined_with_the_rule(delivery) -> None:
    result, query = delivery
    quarantined = query(
        "SELECT record->>'ticket_id', list_sort(broken_rules), _source_file, _row_number "
        "FROM quarantine.tickets"
    )
    assert quarantined == [("30005", ["allowed:channel"], PAGE_1, 5)]  # an SMS conversation
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 7, 1)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    audit = query(
        "SELECT source_file, rows_read, rows_loaded, rows_quarantined FROM audit.loads ORDER BY 1"
    )
    assert audit == [(PAGE_1, 7, 6, 1), (PAGE_2, 1, 1, 0)]


def test_the_whole_conversation_is_kept_in_extra(delivery) -> None:
    _, query = delivery
    ((extra,),) = query(
        f"SELECT _extra FROM raw.tickets WHERE ticket_id = '30001' AND _source_file = '{PAGE_1}'"
    )
    conversation = json.loads(extra)
    assert conversation["source"]["delivered_as"] == "customer_initiated"
    assert conversation["contacts"]["contacts"][0]["external_id"] == "C-1001"
    assert [t["name"] for t in conversation["tags"]["tags"]] == ["Billing", "VIP"]
    assert conversation["conversation_rating"]["remark"] == "Très bien, merci 🙏"
    assert conversation["custom_attributes"] == {"Issue type": "Export", "Copilot used": False}
    assert conversation["statistics"]["count_reopens"] == 1
    ((delivered_as,),) = query(
        "SELECT _extra->>'$.source.delivered_as' FROM raw.tickets WHERE ticket_id = '30006'"
    )
    assert delivered_as == "automated"
    assert query("SELECT count(*), count(_extra) FROM raw.tickets") == [(8, 8)]
