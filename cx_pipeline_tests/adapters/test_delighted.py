"""The shipped `delighted` adapter: Delighted API survey responses read as
surveys.nps_responses."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

from cx_pipeline.adapters.mapping import MappingReader, parse_mapping
from cx_pipeline.adapters.sources import VENDORS, vendor_adapters
from cx_pipeline.contract import entity
from cx_pipeline_tests.adapters.delivery import (
    load,
    quarantined,
    query,
    shipped_reader,
    staged,
)

FIXTURES = Path(__file__).parent / "fixtures" / "delighted"
PAGE = FIXTURES / "survey_responses-0001.json"
NPS = entity("nps_responses")
UTC = dt.UTC


def test_the_shipped_adapter_is_chosen_by_name_in_a_sources_file(tmp_path: Path) -> None:
    assert "delighted" in vendor_adapters()
    reader = shipped_reader(tmp_path, "surveys", "delighted")
    assert reader.name == "delighted"
    assert reader.mapping.source == "surveys"
    assert reader.file_patterns(NPS) == ("survey_responses*.json",)
    # The adapter holds NPS answers only: interviews are not a Delighted export.
    assert reader.file_patterns(entity("interviews")) == ()


def test_nps_answers_load_and_other_survey_types_are_left_out(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "surveys", "delighted")
    result = load(tmp_path, reader, "nps_responses", PAGE)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    # Issue #19: the CSAT answer is filtered out on purpose (not a fault), and read as a
    # survey answer instead (test below).
    assert result.rows_filtered == 1
    # response_id, contact_id, account_id, survey_id, touchpoint, submitted_at, score, comment,
    # respondent_email
    assert staged(tmp_path, "nps_responses") == [
        (
            "1001",
            "501",  # Delighted's person id, from the expanded person
            None,
            None,
            None,  # an NPS survey does not say when it was sent: 'unknown' in the marts
            dt.datetime(2026, 3, 31, 9, 30, tzinfo=UTC),  # created_at 1774949400
            9,
            'Great reporting — très bien, "vraiment"',
            "zoe@alpha.example",  # the expanded person's e-mail
        ),
        (
            "1002",
            "502",
            None,
            None,
            None,
            dt.datetime(2026, 3, 31, 10, tzinfo=UTC),
            0,
            None,
            "bob@alpha.example",
        ),
        # person not expanded (a bare id string): the id is the contact, no e-mail.
        (
            "1003",
            "503",
            None,
            None,
            None,
            dt.datetime(2026, 3, 31, 10, 30, tzinfo=UTC),
            7,
            "OK",
            None,
        ),
    ]
    quarantined = query(
        tmp_path,
        "SELECT record->>'response_id', record->>'touchpoint', list_sort(broken_rules) "
        "FROM quarantine.nps_responses",
    )
    # A CSAT 5 is not a likelihood to recommend: never counted as an NPS answer.
    assert quarantined == [("1004", "csat", ["allowed:touchpoint", "filtered:$.survey_type"])]


def test_every_answer_is_a_survey_answer_with_its_type(tmp_path: Path) -> None:
    """Issue #19: the same page read as survey_answers: the CSAT 5 loads, typed csat."""
    reader = shipped_reader(tmp_path, "surveys", "delighted")
    result = load(tmp_path, reader, "survey_answers", PAGE)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 4, 0)
    # answer_id, response_id, question_type, score, text
    assert [(r[0], r[1], r[8], r[9], r[11]) for r in staged(tmp_path, "survey_answers")] == [
        ("1001", "1001", "nps", 9, 'Great reporting — très bien, "vraiment"'),
        ("1002", "1002", "nps", 0, None),
        ("1003", "1003", "nps", 7, "OK"),
        ("1004", "1004", "csat", 5, "Quick answer from support"),
    ]


