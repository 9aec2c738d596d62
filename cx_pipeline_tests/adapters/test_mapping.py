"""Custom mappings: another tool's export read as the contract, and mistakes named clearly."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cx_pipeline.adapters.mapping import MappingError, MappingReader, parse_mapping
from cx_pipeline.adapters.sources import readers
from cx_pipeline.contract import entity
from cx_pipeline.contract_sql import staging_select
from cx_pipeline_tests.adapters import delivery
from cx_pipeline_tests.conftest import RAW_AND_STAGING, materialize_all
from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

SURVEY_TOOL = """
name = "survey_tool"
source = "surveys"
description = "A survey tool's CSV export (test fixture)."

[entities.nps_responses]
files = ["answers.csv"]
format = "csv"

[entities.nps_responses.columns]
response_id = "Response ID"
contact_id = "Contact"
account_id = "Account"
submitted_at = { field = "Submitted", date_format = "%d/%m/%Y %H:%M", timezone = "Europe/Berlin" }
score = "Score"
comment = "Why"
touchpoint = { field = "Channel", values = { rel = "relationship", app = "in_app" } }
survey_id = { value = "survey-tool" }
"""
ANSWERS = (
    "Response ID,Contact,Account,Submitted,Score,Why,Channel,Email\n"
    "S1,C1,A1,31/03/2026 09:30,10,Love it,rel,ann@alpha.example\n"
    "S2,C2,A1,31/03/2026 10:00,3,Slow,pigeon,bob@alpha.example\n"
    "S3,C4,A3,March 31st,8,,app,di@gamma.example\n"
)

HELPDESK = """
name = "helpdesk"
source = "support"

[entities.tickets]
files = ["tickets.jsonl"]
format = "jsonl"

[entities.tickets.columns]
ticket_id = "$.id"
account_id = "$.organization.external_id"
contact_id = "$.requester.external_id"
created_at = { field = "$.created", parse = "epoch_s" }
solved_at = "metrics:$.solved_at"
channel = { field = "$.via.channel", values = { voice = "phone", api = "web" } }
priority = "$.priority"
status = "$.status"
subject = "$.subject"
csat_score = { field = "$.satisfaction.score", values = { good = "5", bad = "1" } }

[entities.tickets.lookups.metrics]
files = ["ticket_metrics.jsonl"]
key = "$.ticket_id"
on = "$.id"
"""


def load(tmp_path: Path, reader: MappingReader, name: str, files: dict[str, str]) -> list[tuple]:
    """Deliver `files` (name -> text), load `name` and return all staging's columns of it."""
    delivery.load(tmp_path, reader, name, texts=files)
    return delivery.query(tmp_path, f"SELECT * FROM ({staging_select(entity(name))}) ORDER BY ALL")


def reader_from(text: str) -> MappingReader:
    import tomllib

    return MappingReader(parse_mapping(tomllib.loads(text), "test.toml"))


def test_a_csv_export_with_other_names_formats_and_values(tmp_path: Path) -> None:
    rows = load(tmp_path, reader_from(SURVEY_TOOL), "nps_responses", {"answers.csv": ANSWERS})
    # S2 (channel 'pigeon') and S3 (an unparseable date) are quarantined, never dropped.
    assert [r[:8] for r in rows] == [
        (
            "S1",
            "C1",
            "A1",
            "survey-tool",
            "relationship",
            dt.datetime(2026, 3, 31, 7, 30, tzinfo=dt.UTC),  # 09:30 in Berlin (CEST)
            10,
            "Love it",
        )
    ]
    with delivery.connect(tmp_path) as con:
        quarantined = dict(
            con.execute(
                "SELECT record->>'response_id', list_sort(broken_rules) "
                "FROM quarantine.nps_responses"
            ).fetchall()
        )
        extra = con.execute(
            "SELECT _extra->>'Email' FROM raw.nps_responses ORDER BY _row_number"
        ).fetchall()
        audit = con.execute("SELECT extra_columns FROM audit.loads").fetchone()
    assert quarantined == {"S2": ["allowed:touchpoint"], "S3": ["type:submitted_at"]}
    assert [e for (e,) in extra] == ["ann@alpha.example", "bob@alpha.example", "di@gamma.example"]
    # Submitted and Channel are translated on their way to the contract: kept as delivered too.
    assert audit == (["Submitted", "Channel", "Email"],)


