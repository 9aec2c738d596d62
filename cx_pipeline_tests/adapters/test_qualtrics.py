"""The shipped `qualtrics` adapter: a Qualtrics response export (CSV with two extra header
rows) read as surveys.nps_responses, and the copied mapping for renamed questions."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import pytest

from cx_pipeline.adapters.mapping import MappingReader, parse_mapping
from cx_pipeline.adapters.sources import VENDORS, vendor_adapters
from cx_pipeline.contract import entity
from cx_pipeline.readers import ExtractError
from cx_pipeline_tests.adapters.delivery import load, query, shipped_reader, staged

FIXTURES = Path(__file__).parent / "fixtures" / "qualtrics"
EXPORT = FIXTURES / "qualtrics-customer-nps.csv"
RENAMED = FIXTURES / "custom" / "qualtrics-relationship.csv"
NPS = entity("nps_responses")
UTC = dt.UTC


def test_the_shipped_adapter_is_chosen_by_name_in_a_sources_file(tmp_path: Path) -> None:
    assert "qualtrics" in vendor_adapters()
    reader = shipped_reader(tmp_path, "surveys", "qualtrics")
    assert reader.name == "qualtrics"
    assert reader.mapping.source == "surveys"
    assert reader.file_patterns(NPS) == ("qualtrics*.csv",)
    assert reader.mapping.entities["nps_responses"].skip_rows == 2


def test_the_export_loads_past_its_two_extra_header_rows(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "surveys", "qualtrics")
    result = load(tmp_path, reader, "nps_responses", EXPORT)
    # Four responses (the question-text and ImportId rows are not data); a partial response
    # without an NPS answer is quarantined.
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    # response_id, contact_id, account_id, survey_id, touchpoint, submitted_at, score, comment,
    # respondent_email
    assert staged(tmp_path, "nps_responses") == [
        (
            "R_1a2B3c4D5e6F7g8",
            "C1",  # ExternalReference
            None,
            None,
            None,
            dt.datetime(2026, 3, 31, 9, 30, tzinfo=UTC),  # RecordedDate, exported in UTC
            10,
            "Love the dashboards, très bien",
            "ann@alpha.example",  # RecipientEmail
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
            None,
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
            None,
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
    reader = shipped_reader(tmp_path, "surveys", "qualtrics")
    load(tmp_path, reader, "nps_responses", EXPORT)
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
    assert record["RecipientFirstName"] == "Ann"


def test_renamed_questions_fail_the_file_with_the_columns_it_has(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "surveys", "qualtrics")
    with pytest.raises(ExtractError, match=r"Q1 \(mapped to score by qualtrics\) not in the file"):
        load(tmp_path, reader, "nps_responses", RENAMED)


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
    result = load(tmp_path, reader, "nps_responses", RENAMED)
    assert (result.rows_read, result.rows_quarantined) == (1, 0)
    assert staged(tmp_path, "nps_responses") == [
        (
            "R_9z8Y7x6W5v4U3t2",
            "C5",
            "A4",
            None,
            None,
            dt.datetime(2026, 3, 31, 9, 30, tzinfo=UTC),  # 03:30 MDT (UTC-6)
            9,
            "Ótimo suporte",
            "ed@delta.example",
        )
    ]
