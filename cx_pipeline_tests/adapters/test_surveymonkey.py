"""The shipped `surveymonkey` adapter: a SurveyMonkey CSV export (second header row of answer
options, US dates) read as surveys.nps_responses, and the copied mapping for other questions."""

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

FIXTURES = Path(__file__).parent / "fixtures" / "surveymonkey"
EXPORT = FIXTURES / "surveymonkey-nps.csv"
NPS = entity("nps_responses")
UTC = dt.UTC


def test_the_shipped_adapter_is_chosen_by_name_in_a_sources_file(tmp_path: Path) -> None:
    assert "surveymonkey" in vendor_adapters()
    reader = shipped_reader(tmp_path, "surveys", "surveymonkey")
    assert reader.name == "surveymonkey"
    assert reader.mapping.source == "surveys"
    assert reader.file_patterns(NPS) == ("surveymonkey*.csv",)
    assert reader.mapping.entities["nps_responses"].skip_rows == 1


def test_the_export_loads_past_its_answer_option_row(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "surveys", "surveymonkey")
    result = load(tmp_path, reader, "nps_responses", EXPORT)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    # response_id, contact_id, account_id, survey_id, touchpoint, submitted_at, score, comment,
    # respondent_email
    assert staged(tmp_path, "nps_responses") == [
        (
            "114823645120",
            "C1",  # Custom Data 1
            None,
            "431234567",  # the collector
            None,
            dt.datetime(2026, 3, 31, 9, 30, tzinfo=UTC),  # End Date 03/31/2026 09:30:00 AM
            9,
            "Easy to use, and fast",
            "ann@alpha.example",  # Email Address
        ),
        (
            "114823651234",
            None,  # web link: no custom data
            None,
            "431234567",
            None,
            dt.datetime(2026, 3, 31, 12, 5, tzinfo=UTC),  # 12:05:00 PM is just after noon
            0,
            "Zu teuer für uns \u2013 leider",  # an en dash
            None,  # web link: no e-mail either
        ),
        (
            "114823660001",
            "C4",
            None,
            "431299999",
            None,
            dt.datetime(2026, 3, 31, 0, 31, 15, tzinfo=UTC),  # 12:31:15 AM is just after midnight
            10,
            None,  # no comment given
            "di@gamma.example",
        ),
    ]
    quarantined = query(
        tmp_path,
        "SELECT record->>'response_id', record->>'submitted_at', list_sort(broken_rules) "
        "FROM quarantine.nps_responses",
    )
    # A day-first date (another locale's export) does not fit the format: kept and quarantined.
    assert quarantined == [("114823670002", "31/03/2026 14:02:00", ["type:submitted_at"])]


def test_unmapped_columns_are_kept_in_raw_extra(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "surveys", "surveymonkey")
    load(tmp_path, reader, "nps_responses", EXPORT)
    (extra_columns,) = query(tmp_path, "SELECT extra_columns FROM audit.loads")[0]
    assert extra_columns == [
        "Start Date",
        "End Date",  # parsed into submitted_at, so kept as delivered too
        "IP Address",
        "First Name",
        "Last Name",
        "Which plan are you on?",
    ]
    (extra,) = query(
        tmp_path, "SELECT _extra FROM raw.nps_responses WHERE response_id = '114823645120'"
    )[0]
    record = json.loads(extra)
    assert record["First Name"] == "Ann"
    assert record["Which plan are you on?"] == "Pro"
    assert record["Start Date"] == "03/31/2026 09:25:10 AM"


def test_a_copied_mapping_names_the_surveys_own_questions(tmp_path: Path) -> None:
    """The edit docs/sources/surveymonkey.md shows: the score and comment lines name the
    question text of this survey. A web-link export has no Custom Data column: no contact."""
    document = tomllib.loads(VENDORS.joinpath("surveymonkey.toml").read_text())
    columns = document["entities"]["nps_responses"]["columns"]
    columns["score"] = "¿Qué probabilidad hay de que recomiende Acme a un amigo o colega?"
    columns["comment"] = "¿Por qué?"
    reader = MappingReader(parse_mapping(document, "our_surveymonkey.toml"))
    result = load(tmp_path, reader, "nps_responses", FIXTURES / "custom" / "surveymonkey-es.csv")
    assert (result.rows_read, result.rows_quarantined) == (1, 0)
    assert result.files[0].missing_optional_columns == ["contact_id", "account_id", "touchpoint"]
    assert staged(tmp_path, "nps_responses") == [
        (
            "114823690004",
            None,
            None,
            "431277777",
            None,
            dt.datetime(2026, 3, 31, 8, 2, 30, tzinfo=UTC),
            6,
            "Falta integración con SAP",
            None,  # a web link: the Email Address column is there, but empty
        )
    ]


def test_the_shipped_question_text_not_in_the_file_names_the_columns_it_has(
    tmp_path: Path,
) -> None:
    reader = shipped_reader(tmp_path, "surveys", "surveymonkey")
    with pytest.raises(ExtractError, match="mapped to score by surveymonkey") as raised:
        load(tmp_path, reader, "nps_responses", FIXTURES / "custom" / "surveymonkey-es.csv")
    assert "¿Qué probabilidad hay de que recomiende Acme" in str(raised.value)


def test_a_question_with_an_other_box_loads(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "surveys", "surveymonkey")
    result = load(
        tmp_path, reader, "nps_responses", FIXTURES / "blank_header" / "surveymonkey-other.csv"
    )
    assert (result.rows_read, result.rows_quarantined) == (1, 0)
    (extra,) = query(tmp_path, "SELECT _extra FROM raw.nps_responses")[0]
    record = json.loads(extra)
    assert record["How did you hear about us? [2]"] == "A podcast"  # the blank header cell
