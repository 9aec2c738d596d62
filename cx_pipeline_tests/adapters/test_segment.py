"""The shipped `segment` adapter: Segment Spec track calls (JSON lines) read as analytics.events."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cx_pipeline.adapters.sources import vendor_adapters
from cx_pipeline.contract import entity
from cx_pipeline.contract_sql import staging_select
from cx_pipeline_tests.adapters.delivery import load, query, shipped_reader

FIXTURES = Path(__file__).parent / "fixtures" / "segment"
EVENTS = entity("events")
UTC = dt.UTC


def test_the_shipped_adapter_is_chosen_by_name_in_a_sources_file(tmp_path: Path) -> None:
    assert "segment" in vendor_adapters()
    reader = shipped_reader(tmp_path, "analytics", "segment")
    assert reader.name == "segment"
    assert reader.mapping.source == "analytics"
    assert reader.file_patterns(EVENTS) == ("segment*.jsonl",)


def test_track_calls_load_and_other_calls_are_quarantined(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "analytics", "segment")
    result = load(tmp_path, reader, "events", FIXTURES / "segment-2026-03-31.jsonl")
    # 7 calls: 4 track calls load (one of them a retry of another), identify + page + a track
    # call with an unreadable timestamp are quarantined.
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 4, 3)
    assert result.files[0].rows_filtered == 2  # identify and page: left out, not faults
    staged = query(tmp_path, f"SELECT * FROM ({staging_select(EVENTS)}) ORDER BY event_id")
    assert [row[:7] for row in staged] == [
        (
            "ajs-next-0001",
            "C1",
            "A1",
            dt.datetime(2026, 3, 31, 9, 30, 0, 123000, tzinfo=UTC),
            "Report Created",
            None,  # the Spec has no session id
            '{"report_type":"nps","title":"Café Q1 ✓","filters":["region","tier"]}',
        ),
        # No properties at all: null, not an empty object.
        (
            "ajs-next-0003",
            "C1",
            "A1",
            dt.datetime(2026, 3, 31, 10, tzinfo=UTC),
            "Signed Out",
            None,
            None,
        ),
        # Anonymous (no userId), no context.groupId; 11:45 at +02:00 is 09:45 UTC.
        (
            "py-0002",
            None,
            None,
            dt.datetime(2026, 3, 31, 9, 45, tzinfo=UTC),
            "Dashboard Viewed",
            None,
            '{"dashboard":{"id":7,"name":"Überblick"}}',
        ),
    ]
    # anonymousId: the device id, with or without a userId.
    assert [(row[0], row[7]) for row in staged] == [
        ("ajs-next-0001", "6f1c-anon-1"),
        ("ajs-next-0003", "6f1c-anon-1"),
        ("py-0002", "6f1c-anon-2"),
    ]
    # The retried message was delivered twice: staging keeps the later copy (row 4).
    assert [row[-1] for row in staged] == [4, 3, 2]
    quarantined = query(
        tmp_path,
        "SELECT record->>'event_id', list_sort(broken_rules) FROM quarantine.events ORDER BY 1",
    )
    assert quarantined == [
        ("ajs-next-0004", ["filtered:$.type", "required:event_name"]),  # identify
        ("ajs-next-0005", ["filtered:$.type", "required:event_name"]),  # page
        ("ajs-next-0006", ["type:occurred_at"]),  # timestamp "yesterday"
    ]


def test_the_whole_call_is_kept_in_raw_extra(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "analytics", "segment")
    load(tmp_path, reader, "events", FIXTURES / "segment-2026-03-31.jsonl")
    extras = {
        event_id: json.loads(extra)
        for event_id, extra in query(tmp_path, "SELECT event_id, _extra FROM raw.events")
    }
    assert extras["py-0002"]["anonymousId"] == "6f1c-anon-2"
    assert extras["ajs-next-0001"]["projectId"] == "r9QxNCpUszLY641VRaszNv"
    assert extras["ajs-next-0001"]["context"]["page"]["title"] == "Rapports"
    # A quarantined identify call keeps its traits for whoever looks at it.
    assert extras["ajs-next-0004"]["traits"] == {"email": "ann@alpha.example", "name": "Ann Alpha"}
    assert query(tmp_path, "SELECT extra_columns FROM audit.loads") == [([],)]


def test_delivering_track_calls_only_quarantines_nothing_but_bad_values(tmp_path: Path) -> None:
    """The filter the doc page recommends (jq 'select(.type == "track")') leaves the calls
    that can be events; only a broken value is still quarantined."""
    lines = (FIXTURES / "segment-2026-03-31.jsonl").read_text(encoding="utf-8").splitlines()
    tracks = [line for line in lines if json.loads(line)["type"] == "track"]
    filtered = tmp_path / "segment-tracks.jsonl"
    filtered.write_text("\n".join(tracks) + "\n", encoding="utf-8")
    reader = shipped_reader(tmp_path, "analytics", "segment")
    result = load(tmp_path, reader, "events", filtered)
    assert (result.rows_read, result.rows_quarantined) == (5, 1)