def test_nested_json_epochs_value_maps_and_a_lookup_file(tmp_path: Path) -> None:
    tickets = [
        {
            "id": 7,
            "created": 1774947600,  # 2026-03-31T09:00:00Z
            "via": {"channel": "voice", "source": {"from": {}}},
            "priority": "high",
            "status": "solved",
            "subject": "Café crème: l'export échoue",
            "requester": {"external_id": "C1"},
            "organization": {"external_id": "A1"},
            "satisfaction": {"score": "good"},
            "tags": ["vip"],
        },
        {"id": 8, "created": "not a time", "via": {"channel": "fax"}, "status": "open"},
    ]
    metrics = [{"ticket_id": 7, "solved_at": "2026-03-31T10:30:00Z"}]
    rows = load(
        tmp_path,
        reader_from(HELPDESK),
        "tickets",
        {
            "tickets.jsonl": "\n".join(json.dumps(t) for t in tickets) + "\n",
            "ticket_metrics.jsonl": "\n".join(json.dumps(m) for m in metrics) + "\n",
        },
    )
    (row,) = rows
    assert row[:10] == (
        "7",
        "A1",
        "C1",
        dt.datetime(2026, 3, 31, 9, tzinfo=dt.UTC),
        None,
        dt.datetime(2026, 3, 31, 10, 30, tzinfo=dt.UTC),
        "phone",
        "high",
        "solved",
        None,
    )
    assert row[10] == "Café crème: l'export échoue"
    assert row[12] == 5
    with delivery.connect(tmp_path) as con:
        (rules,) = con.execute("SELECT list_sort(broken_rules) FROM quarantine.tickets").fetchone()
        (tags,) = con.execute(
            "SELECT _extra->'$.tags' FROM raw.tickets WHERE ticket_id = '7'"
        ).fetchone()
    assert rules == ["allowed:channel", "type:created_at"]
    assert json.loads(tags) == ["vip"]  # the whole vendor record is kept...
    with delivery.connect(tmp_path) as con:
        (solved,) = con.execute(
            "SELECT _extra->>'$._lookups.metrics.solved_at' FROM raw.tickets WHERE ticket_id = '7'"
        ).fetchone()
    assert solved == "2026-03-31T10:30:00Z"  # ...and the records its lookups joined in


def test_key_value_lists_like_ga4(tmp_path: Path) -> None:
    mapping = """
    source = "analytics"
    [entities.events]
    format = "jsonl"
    files = ["events.jsonl"]
    [entities.events.columns]
    event_id = { concat = ["$.user_pseudo_id", "$.event_timestamp"], separator = "-" }
    contact_id = "$.user_id"
    occurred_at = { field = "$.event_timestamp", parse = "epoch_us" }
    event_name = "$.event_name"
    session_id = { key_value = { field = "$.event_params", key = "ga_session_id" } }
    properties = { key_values = "$.event_params" }
    """
    event = {
        "event_name": "page_view",
        "event_timestamp": "1774947600123456",
        "user_pseudo_id": "u1",
        "user_id": "C1",
        "event_params": [
            {"key": "ga_session_id", "value": {"int_value": 42}},
            {"key": "page_title", "value": {"string_value": "Reports"}},
        ],
    }
    (row,) = load(
        tmp_path, reader_from(mapping), "events", {"events.jsonl": json.dumps(event) + "\n"}
    )
    assert row[0] == "u1-1774947600123456"
    assert row[3] == dt.datetime(2026, 3, 31, 9, 0, 0, 123456, tzinfo=dt.UTC)
    assert row[5] == "42"
    assert json.loads(row[6]) == {"ga_session_id": "42", "page_title": "Reports"}


