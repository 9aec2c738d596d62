"""Loading extracts: lineage, quarantine, reruns and clear errors for files that cannot load."""

from __future__ import annotations

import datetime as dt
import gzip
import tomllib
from pathlib import Path

import duckdb
import pytest

from cx_pipeline.adapters.mapping import MappingError, MappingReader, parse_mapping
from cx_pipeline.contract import entity
from cx_pipeline.ingest.extracts import find_deliveries
from cx_pipeline.ingest.loader import DeliveryLoad, _csv_problem, load_delivery
from cx_pipeline.readers import csv_relation
from cx_pipeline.resources import Warehouse
from cx_pipeline_tests.conftest import RAW_AND_STAGING, materialize_all
from cx_pipeline_tests.tiny_extracts import DELIVERY, NPS_RESPONSES, write_tiny_extracts

HEADER = "response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,score,comment\n"


def load(
    tmp_path: Path, text: str | bytes, name: str = "nps_responses", suffix: str = ".csv"
) -> DeliveryLoad:
    root = tmp_path / "extracts"
    folder = root / "surveys" / DELIVERY
    folder.mkdir(parents=True, exist_ok=True)
    content = text.encode() if isinstance(text, str) else text
    if suffix.endswith(".gz"):
        content = gzip.compress(content)
    (folder / f"{name}{suffix}").write_bytes(content)
    warehouse = Warehouse(database=str(tmp_path / "cx.duckdb"))
    e = entity(name)
    with warehouse.get_connection() as con:
        (delivery,) = find_deliveries(root, e)
        return load_delivery(con, e, delivery, root, loaded_at=dt.datetime.now(dt.UTC))


def test_rows_carry_their_file_and_row_number(tmp_path: Path, query) -> None:
    result = load(tmp_path, NPS_RESPONSES)
    assert (result.rows_read, result.rows_quarantined) == (13, 0)
    rows = query(
        "SELECT response_id, _source_file, _row_number FROM raw.nps_responses ORDER BY _row_number"
    )
    assert rows[0] == ("R01", f"surveys/{DELIVERY}/nps_responses.csv", 1)
    assert rows[-1] == ("R13", f"surveys/{DELIVERY}/nps_responses.csv", 13)


def test_reloading_a_delivery_replaces_it(tmp_path: Path, query) -> None:
    load(tmp_path, NPS_RESPONSES)
    load(tmp_path, NPS_RESPONSES)
    assert query("SELECT count(*) FROM raw.nps_responses") == [(13,)]


