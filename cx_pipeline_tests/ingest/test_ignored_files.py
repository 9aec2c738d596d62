"""Every file in a delivery folder is loaded, refused with a reason, or listed as ignored."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import dagster as dg
import pytest

from cx_pipeline.contract import ENTITIES, entity
from cx_pipeline.ingest.extracts import find_deliveries, ignored_files, stray_folders
from cx_pipeline.ingest.loader import load_delivery
from cx_pipeline.partitions import day_folders
from cx_pipeline.readers import CANONICAL
from cx_pipeline.resources import Warehouse
from cx_pipeline.run_summary import summarize
from cx_pipeline_tests.conftest import SAMPLE_ROOT, all_assets, make_resources
from cx_pipeline_tests.quality.bad_extracts import GOOD_TICKET, TICKETS
from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

DAY = dt.date.fromisoformat(DELIVERY)


def deliver(root: Path, source: str, name: str, content: bytes = b"") -> Path:
    path = root / source / DELIVERY / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("name", ["tickets.CSV", "tickets.Csv.GZ"])
def test_an_upper_case_extension_loads(tmp_path: Path, name: str) -> None:
    """A Windows export's `tickets.CSV` was skipped silently, and the day kept its old rows."""
    content = (TICKETS + GOOD_TICKET).encode()
    root = tmp_path / "extracts"
    deliver(root, "support", name, gzip.compress(content) if name.endswith("GZ") else content)
    e = entity("tickets")
    (delivery,) = find_deliveries(root, e)
    with Warehouse(database=str(tmp_path / "cx.duckdb")).get_connection() as con:
        result = load_delivery(con, e, delivery, root, dt.datetime.now(dt.UTC))
    assert (result.rows_read, result.rows_quarantined) == (1, 0)
    assert ignored_files(root, "support", CANONICAL, [DAY]) == []


def test_files_no_entity_reads_are_listed_with_the_reason(tmp_path: Path) -> None:
    root = tmp_path / "extracts"
    for name in ["nps_responses.csv", "nps_responses.xlsx", "nps_responses (1).csv", "x/a.csv"]:
        deliver(root, "surveys", name)
    deliver(root, "support", "refunds.csv")
    found = {
        f.path.relative_to(root).as_posix(): f.reason
        for source in ("surveys", "support")
        for f in ignored_files(root, source, CANONICAL, [DAY])
    }
    assert found == {
        f"surveys/{DELIVERY}/nps_responses.xlsx": "unsupported format .xlsx: export as CSV",
        f"surveys/{DELIVERY}/nps_responses (1).csv": (
            "no entity reads 'nps_responses (1).csv' "
            "(expected nps_responses.csv or nps_responses-*.csv)"
        ),
        f"surveys/{DELIVERY}/x/a.csv": (
            "in a subfolder: only files directly in a delivery folder are read"
        ),
        f"support/{DELIVERY}/refunds.csv": (
            "no entity reads 'refunds.csv' (expected one of: tickets.csv, tickets-*.csv, "
            "ticket_events.csv, ticket_events-*.csv)"
        ),
    }


def test_the_committed_sample_has_no_ignored_files() -> None:
    days = [day for day, _ in day_folders(SAMPLE_ROOT)]
    assert days
    for source in sorted({e.source for e in ENTITIES}):
        assert ignored_files(SAMPLE_ROOT, source, CANONICAL, days) == []


def run_raw_tickets(root: Path, tmp_path: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        all_assets(),
        selection=dg.AssetSelection.assets(dg.AssetKey(["raw", "tickets"])),
        resources=make_resources(root, tmp_path / "cx.duckdb"),
        partition_key=DELIVERY,
    )


def test_the_raw_asset_records_its_sources_ignored_files_once(tmp_path: Path, query) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    deliver(root, "support", "refunds.csv", b"refund_id\nF1\n")
    deliver(root, "support", "tickets.xlsx", b"PK")
    result = run_raw_tickets(root, tmp_path)
    (materialization,) = result.asset_materializations_for_node("raw__tickets")
    listed = materialization.metadata["ignored_files"].value
    assert listed["count"] == 2
    # The run summary (what `cx-pipeline run` prints) names each one with its reason.
    assert (
        f"ignored file support/{DELIVERY}/tickets.xlsx: unsupported format .xlsx: export as CSV"
        in summarize(result.all_events).lines()
    )
    assert [f["file"] for f in listed["files"]] == [
        f"support/{DELIVERY}/refunds.csv",
        f"support/{DELIVERY}/tickets.xlsx",
    ]
    run_raw_tickets(root, tmp_path)
    rows = "SELECT delivery_date, source, source_file, reason FROM audit.ignored_files ORDER BY 3"
    assert query(rows) == [
        (DAY, "support", f"support/{DELIVERY}/refunds.csv", listed["files"][0]["reason"]),
        (
            DAY,
            "support",
            f"support/{DELIVERY}/tickets.xlsx",
            "unsupported format .xlsx: export as CSV",
        ),
    ]
    (root / "support" / DELIVERY / "refunds.csv").rename(root / "support" / "refunds.csv")
    run_raw_tickets(root, tmp_path)
    assert [r[2] for r in query(rows)] == [f"support/{DELIVERY}/tickets.xlsx"]


def test_a_missing_file_names_what_was_delivered_instead(tmp_path: Path) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    folder = root / "crm" / DELIVERY
    (folder / "accounts.csv").rename(folder / "accounts.xlsx")
    result = dg.materialize(
        all_assets(),
        selection=dg.AssetSelection.assets(dg.AssetKey(["raw", "accounts"])),
        resources=make_resources(root, tmp_path / "cx.duckdb"),
        partition_key=DELIVERY,
        raise_on_error=False,
    )
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert (
        f"not read there: crm/{DELIVERY}/accounts.xlsx (unsupported format .xlsx: export as CSV)"
        in str(failure.event_specific_data.error)
    )


def test_a_compact_date_folder_is_not_a_delivery_day(tmp_path: Path) -> None:
    # Python reads '20260331' as a date; only YYYY-MM-DD names a delivery folder.
    root = write_tiny_extracts(tmp_path / "extracts")
    compact = root / "crm" / DELIVERY.replace("-", "")
    (root / "crm" / DELIVERY).rename(compact)
    assert stray_folders(root, "crm") == [compact]
    assert [folder for _, folder in day_folders(root) if folder.parent.name == "crm"] == []
