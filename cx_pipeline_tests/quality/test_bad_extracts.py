"""Every extract in the corpus gets exactly its outcome, and nothing delivered is lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from cx_pipeline.contract import entity
from cx_pipeline.contract_sql import staging_select
from cx_pipeline.ingest.extracts import find_deliveries
from cx_pipeline.ingest.loader import DeliveryLoad, ExtractError, load_delivery
from cx_pipeline.resources import Warehouse
from cx_pipeline_tests.quality.bad_extracts import CORPUS, NPS, BadExtract

DAY = "2026-03-31"
FILE_FAULTS = [c for c in CORPUS if c.error]
ROW_CASES = [c for c in CORPUS if not c.error]


def deliver(root: Path, case: BadExtract) -> Path:
    e = entity(case.entity)
    folder = root / e.source / DAY
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{e.name}.{e.file_format}"
    path.write_bytes(case.content)
    return path


def load(tmp_path: Path, case: BadExtract) -> DeliveryLoad:
    root = tmp_path / "extracts"
    deliver(root, case)
    e = entity(case.entity)
    with Warehouse(database=str(tmp_path / "cx.duckdb")).get_connection() as con:
        (delivery,) = find_deliveries(root, e)
        return load_delivery(con, e, delivery, root, loaded_at=dt.datetime.now(dt.UTC))


def test_the_corpus_covers_at_least_fifteen_faults() -> None:
    faults = [c for c in CORPUS if c.error or c.quarantined]
    assert len(faults) >= 15
    assert len({c.name for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", FILE_FAULTS, ids=lambda c: c.name)
def test_file_level_fault_names_the_file_and_loads_nothing(
    tmp_path: Path, case: BadExtract, query
) -> None:
    e = entity(case.entity)
    with pytest.raises(ExtractError) as raised:
        load(tmp_path, case)
    assert str(raised.value).startswith(f"{e.source}/{DAY}/{e.name}.{e.file_format}: ")
    assert case.error in str(raised.value)
    assert query(f"SELECT count(*) FROM raw.{e.name}") == [(0,)]
    assert query(f"SELECT count(*) FROM quarantine.{e.name}") == [(0,)]


def test_a_file_fault_leaves_the_previous_load_of_that_day(tmp_path: Path, query) -> None:
    good = BadExtract(
        "good", "nps_responses", (NPS + "R1,C1,A1,s,support,2026-01-01,9,\n").encode()
    )
    load(tmp_path, good)
    with pytest.raises(ExtractError):
        load(tmp_path, FILE_FAULTS[0])
    assert query("SELECT response_id FROM raw.nps_responses") == [("R1",)]


@pytest.mark.parametrize("case", ROW_CASES, ids=lambda c: c.name)
def test_rows_are_loaded_or_quarantined_never_lost(tmp_path: Path, case: BadExtract, query) -> None:
    result = load(tmp_path, case)
    name = entity(case.entity).name
    assert result.rows_read == case.rows_read
    assert result.rows_quarantined == len(case.quarantined)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    assert query(f"SELECT count(*) FROM raw.{name}") == [(case.rows_read,)]
    rules = dict(query(f"SELECT _row_number, list_sort(broken_rules) FROM quarantine.{name}"))
    assert rules == case.quarantined
    audit = query(
        "SELECT rows_read, rows_loaded, rows_quarantined, extra_columns, "
        "missing_optional_columns FROM audit.loads"
    )
    assert audit == [
        (
            result.rows_read,
            result.rows_loaded,
            result.rows_quarantined,
            list(case.extra_columns),
            case.missing_columns,
        )
    ]


def test_extra_columns_are_kept_in_raw(tmp_path: Path, query) -> None:
    load(tmp_path, next(c for c in CORPUS if c.name == "extra_column"))
    assert query("SELECT _extra->>'nps_channel' FROM raw.nps_responses") == [("email",)]


def staged(tmp_path: Path, name: str) -> list[tuple]:
    with Warehouse(database=str(tmp_path / "cx.duckdb")).get_connection() as con:
        return con.execute(
            f"SELECT * EXCLUDE (_delivery_date, _source_file) FROM ({staging_select(entity(name))})"
        ).fetchall()


def test_a_duplicate_key_keeps_the_last_row(tmp_path: Path) -> None:
    load(tmp_path, next(c for c in CORPUS if c.name == "duplicate_key_in_file"))
    ((response_id, *_, score, comment, _respondent_email, row),) = staged(tmp_path, "nps_responses")
    assert (response_id, score, comment, row) == ("R1", 3, "Changed my mind", 2)


def test_values_are_trimmed_before_typing(tmp_path: Path) -> None:
    load(tmp_path, next(c for c in CORPUS if c.name == "whitespace_around_values"))
    ((response_id, _, _, _, touchpoint, _, score, *_),) = staged(tmp_path, "nps_responses")
    assert (response_id, touchpoint, score) == ("R1", "relationship", 9)


def test_offsets_are_converted_to_utc(tmp_path: Path) -> None:
    text = (
        NPS
        + "R1,C1,A1,s,support,2026-01-01T10:00:00+02:00,9,\n"
        + "R2,C1,A1,s,support,2026-01-01 10:00:00,9,\n"
    )
    load(tmp_path, BadExtract("offsets", "nps_responses", text.encode()))
    rows = staged(tmp_path, "nps_responses")
    utc = {r[0]: r[5].astimezone(dt.UTC).replace(tzinfo=None) for r in rows}
    assert utc == {"R1": dt.datetime(2026, 1, 1, 8), "R2": dt.datetime(2026, 1, 1, 10)}


def test_contact_details_in_free_text_never_reach_staging(tmp_path: Path) -> None:
    text = NPS + (
        'R1,C1,A1,s,support,2026-01-01T10:00:00Z,3,"Call me: +44 20 7946 0958, '
        'or Ann.Alpha@alpha.example. Order 12345 was late"\n'
    )
    load(tmp_path, BadExtract("contact_details", "nps_responses", text.encode()))
    (row,) = staged(tmp_path, "nps_responses")
    assert row[7] == "Call me: [phone], or [email]. Order 12345 was late"


def test_gzipped_files_load_and_their_faults_are_named_the_same(tmp_path: Path, query) -> None:
    import gzip

    root = tmp_path / "extracts"
    folder = root / "surveys" / DAY
    folder.mkdir(parents=True)
    good = (NPS + "R1,C1,A1,s,support,2026-01-01T10:00:00Z,9,ok\n").encode()
    (folder / "nps_responses.csv.gz").write_bytes(gzip.compress(good))
    e = entity("nps_responses")

    def load_folder() -> DeliveryLoad:
        with Warehouse(database=str(tmp_path / "cx.duckdb")).get_connection() as con:
            (delivery,) = find_deliveries(root, e)
            return load_delivery(con, e, delivery, root, loaded_at=dt.datetime.now(dt.UTC))

    result = load_folder()
    assert (result.rows_read, result.rows_quarantined) == (1, 0)
    bad = NPS.encode() + "R2,C1,A1,s,support,2026-01-01,9,café\n".encode("latin-1")
    (folder / "nps_responses.csv.gz").write_bytes(gzip.compress(bad))
    with pytest.raises(ExtractError, match=r"not UTF-8: invalid continuation byte .* \(line 2\)"):
        load_folder()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda gz: gz[: len(gz) // 2], id="cut_mid_stream"),
        pytest.param(lambda gz: gz[:-4], id="cut_before_trailer"),
        pytest.param(lambda gz: b"R9,secret@example.com\n", id="not_gzip"),
    ],
)
def test_a_truncated_or_corrupt_gzip_names_the_file_and_no_content(
    tmp_path: Path, damage: Callable[[bytes], bytes], query
) -> None:
    """A copy still in progress ends early; gzip's EOFError named no file (and was retried)."""
    import gzip

    root = tmp_path / "extracts"
    folder = root / "surveys" / DAY
    folder.mkdir(parents=True)
    rows = "".join(f"R{i},C1,A1,s,support,2026-01-01T10:00:00Z,9,ok\n" for i in range(500))
    (folder / "nps_responses.csv.gz").write_bytes(damage(gzip.compress((NPS + rows).encode())))
    e = entity("nps_responses")
    with Warehouse(database=str(tmp_path / "cx.duckdb")).get_connection() as con:
        (delivery,) = find_deliveries(root, e)
        with pytest.raises(ExtractError) as raised:
            load_delivery(con, e, delivery, root, loaded_at=dt.datetime.now(dt.UTC))
    message = str(raised.value)
    assert message.startswith(f"surveys/{DAY}/nps_responses.csv.gz: truncated or corrupt gzip")
    assert "secret" not in message and "R9" not in message
    assert query("SELECT count(*) FROM raw.nps_responses") == [(0,)]