def test_csat_and_ces_answers_are_checked_against_their_own_scales(tmp_path: Path) -> None:
    """Issue #19: a CSAT 4 or a CES 6 loads (an NPS range no longer applies); a CSAT 7 (scale
    1-5) or a CES 0 (scale 1-7) is quarantined as out of range; an unknown type as such."""
    reader = shipped_reader(tmp_path, "surveys", "delighted")
    result = load(tmp_path, reader, "survey_answers", FIXTURES / "csat_ces")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 3, 3)
    # answer_id, contact_id, question_type, score, text, respondent_email
    assert [(r[0], r[2], r[8], r[9], r[11], r[12]) for r in staged(tmp_path, "survey_answers")] == [
        ("2001", "601", "csat", 4, "Solved quickly", "ann@beta.example"),
        ("2003", "603", "ces", 6, "Easy enough", None),
        ("2005", "605", "nps", 6, "Too slow", None),
    ]
    assert quarantined(tmp_path, "survey_answers", "answer_id") == {
        "2002": ["range:score"],  # CSAT 7 on a 1-5 scale
        "2004": ["range:score"],  # CES 0 on a 1-7 scale
        "2006": ["allowed:question_type"],  # smileys: no such question type
    }
    # As NPS answers, only the NPS one counts; the others are left out on purpose.
    nps = load(tmp_path / "nps", reader, "nps_responses", FIXTURES / "csat_ces")
    assert (nps.rows_loaded, nps.rows_filtered) == (1, 5)


def test_the_whole_response_is_kept_in_raw_extra(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "surveys", "delighted")
    load(tmp_path, reader, "nps_responses", PAGE)
    extras = {
        response_id: json.loads(extra)
        for response_id, extra in query(
            tmp_path, "SELECT response_id, _extra FROM raw.nps_responses"
        )
    }
    first = extras["1001"]
    assert first["person"]["email"] == "zoe@alpha.example"
    assert first["person"]["name"] == "Zoë Ångström"
    assert first["person_properties"]["Delighted Source"] == "Email"
    assert first["notes"][0]["text"] == "Asked for a reference call"
    assert first["tags"] == ["reference"]
    assert first["additional_answers"][0]["value"]["select_one"]["text"] == "Yes"
    assert first["updated_at"] == 1774953000
    assert extras["1003"]["person"] == "503"


def test_ids_sent_as_person_properties_with_a_copied_mapping(tmp_path: Path) -> None:
    """The edit docs/sources/delighted.md shows: contact and account from person properties."""
    document = tomllib.loads(VENDORS.joinpath("delighted.toml").read_text())
    columns = document["entities"]["nps_responses"]["columns"]
    columns["contact_id"] = '$.person_properties."Customer ID"'
    columns["account_id"] = '$.person_properties."Account ID"'
    reader = MappingReader(parse_mapping(document, "our_delighted.toml"))
    load(tmp_path, reader, "nps_responses", PAGE)
    assert [row[:3] for row in staged(tmp_path, "nps_responses")] == [
        ("1001", "C1", "A1"),
        ("1002", None, None),
        ("1003", None, None),
    ]


def test_the_person_id_with_and_without_expand_person(tmp_path: Path) -> None:
    """Issue #14: the API's default response holds `person` as a bare id string; with
    expand[]=person it is an object. Both give the contact (records of Delighted's own client
    tests, see fixtures/delighted/README.md)."""
    reader = shipped_reader(tmp_path, "surveys", "delighted")
    load(tmp_path / "bare", reader, "nps_responses", FIXTURES / "unexpanded")
    load(tmp_path / "expanded", reader, "nps_responses", FIXTURES / "expanded")
    # response_id, contact_id, score, comment, respondent_email
    assert [(r[0], r[1], r[6], r[7], r[8]) for r in staged(tmp_path / "bare", "nps_responses")] == [
        ("456", "123", 10, None, None)  # no e-mail without the expanded person
    ]
    assert [
        (r[0], r[1], r[6], r[7], r[8]) for r in staged(tmp_path / "expanded", "nps_responses")
    ] == [
        ("123", "123", 9, "One", "foo@bar.com"),
        ("456", "123", 10, "Two", "foo@bar.com"),
    ]