def test_minutes_after_a_timestamp_and_amounts_per_year(tmp_path: Path) -> None:
    mapping = HELPDESK.replace(
        'solved_at = "metrics:$.solved_at"',
        'solved_at = "metrics:$.solved_at"\nfirst_response_at = '
        '{ field = "metrics:$.reply_minutes", minutes_after = "$.created_iso" }',
    )
    ticket = {"id": 1, "created": 1774947600, "created_iso": "2026-03-31T09:00:00Z"}
    metrics = {"ticket_id": 1, "reply_minutes": 90.5}
    (row,) = load(
        tmp_path,
        reader_from(mapping),
        "tickets",
        {
            "tickets.jsonl": json.dumps(ticket) + "\n",
            "ticket_metrics.jsonl": json.dumps(metrics) + "\n",
        },
    )
    assert row[4] == dt.datetime(2026, 3, 31, 10, 30, 30, tzinfo=dt.UTC)
    deals = """
    source = "crm"
    [entities.subscriptions]
    format = "csv"
    files = ["deals.csv"]
    [entities.subscriptions.columns]
    subscription_id = "Id"
    account_id = "AccountId"
    product = { value = "Core" }
    mrr = { field = "Amount", divide_by = 12 }
    started_at = "CloseDate"
    """
    csv = "Id,AccountId,Amount,CloseDate\nD1,A1,1200,2026-01-01\nD2,A1,lots,2026-01-01\n"
    rows = load(tmp_path / "deals", reader_from(deals), "subscriptions", {"deals.csv": csv})
    assert [(r[0], r[4]) for r in rows] == [("D1", 100)]  # D2 is quarantined (type:mrr)


def test_gzipped_files_and_json_lines_under_a_json_mapping(tmp_path: Path) -> None:
    """Exports often come gzipped, and the same vendor objects as pages or as JSON lines."""
    import gzip

    mapping = HELPDESK.replace(
        'files = ["tickets.jsonl"]\nformat = "jsonl"',
        'files = ["tickets*"]\nformat = "json"\nrecords = "$.tickets"',
    )
    folder = tmp_path / "gz"
    folder.mkdir()
    page = folder / "tickets-1.json.gz"
    page.write_bytes(
        gzip.compress(
            json.dumps({"tickets": [{"id": 1, "created": 1774947600, "status": "open"}]}).encode()
        )
    )
    lines = folder / "tickets-2.jsonl"
    lines.write_text(json.dumps({"id": 2, "created": 1774947600, "status": "solved"}) + "\n")
    metrics = folder / "ticket_metrics.jsonl.gz"
    metrics.write_bytes(gzip.compress(b'{"ticket_id": 2, "solved_at": "2026-03-31T10:00:00Z"}\n'))
    delivery.load(tmp_path, reader_from(mapping), "tickets", page, lines, metrics)
    rows = delivery.query(
        tmp_path, f"SELECT * FROM ({staging_select(entity('tickets'))}) ORDER BY ALL"
    )
    assert [(r[0], r[5], r[8]) for r in rows] == [
        ("1", None, "open"),
        ("2", dt.datetime(2026, 3, 31, 10, tzinfo=dt.UTC), "solved"),
    ]


