"""The shipped `ga4` adapter: the GA4 BigQuery export (JSON lines, and Parquet with the
documented two-line edit) read as analytics.events."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cx_pipeline.adapters.mapping import MappingReader, parse_mapping
from cx_pipeline.adapters.sources import VENDORS, vendor_adapters
from cx_pipeline.contract import entity
from cx_pipeline_tests.adapters.delivery import load, query, shipped_reader, staged

FIXTURES = Path(__file__).parent / "fixtures" / "ga4"
EXPORT = FIXTURES / "events_20260331.json"
EVENTS = entity("events")
UTC = dt.UTC

# The BigQuery types of the export's columns that the fixture uses (GA4 export schema).
VALUE = pa.struct(
    [
        ("string_value", pa.string()),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("double_value", pa.float64()),
    ]
)
USER_VALUE = pa.struct([*VALUE, ("set_timestamp_micros", pa.int64())])
GA4_SCHEMA = pa.schema(
    [
        ("event_date", pa.string()),
        ("event_timestamp", pa.int64()),
        ("event_name", pa.string()),
        ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", VALUE)]))),
        ("event_bundle_sequence_id", pa.int64()),
        ("user_id", pa.string()),
        ("user_pseudo_id", pa.string()),
        ("user_properties", pa.list_(pa.struct([("key", pa.string()), ("value", USER_VALUE)]))),
        ("device", pa.struct([("category", pa.string()), ("operating_system", pa.string())])),
        ("geo", pa.struct([("country", pa.string()), ("region", pa.string())])),
        ("platform", pa.string()),
        ("batch_event_index", pa.int64()),
        ("is_active_user", pa.bool_()),
    ]
)


def parquet_reader() -> MappingReader:
    """The copied mapping docs/sources/ga4.md describes: the same columns, Parquet files."""
    document = tomllib.loads(VENDORS.joinpath("ga4.toml").read_text())
    document["entities"]["events"].update(files=["events_*.parquet"], format="parquet")
    return MappingReader(parse_mapping(document, "ga4_parquet.toml"))


def bigquery_typed(value: Any, data_type: pa.DataType) -> Any:
    """A JSON-export value as BigQuery holds it (the JSON export writes INT64 as strings)."""
    if value is None:
        return None
    if pa.types.is_struct(data_type):
        return {f.name: bigquery_typed(value.get(f.name), f.type) for f in data_type}
    if pa.types.is_list(data_type):
        return [bigquery_typed(v, data_type.value_type) for v in value]
    if pa.types.is_int64(data_type):
        return int(value)
    return value


SESSION = "1774947598"
EXPECTED = [
    # Built ids: user_pseudo_id, event_timestamp, event_name, event_bundle_sequence_id and
    # batch_event_index, joined by "-".
    (
        "1459871234.1774900000-1774949400123456-page_view-5-1",
        "C1",
        "A1",  # the user property account_id
        dt.datetime(2026, 3, 31, 9, 30, 0, 123456, tzinfo=UTC),  # microseconds kept
        "page_view",
        SESSION,
        {
            "ga_session_id": SESSION,
            "ga_session_number": "3",
            "page_title": "Rapports \u2013 Café",  # an en dash
            "page_location": "https://app.example.com/reports?lang=fr",
            "engagement_time_msec": "1200",
        },
        "1459871234.1774900000",  # user_pseudo_id as anonymous_id
    ),
    (
        "1459871234.1774900000-1774949460000000-report_exported-6-1",
        "C1",
        "A1",
        dt.datetime(2026, 3, 31, 9, 31, tzinfo=UTC),
        "report_exported",
        SESSION,
        {"ga_session_id": SESSION, "value": "12.5", "format": "xlsx"},  # double_value
        "1459871234.1774900000",
    ),
    # Consent mode, no cookie: no user_pseudo_id, so the id is built from the rest.
    (
        "1774951200000000-page_view-1",
        None,
        None,
        dt.datetime(2026, 3, 31, 10, tzinfo=UTC),
        "page_view",
        None,
        {"page_title": "Tarifs"},
        None,
    ),
    # Anonymous, and exported before batch_event_index existed: the id has one part less.
    (
        "987654321.1774947598-1774947598000001-session_start-1",
        None,
        None,
        dt.datetime(2026, 3, 31, 8, 59, 58, 1, tzinfo=UTC),
        "session_start",
        SESSION,
        {"ga_session_id": SESSION, "page_title": "Accueil"},
        "987654321.1774947598",  # a device seen before login
    ),
]


def as_expected(rows: list[tuple]) -> list[tuple]:
    return [(*row[:6], json.loads(row[6]), *row[7:]) for row in rows]


def test_the_shipped_adapter_is_chosen_by_name_in_a_sources_file(tmp_path: Path) -> None:
    assert "ga4" in vendor_adapters()
    reader = shipped_reader(tmp_path, "analytics", "ga4")
    assert reader.name == "ga4"
    assert reader.mapping.source == "analytics"
    assert reader.file_patterns(EVENTS) == ("events_*.json", "events_*.jsonl")


def test_the_json_export_loads_with_built_ids_and_flattened_params(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "analytics", "ga4")
    result = load(tmp_path, reader, "events", EXPORT)
    # 6 rows: one exported twice (same id: staging keeps one), one without a timestamp.
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 5, 1)
    assert as_expected(staged(tmp_path, "events")) == EXPECTED
    quarantined = query(
        tmp_path, "SELECT record->>'event_id', list_sort(broken_rules) FROM quarantine.events"
    )
    assert quarantined == [("1459871234.1774900000-scroll-7", ["required:occurred_at"])]


def test_the_whole_event_row_is_kept_in_raw_extra(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "analytics", "ga4")
    load(tmp_path, reader, "events", EXPORT)
    (extra,) = query(
        tmp_path, "SELECT _extra FROM raw.events WHERE event_name = 'page_view' LIMIT 1"
    )[0]
    record = json.loads(extra)
    assert record["user_pseudo_id"] == "1459871234.1774900000"
    assert record["event_date"] == "20260331"
    assert record["geo"]["region"] == "Île-de-France"
    assert record["device"]["web_info"]["browser"] == "Chrome"
    assert record["user_properties"][1] == {
        "key": "plan",
        "value": {"string_value": "Pro", "set_timestamp_micros": "1774940000000000"},
    }


def test_the_parquet_export_loads_the_same_with_a_copied_mapping(tmp_path: Path) -> None:
    """Parquet keeps BigQuery's types (INT64 as integers, event_params as a list of structs);
    the engine reads each row as JSON, so the same column mapping gives the same events."""
    records = [json.loads(line) for line in EXPORT.read_text(encoding="utf-8").splitlines()]
    row_type = pa.struct(list(GA4_SCHEMA))
    table = pa.Table.from_pylist([bigquery_typed(r, row_type) for r in records], schema=GA4_SCHEMA)
    parquet = tmp_path / "events_20260331.parquet"
    pq.write_table(table, parquet)
    assert (
        pq.read_schema(parquet).field("event_params").type == GA4_SCHEMA.field("event_params").type
    )

    result = load(tmp_path, parquet_reader(), "events", parquet)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 5, 1)
    assert as_expected(staged(tmp_path, "events")) == EXPECTED
    (extra,) = query(tmp_path, "SELECT _extra FROM raw.events WHERE _row_number = 1")[0]
    assert json.loads(extra)["geo"] == {"country": "France", "region": "Île-de-France"}
