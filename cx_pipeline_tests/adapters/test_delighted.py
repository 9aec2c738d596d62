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
from cx_pipeline_tests.adapters.delivery import load, query, shipped_reader, staged

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


def test_nps_answers_load_and_other_survey_types_are_quarantined(tmp_path: Path) -> None:
    reader = shipped_reader(tmp_path, "surveys", "delighted")
    result = load(tmp_path, reader, "nps_responses", PAGE)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
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
    assert quarantined == [("1004", "csat", ["allowed:touchpoint"])]


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
