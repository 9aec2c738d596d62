"""Loading extracts: lineage, quarantine, reruns and clear errors for files that cannot load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cx_pipeline.contract import entity
from cx_pipeline.ingest.extracts import find_deliveries
from cx_pipeline.ingest.loader import DeliveryLoad, load_delivery
from cx_pipeline.resources import Warehouse
from cx_pipeline_tests.conftest import materialize_all
from cx_pipeline_tests.tiny_extracts import DELIVERY, NPS_RESPONSES, write_tiny_extracts

HEADER = "response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,score,comment\n"


def load(tmp_path: Path, text: str | bytes, name: str = "nps_responses") -> DeliveryLoad:
    root = tmp_path / "extracts"
    folder = root / "surveys" / DELIVERY
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.csv").write_bytes(text.encode() if isinstance(text, str) else text)
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
    materialize_all(root, tmp_path / "cx.duckdb")
    before = query("SELECT count(*) FROM staging.nps_responses")
    (root / "surveys" / DELIVERY / "nps_responses.csv").write_text("response_id,score\nR1,9\n")
    result = materialize_all(root, tmp_path / "cx.duckdb", raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "missing required column(s) submitted_at" in str(failure.event_specific_data.error)
    assert query("SELECT count(*) FROM staging.nps_responses") == before
    assert query("SELECT count(*) FROM raw.nps_responses") == [(13,)]