def test_a_value_taken_only_when_another_field_says_so(tmp_path: Path) -> None:
    """`when`: Intercom's conversation author is the customer or, for an outbound message, the
    admin who sent it; only a customer's e-mail is the requester's."""
    mapping = HELPDESK.replace(
        'subject = "$.subject"',
        'subject = "$.subject"\nrequester_email = '
        '{ field = "$.author.email", when = { "$.author.type" = ["user", "lead"] } }',
    )
    tickets = [
        {"id": 1, "created": 1774947600, "author": {"type": "user", "email": "ann@alpha.example"}},
        {"id": 2, "created": 1774947600, "author": {"type": "lead", "email": "lee@beta.example"}},
        {"id": 3, "created": 1774947600, "author": {"type": "admin", "email": "mark@example.com"}},
        {"id": 4, "created": 1774947600},
    ]
    rows = load(
        tmp_path,
        reader_from(mapping),
        "tickets",
        {"tickets.jsonl": "\n".join(json.dumps(t) for t in tickets) + "\n"},
    )
    assert [(r[0], r[13]) for r in rows] == [
        ("1", "ann@alpha.example"),
        ("2", "lee@beta.example"),
        ("3", None),
        ("4", None),
    ]
    survey = SURVEY_TOOL + 'respondent_email = { field = "Email", when = { Channel = ["rel"] } }\n'
    rows = load(tmp_path / "csv", reader_from(survey), "nps_responses", {"answers.csv": ANSWERS})
    assert [(r[0], r[8]) for r in rows] == [("S1", "ann@alpha.example")]
    with delivery.connect(tmp_path / "csv") as con:
        (audit,) = con.execute("SELECT extra_columns FROM audit.loads").fetchone()
    assert audit == ["Submitted", "Channel", "Email"]  # a conditional value: kept as delivered


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            SURVEY_TOOL.replace('response_id = "Response ID"\n', ""),
            "required column(s) response_id not mapped",
        ),
        (
            SURVEY_TOOL.replace('score = "Score"', 'nps = "Score"'),
            "'nps' is not a column of the contract",
        ),
        (
            SURVEY_TOOL.replace('source = "surveys"', 'source = "crm"'),
            "nps_responses belongs to source surveys",
        ),
        (SURVEY_TOOL.replace('format = "csv"', 'format = "xlsx"'), "format must be one of"),
        (SURVEY_TOOL.replace('comment = "Why"', 'comment = "$.why"'), "CSV columns are named"),
        (
            SURVEY_TOOL.replace('comment = "Why"', 'comment = { field = "Why", when = "rel" }'),
            "when takes fields and value lists",
        ),
        (
            SURVEY_TOOL.replace('comment = "Why"', 'comment = { coalesce = "Why" }'),
            "coalesce takes a list of fields",
        ),
        (
            SURVEY_TOOL.replace(
                'comment = "Why"',
                'comment = { coalesce = ["Why", { list = "Notes", field = "text" }] }',
            ),
            "CSV columns hold no lists",
        ),
        (
            SURVEY_TOOL.replace('comment = "Why"', 'comment = { field = "Why", country = "iso3" }'),
            "country must be one of iso2",
        ),
    ],
    ids=[
        "unmapped-required",
        "unknown-column",
        "wrong-source",
        "unknown-format",
        "json-path-in-csv",
        "when-not-a-table",
        "coalesce-not-a-list",
        "list-item-in-csv",
        "unknown-country-format",
    ],
)
def test_mapping_mistakes_are_named(text: str, problem: str) -> None:
    with pytest.raises(MappingError, match=r"mapping test\.toml, ") as raised:
        reader_from(text)
    assert problem in str(raised.value)


def test_a_missing_mapped_column_names_the_file(tmp_path: Path) -> None:
    from cx_pipeline.readers import ExtractError

    with pytest.raises(
        ExtractError, match="column\\(s\\) Score \\(mapped to score by survey_tool\\)"
    ):
        load(
            tmp_path,
            reader_from(SURVEY_TOOL),
            "nps_responses",
            {"answers.csv": ANSWERS.replace("Score", "Rating")},
        )


def test_the_sources_file_mixes_canonical_and_a_custom_mapping(tmp_path: Path, query) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    (root / "surveys" / DELIVERY / "nps_responses.csv").unlink()
    (root / "surveys" / DELIVERY / "answers.csv").write_text(ANSWERS)
    (tmp_path / "survey_tool.toml").write_text(SURVEY_TOOL)
    sources = tmp_path / "cx_sources.toml"
    sources.write_text('[sources]\nsurveys = { mapping = "survey_tool.toml" }\ncrm = "canonical"\n')
    # Two of the three answers are quarantined on purpose: let them through the share check.
    materialize_all(
        root,
        tmp_path / "cx.duckdb",
        sources_file=str(sources),
        quarantine_block_share=1.0,
        selection=RAW_AND_STAGING,
    )
    assert query("SELECT response_id FROM staging.nps_responses") == [("S1",)]
    assert query("SELECT count(*) FROM staging.accounts") == [(6,)]


def test_sources_file_mistakes_are_named(tmp_path: Path) -> None:
    sources = tmp_path / "cx_sources.toml"
    sources.write_text('[sources]\nbilling = "stripe"\n')
    with pytest.raises(MappingError, match="unknown source 'billing'"):
        readers(str(sources))
    sources.write_text('[sources]\ncrm = "salesforse"\n')
    with pytest.raises(MappingError, match="unknown adapter 'salesforse'"):
        readers(str(sources))


