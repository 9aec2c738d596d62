"""The shipped `qualtrics` adapter: a Qualtrics response export (CSV with two extra header
rows) read as surveys.nps_responses, and the copied mapping for renamed questions."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tomllib
from pathlib import Path

import duckdb
import pytest

from cx_pipeline.adapters.mapping import MappingReader, parse_mapping
from cx_pipeline.adapters.sources import VENDORS, readers, vendor_adapters
from cx_pipeline.contract import entity
from cx_pipeline.contract_sql import staging_select
from cx_pipeline.ingest.extracts import find_deliveries
from cx_pipeline.ingest.loader import DeliveryLoad, load_delivery
from cx_pipeline.ingest.readers import ExtractError
from cx_pipeline.resources import Warehouse
from cx_pipeline_tests.tiny_extracts import DELIVERY

FIXTURES = Path(__file__).parent / "fixtures" / "qualtrics"
EXPORT = FIXTURES / "qualtrics-customer-nps.csv"
RENAMED = FIXTURES / "custom" / "qualtrics-relationship.csv"
NPS = entity("nps_responses")
UTC = dt.UTC


def shipped_reader(tmp_path: Path) -> MappingReader:
    """The adapter as a company chooses it: by name, in a sources file."""
    sources = tmp_path / "cx_sources.toml"
    sources.write_text('[sources]\nsurveys = "qualtrics"\n')
    reader = readers(str(sources))["surveys"]
    assert isinstance(reader, MappingReader)
    return reader


def load(tmp_path: Path, reader: MappingReader, *files: Path) -> DeliveryLoad:
    """Deliver `files` as one day of surveys and load it the way the raw asset does."""
    root = tmp_path / "extracts"
    folder = root / NPS.source / DELIVERY
    folder.mkdir(parents=True)
    for file in files:
        shutil.copy(file, folder / file.name)
    with Warehouse(database=str(tmp_path / "cx.duckdb")).get_connection() as con:
        (delivery,) = find_deliveries(root, NPS, reader)
        result = load_delivery(con, NPS, delivery, root, dt.datetime.now(UTC), reader)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    return result


def query(tmp_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(tmp_path / "cx.duckdb"), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


def staged(tmp_path: Path) -> list[tuple]:
    """The contract columns of staging.nps_responses, by response_id."""
    rows = query(tmp_path, f"SELECT * FROM ({staging_select(NPS)}) ORDER BY response_id")
    return [row[:8] for row in rows]


def test_the_shipped_adapter_is_chosen_by_name_in_a_sources_file(tmp_path: Path) -> None:
    assert "qualtrics" in vendor_adapters()
    reader = shipped_reader(tmp_path)
    assert reader.name == "qualtrics"
    assert reader.mapping.source == "surveys"
    assert reader.file_patterns(NPS) == ("qualtrics*.csv",)
    assert reader.mapping.entities["nps_responses"].skip_rows == 2


def test_the_export_loads_past_its_two_extra_header_rows(tmp_path: Path) -> None:
    result = load(tmp_path, shipped_reader(tmp_path), EXPORT)
    # Four responses (the question-text and ImportId rows are not data); a partial response
    # without an NPS answer is quarantined.
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    # response_id, contact_id, account_id, survey_id, touchpoint, submitted_at, score, comment
    assert staged(tmp_path) == [
        (
            "R_1a2B3c4D5e6F7g8",
            "C1",  # ExternalReference
            None,
            None,
            None,
            dt.datetime(2026, 3, 31, 9, 30, tzinfo=UTC),  # RecordedDate, exported in UTC
            10,
            "Love the dashboards, très bien",
        ),
        (
            "R_2b3C4d5E6f7G8h9",
            None,  # anonymous link: no external reference
            None,
            None,
            None,
            dt.datetime(2026, 3, 31, 10, 15, 30, tzinfo=UTC),
            3,
            'Slow exports.\nThe "Download" button times out.',  # a quoted multi-line answer
        ),
        # A survey preview (Status 1) is an answer like any other to the adapter: exclude
        # previews in the export (docs/sources/qualtrics.md).
        (
            "R_4d5E6f7G8h9I0j1",
            None,
            None,
            None,
            None,
            dt.datetime(2026, 3, 31, 11, 30, 41, tzinfo=UTC),
            8,
            "testing the survey",
        ),
    ]
    quarantined = query(
        tmp_path,
        "SELECT record->>'response_id', list_sort(broken_rules), _row_number "
        "FROM quarantine.nps_responses",
    )
    # Row numbers count from the row after the header: responses start at 3.
    assert quarantined == [("R_3c4D5e6F7g8H9i0", ["required:score"], 5)]


def test_unmapped_columns_are_kept_in_raw_extra(tmp_path: Path) -> None:
    load(tmp_path, shipped_reader(tmp_path), EXPORT)
    (extra_columns,) = query(tmp_path, "SELECT extra_columns FROM audit.loads")[0]
    assert extra_columns == [
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",  # parsed into submitted_at, so kept as delivered too
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "LocationLatitude",
        "LocationLongitude",
        "DistributionChannel",
        "UserLanguage",
        "Q1_NPS_GROUP",
        "AccountId",
    ]
    (extra,) = query(
        tmp_path, "SELECT _extra FROM raw.nps_responses WHERE response_id = 'R_1a2B3c4D5e6F7g8'"
    )[0]
    record = json.loads(extra)
    assert (record["Q1_NPS_GROUP"], record["AccountId"], record["Status"]) == ("3", "A1", "0")
    assert record["RecipientEmail"] == "ann@alpha.example"


def test_renamed_questions_fail_the_file_with_the_columns_it_has(tmp_path: Path) -> None:
    with pytest.raises(ExtractError, match=r"Q1 \(mapped to score by qualtrics\) not in the file"):
        load(tmp_path, shipped_reader(tmp_path), RENAMED)


def test_a_copied_mapping_reads_renamed_questions_and_another_time_zone(tmp_path: Path) -> None:
    """The edit docs/sources/qualtrics.md shows: the export tags of the NPS and comment
    questions, the export's time zone, and an embedded data field as the account."""
    document = tomllib.loads(VENDORS.joinpath("qualtrics.toml").read_text())
    columns = document["entities"]["nps_responses"]["columns"]
    columns.update(
        score="NPS",
        comment="Why",
        submitted_at={"field": "RecordedDate", "timezone": "America/Denver"},
        account_id="AccountId",
    )
    reader = MappingReader(parse_mapping(document, "our_qualtrics.toml"))
    result = load(tmp_path, reader, RENAMED)
    assert (result.rows_read, result.rows_quarantined) == (1, 0)
    assert staged(tmp_path) == [
        (
            "R_9z8Y7x6W5v4U3t2",
            "C5",
            "A4",
            None,
            None,
            dt.datetime(2026, 3, 31, 9, 30, tzinfo=UTC),  # 03:30 MDT (UTC-6)
            9,
            "Ótimo suporte",
        )
    ]