def test_a_bad_file_fails_the_run_and_leaves_yesterdays_tables(tmp_path: Path, query) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    materialize_all(root, tmp_path / "cx.duckdb", selection=RAW_AND_STAGING)
    before = query("SELECT count(*) FROM staging.nps_responses")
    (root / "surveys" / DELIVERY / "nps_responses.csv").write_text("response_id,score\nR1,9\n")
    result = materialize_all(
        root, tmp_path / "cx.duckdb", raise_on_error=False, selection=RAW_AND_STAGING
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "missing required column(s) submitted_at" in str(failure.event_specific_data.error)
    assert query("SELECT count(*) FROM staging.nps_responses") == before
    assert query("SELECT count(*) FROM raw.nps_responses") == [(13,)]


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_mixed_line_ends_load_with_quoted_line_breaks_as_delivered(
    tmp_path: Path, suffix: str, query
) -> None:
    """Rows ending in CRLF and LF in one file (edited on two systems): Python's csv reads it,
    DuckDB's strict reader refused it with no line number."""
    row = "R{},C1,A1,rel,relationship,2026-01-01T10:00:00Z,9,{}"
    text = (
        HEADER.replace("\n", "\r\n")
        + row.format(1, "plain")
        + "\n"
        + row.format(2, '"said ""two\r\nlines"""')
        + "\r\n"
        + row.format(3, '"one\nline break"')
        + "\n"
        + row.format(4, "last")
    )
    result = load(tmp_path, text, suffix=suffix)
    assert (result.rows_read, result.rows_quarantined) == (4, 0)
    assert query("SELECT response_id, comment, _row_number FROM raw.nps_responses") == [
        ("R1", "plain", 1),
        ("R2", 'said "two\r\nlines"', 2),
        ("R3", "one\nline break", 3),
        ("R4", "last", 4),
    ]


def test_a_ten_megabyte_comment_loads(tmp_path: Path, query) -> None:
    """DuckDB's default line limit (2 MB) rejected a valid file; ours is MAX_CSV_LINE_BYTES."""
    comment = "word " * 2_000_000
    text = HEADER + f'R1,C1,A1,rel,relationship,2026-01-01T10:00:00Z,3,"{comment}"\n'
    assert load(tmp_path, text).rows_read == 1
    assert query("SELECT length(comment) FROM raw.nps_responses") == [(len(comment),)]


def test_a_line_over_the_limit_is_reported_with_its_line_and_cause(tmp_path: Path) -> None:
    """DuckDB words this error unlike its others; the cause was lost for 'all_varchar = 0'."""
    path = tmp_path / "long.csv"
    path.write_text(HEADER + "R1,C1,A1,rel,relationship,2026-01-01T10:00:00Z,3,secret words\n")
    names = HEADER.strip().split(",")
    relation = csv_relation(names, max_line_bytes=40)
    with pytest.raises(duckdb.Error) as raised:
        duckdb.connect().execute(f"SELECT * FROM {relation}", {"path": str(path)}).fetchall()
    problem = _csv_problem(raised.value)
    assert problem.startswith("line 2 of the file (counting the header as 1): Maximum line size")
    assert "exceeded" in problem and "secret" not in problem


EUROPEAN_EXPORT = """
source = "surveys"

[entities.nps_responses]
files = ["antworten.csv"]
format = "csv"
delimiter = ";"

[entities.nps_responses.columns]
response_id = "ID"
submitted_at = { field = "Datum", date_format = "%d.%m.%Y %H:%M", timezone = "Europe/Berlin" }
score = "Wert"
comment = "Warum"
"""


def test_a_mapping_delimiter_splits_the_header_as_well_as_the_rows(tmp_path: Path, query) -> None:
    """docs/sources.md documents `delimiter = ";"`; the header was always split on commas."""
    root = tmp_path / "extracts"
    folder = root / "surveys" / DELIVERY
    folder.mkdir(parents=True)
    (folder / "antworten.csv").write_text(
        "ID;Datum;Wert;Warum\nR1;31.03.2026 09:30;9;schnell, freundlich\n", encoding="utf-8"
    )
    reader = MappingReader(parse_mapping(tomllib.loads(EUROPEAN_EXPORT), "european.toml"))
    e = entity("nps_responses")
    with Warehouse(database=str(tmp_path / "cx.duckdb")).get_connection() as con:
        (delivery,) = find_deliveries(root, e, reader)
        result = load_delivery(con, e, delivery, root, dt.datetime.now(dt.UTC), reader)
    assert (result.rows_read, result.rows_quarantined) == (1, 0)
    assert query("SELECT response_id, score, comment FROM raw.nps_responses") == [
        ("R1", "9", "schnell, freundlich")
    ]


def test_a_mapping_delimiter_must_be_one_character() -> None:
    with pytest.raises(MappingError, match="delimiter must be one character"):
        parse_mapping(tomllib.loads(EUROPEAN_EXPORT.replace('";"', '"; "')), "european.toml")


def test_parquet_rows_are_numbered_by_the_file_when_loaded_unordered(tmp_path: Path, query) -> None:
    """The loader reads Parquet without insertion order kept (two threads kept in order stored
    each 250,000-row Parquet row group as two full row groups and one of 4,240 rows, which every
    later checkpoint rewrote: benchmarks/RESULTS.md). Row numbers still follow the file, read
    by two threads from several row groups, and the connection gets its setting back."""
    rows = 300_000
    folder = tmp_path / "extracts" / "analytics" / DELIVERY
    folder.mkdir(parents=True)
    with duckdb.connect() as writer:
        writer.execute(
            f"""
            COPY (SELECT 'E' || i AS event_id, 'C1' AS contact_id, 'A1' AS account_id,
                         '2026-01-01T10:00:00Z' AS occurred_at, 'login' AS event_name,
                         'S' || (i // 10) AS session_id, '{{}}' AS properties,
                         NULL AS anonymous_id
                  FROM range(1, {rows} + 1) AS t(i) ORDER BY i)
            TO '{folder / "events.parquet"}' (FORMAT parquet, ROW_GROUP_SIZE 50000)
            """
        )
    e = entity("events")
    warehouse = Warehouse(database=str(tmp_path / "cx.duckdb"), connection_config={"threads": 2})
    with warehouse.get_connection() as con:
        con.execute("SET preserve_insertion_order = true")
        (delivery,) = find_deliveries(tmp_path / "extracts", e)
        result = load_delivery(con, e, delivery, tmp_path / "extracts", dt.datetime.now(dt.UTC))
        setting = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    assert result.rows_read == rows
    # Row i of the file is event E<i>, whatever order the rows were stored in.
    assert query("SELECT count(*) FROM raw.events WHERE event_id <> 'E' || _row_number") == [(0,)]
    # _load_prepared leaves it off, as the warehouse opens (resources.py).
    assert setting == (False,)


def test_a_parquet_file_that_fails_mid_read_names_the_file(tmp_path: Path) -> None:
    """Its footer reads, its data does not: the load fails with the file's name and DuckDB's
    reason, not with the aborted transaction's refusal of the next statement."""
    from cx_pipeline.ingest.loader import ExtractError

    folder = tmp_path / "extracts" / "analytics" / DELIVERY
    folder.mkdir(parents=True)
    path = folder / "events.parquet"
    with duckdb.connect() as writer:
        writer.execute(
            f"""
            COPY (SELECT 'E' || i AS event_id, md5(i::VARCHAR) AS contact_id, 'A1' AS account_id,
                         '2026-01-01T10:00:00Z' AS occurred_at, 'login' AS event_name,
                         'S' AS session_id, '{{}}' AS properties, NULL AS anonymous_id
                  FROM range(1, 20001) AS t(i))
            TO '{path}' (FORMAT parquet)
            """
        )
    data = bytearray(path.read_bytes())
    data[100:20_000] = b"\xff" * 19_900  # the data pages; the footer at the end stays intact
    path.write_bytes(bytes(data))
    e = entity("events")
    warehouse = Warehouse(database=str(tmp_path / "cx.duckdb"))
    with warehouse.get_connection() as con:
        (delivery,) = find_deliveries(tmp_path / "extracts", e)
        with pytest.raises(ExtractError, match=r"events\.parquet"):
            load_delivery(con, e, delivery, tmp_path / "extracts", dt.datetime.now(dt.UTC))
        assert con.execute("SELECT count(*) FROM raw.events").fetchone() == (0,)