def test_a_row_filter_leaves_rows_out_visibly(tmp_path: Path) -> None:
    """Segment archives hold identify and page calls besides track calls; a Salesforce export
    holds lost opportunities. `keep` loads the rows wanted and quarantines the others as
    'filtered:<field>', counted apart, so they never look like faults."""
    mapping = """
    source = "analytics"
    [entities.events]
    format = "jsonl"
    files = ["calls.jsonl"]
    keep = { "$.type" = ["track"] }
    [entities.events.columns]
    event_id = "$.messageId"
    occurred_at = "$.timestamp"
    event_name = "$.event"
    """
    calls = [
        {"type": "track", "messageId": "m1", "timestamp": "2026-03-31T09:00:00Z", "event": "x"},
        {"type": "identify", "messageId": "m2", "timestamp": "2026-03-31T09:00:00Z"},
        {"type": "track", "messageId": "m3", "timestamp": "2026-03-31T09:00:00Z"},
    ]
    result = delivery.load(
        tmp_path,
        reader_from(mapping),
        "events",
        texts={"calls.jsonl": "\n".join(json.dumps(c) for c in calls) + "\n"},
    )
    assert (result.rows_read, result.rows_quarantined, result.rows_loaded) == (3, 2, 1)
    assert result.files[0].rows_filtered == 1  # m2; m3 is a fault (no event name)
    rules = dict(
        delivery.query(
            tmp_path, "SELECT record->>'event_id', list_sort(broken_rules) FROM quarantine.events"
        )
    )
    assert rules == {
        "m2": ["filtered:$.type", "required:event_name"],
        "m3": ["required:event_name"],
    }


def test_coalesce_takes_the_first_alternative_that_holds_a_value(tmp_path: Path) -> None:
    """`coalesce`: the first field with a value; a list item picks an element by its fields
    (HubSpot: a deal's company property, else its association of the primary type; Delighted:
    the expanded person's id, else the bare id). Null, empty, objects and lists are no value."""
    mapping = HELPDESK.replace(
        'contact_id = "$.requester.external_id"',
        'contact_id = { coalesce = ["$.requester.id", "$.requester"] }',
    ).replace(
        'account_id = "$.organization.external_id"',
        'account_id = { coalesce = ["$.org_id", { list = "$.orgs", '
        'where = { "$.type" = ["primary", "main"] }, field = "$.id" }, "$.fallback_org"] }',
    )
    primary = [{"id": "A9", "type": "other"}, {"id": "A2", "type": "primary"}]
    tickets = [
        {"id": 1, "org_id": "A1", "orgs": primary, "requester": {"id": "C1"}},
        {"id": 2, "org_id": None, "orgs": primary, "requester": "C2"},
        {"id": 3, "org_id": "", "orgs": [{"id": "A9", "type": "other"}], "fallback_org": "A3"},
        {"id": 4, "org_id": {"id": "A1"}, "orgs": {"id": "A1"}, "requester": {"id": None}},
        {"id": 5, "orgs": [], "requester": ["C5"]},
    ]
    rows = load(
        tmp_path,
        reader_from(mapping),
        "tickets",
        {"tickets.jsonl": "\n".join(json.dumps(t | {"created": 1774947600}) for t in tickets)},
    )
    assert [r[:3] for r in rows] == [
        ("1", "A1", "C1"),
        ("2", "A2", "C2"),  # the primary element, not the first one
        ("3", "A3", None),  # an empty string is no value; no primary element
        ("4", None, None),  # objects are no value, and a list that is not a list is skipped
        ("5", None, None),
    ]
    csv_mapping = SURVEY_TOOL.replace(
        'contact_id = "Contact"', 'contact_id = { coalesce = ["Contact ID", "Contact"] }'
    )
    # A file without the first column reads the others; with both, the first one that is set.
    rows = load(
        tmp_path / "csv", reader_from(csv_mapping), "nps_responses", {"answers.csv": ANSWERS}
    )
    assert [(r[0], r[1]) for r in rows] == [("S1", "C1")]
    both = ANSWERS.replace("Response ID,Contact,", "Response ID,Contact ID,Contact,").replace(
        "S1,C1,", "S1,,C1,"
    )
    both = both.replace("S2,C2,", "S2,X2,C2,").replace("S3,C4,", "S3,X4,C4,")
    rows = load(tmp_path / "both", reader_from(csv_mapping), "nps_responses", {"answers.csv": both})
    assert [(r[0], r[1]) for r in rows] == [("S1", "C1")]
    with delivery.connect(tmp_path / "both") as con:
        contacts = con.execute(
            "SELECT contact_id FROM raw.nps_responses ORDER BY _row_number"
        ).fetchall()
        (extra,) = con.execute("SELECT extra_columns FROM audit.loads").fetchone()
    assert contacts == [("C1",), ("X2",), ("X4",)]
    assert extra[:2] == ["Contact ID", "Contact"]  # read through a coalesce: kept as delivered


def test_free_text_countries_become_iso_codes_or_are_quarantined(tmp_path: Path) -> None:
    """`country = "iso2"`: names, official and common names, codes, the names in the common
    CRM languages and a few aliases become ISO 3166-1 alpha-2 codes. A value that names no
    country stays as delivered and the row is quarantined (allowed:country), as a value map's
    unknown value is: never silently null, never guessed."""
    mapping = """
    source = "crm"
    [entities.accounts]
    format = "csv"
    files = ["accounts.csv"]
    [entities.accounts.columns]
    account_id = "Id"
    name = "Name"
    created_at = { value = "2026-01-01T00:00:00Z" }
    country = { field = "Country", values = { "Remote" = "" }, country = "iso2" }
    """
    typed = [
        "United States",
        "U.S.A.",
        "U.S.",
        "usa",
        "United States of America",
        "Deutschland",
        "UK",
        "England",
        "de",
        " France ",
        "Côte d'Ivoire",
        "Cote d\u2019Ivoire",
        "Korea, Republic of",
        "South Korea",
        "Bosnia & Herzegovina",
        "The Netherlands",
        "Türkiye",
        "Turkey",
        "Brasil",
        "日本",
        "Remote",  # the mapping's own value map says: no country
        "",
        "Atlantis",
        "XX",
        "America",  # which one? not guessed
    ]
    csv = "Id,Name,Country\n" + "".join(f'A{i},N{i},"{t}"\n' for i, t in enumerate(typed))
    result = delivery.load(tmp_path, reader_from(mapping), "accounts", texts={"accounts.csv": csv})
    raw = dict(delivery.query(tmp_path, "SELECT account_id, country FROM raw.accounts"))
    assert [raw[f"A{i}"] for i in range(len(typed))] == [
        *["US"] * 5,
        "DE",
        "GB",
        "GB",
        "DE",
        "FR",
        "CI",
        "CI",
        "KR",
        "KR",
        "BA",
        "NL",
        "TR",
        "TR",
        "BR",
        "JP",
        None,
        None,
        "Atlantis",
        "XX",
        "America",
    ]
    bad = dict(
        delivery.query(
            tmp_path, "SELECT record->>'account_id', broken_rules FROM quarantine.accounts"
        )
    )
    assert bad == {f"A{i}": ["allowed:country"] for i in (22, 23, 24)}
    assert result.rows_quarantined == 3
    assert result.files[0].rows_filtered == 0  # a fault, not a row left out on purpose


def test_null_fields_of_a_lookup_record_are_kept_in_extra(tmp_path: Path) -> None:
    """The lookups' records join the delivered record in `_extra` with every field, nulls
    included (a JSON merge patch would drop them), and a ticket with no lookup record says so."""
    tickets = [
        {"id": 1, "created": 1774947600, "status": "open", "note": None},
        {"id": 2, "created": 1774947600, "status": "open"},
    ]
    metrics = [{"ticket_id": 1, "solved_at": None, "reopens": 0, "reply": {"calendar": None}}]
    delivery.load(
        tmp_path,
        reader_from(HELPDESK),
        "tickets",
        texts={
            "tickets.jsonl": "\n".join(json.dumps(t) for t in tickets) + "\n",
            "ticket_metrics.jsonl": json.dumps(metrics[0]) + "\n",
        },
    )
    extras = {
        ticket: json.loads(extra)
        for ticket, extra in delivery.query(
            tmp_path, "SELECT ticket_id, _extra FROM raw.tickets ORDER BY 1"
        )
    }
    assert extras["1"] == tickets[0] | {"_lookups": {"metrics": metrics[0]}}
    assert extras["2"] == tickets[1] | {"_lookups": {"metrics": None}}


OUTSIDE = "root:x:0:alice@example.com\n"  # what a file outside the extract root might hold


def _sources_naming(tmp_path: Path, mapping: str) -> Path:
    """A sources file that names one custom mapping for surveys, as a company writes them."""
    (tmp_path / "survey_tool.toml").write_text(mapping)
    sources = tmp_path / "cx_sources.toml"
    sources.write_text('[sources]\nsurveys = { mapping = "survey_tool.toml" }\n')
    return sources


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ('["../../../../etc/group"]', "'../../../../etc/group' contains '..'"),
        ('["answers.csv", "../answers.csv"]', "'../answers.csv' contains '..'"),
        ('["/etc/group"]', "'/etc/group' is an absolute path"),
        ('["C:\\\\exports\\\\answers.csv"]', "is an absolute path"),
        ('["exports/answers.csv"]', "'exports/answers.csv' names a subfolder"),
        ('"answers.csv"', "files takes a list of file name patterns"),
    ],
    ids=["dot-dot", "dot-dot-among-others", "absolute", "windows-absolute", "subfolder", "string"],
)
def test_a_mapping_cannot_reach_outside_the_delivery_folder(
    tmp_path: Path, files: str, problem: str
) -> None:
    sources = _sources_naming(
        tmp_path, SURVEY_TOOL.replace('files = ["answers.csv"]', f"files = {files}")
    )
    with pytest.raises(MappingError, match=r"mapping .*survey_tool\.toml, surveys\.nps_responses"):
        readers(str(sources))
    with pytest.raises(MappingError) as raised:
        readers(str(sources))
    assert problem in str(raised.value)


def test_a_lookup_cannot_reach_outside_the_delivery_folder() -> None:
    text = HELPDESK.replace('files = ["ticket_metrics.jsonl"]', 'files = ["../../secrets.jsonl"]')
    with pytest.raises(MappingError, match=r"lookup metrics: file pattern '\.\./\.\./secrets"):
        reader_from(text)


@pytest.mark.parametrize("reader", ["mapping", "canonical"])
def test_a_symlink_out_of_the_delivery_folder_is_refused(tmp_path: Path, reader: str) -> None:
    outside = tmp_path / "elsewhere" / "secret.csv"
    outside.parent.mkdir()
    outside.write_text(OUTSIDE)
    root = delivery.deliver(tmp_path, "surveys")
    name = "answers.csv" if reader == "mapping" else "nps_responses.csv"
    (root / "surveys" / DELIVERY / name).symlink_to(outside)
    chosen = reader_from(SURVEY_TOOL) if reader == "mapping" else readers("")["surveys"]
    from cx_pipeline.readers import ExtractError

    with pytest.raises(ExtractError, match="outside the delivery folder") as raised:
        delivery.load(tmp_path, chosen, "nps_responses")
    assert name in str(raised.value) and "alice" not in str(raised.value)
    assert "root:x" not in str(raised.value)
    with delivery.connect(tmp_path) as con:
        loaded = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' "
            "AND table_name = 'nps_responses'"
        ).fetchone()[0]
        if loaded:
            assert con.execute("SELECT count(*) FROM raw.nps_responses").fetchone() == (0,)


def test_an_error_names_the_file_and_the_problem_never_its_content(tmp_path: Path) -> None:
    """A file that is not the export expected (here: no header, a line of data first) is
    refused by name; its first line may be personal data, so it is not quoted."""
    from cx_pipeline.readers import ExtractError

    with pytest.raises(ExtractError, match=r"answers\.csv: column\(s\) Response ID") as raised:
        load(tmp_path, reader_from(SURVEY_TOOL), "nps_responses", {"answers.csv": OUTSIDE})
    assert "root" not in str(raised.value) and "alice" not in str(raised.value)
    assert "do not look like column names" in str(raised.value)
