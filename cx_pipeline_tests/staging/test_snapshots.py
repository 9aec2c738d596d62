"""A CRM entity is a snapshot, delivered whole each day: a key missing from the latest delivery
was deleted at the source and leaves staging; raw keeps every day's snapshot."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from cx_pipeline_tests.conftest import materialize_all
from cx_pipeline_tests.tiny_extracts import CONTACTS, DELIVERY, write_tiny_extracts

NEXT_DAY = "2026-04-01"


def test_a_contact_missing_from_the_latest_snapshot_leaves_staging(tmp_path: Path, query) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    lines = CONTACTS.splitlines()
    # The next day: C6 deleted in the CRM, C5's row broken (its last good row stays).
    today = [line for line in lines if not line.startswith("C6,")]
    today = [
        line.replace("2025-12-01T00:00:00Z", "not a date") if line.startswith("C5,") else line
        for line in today
    ]
    folder = root / "crm" / NEXT_DAY
    folder.mkdir()
    (folder / "contacts.csv").write_text("\n".join(today) + "\n")
    result = materialize_all(
        root,
        tmp_path / "cx.duckdb",
        selection=dg.AssetSelection.keys("raw/contacts", "staging/contacts"),
        quarantine_block_share=1.0,
    )
    assert result.success
    assert query("SELECT contact_id FROM staging.contacts ORDER BY 1") == [
        ("C1",),
        ("C2",),
        ("C3",),
        ("C4",),
        ("C5",),
    ]
    assert query(
        "SELECT _delivery_date::VARCHAR FROM staging.contacts WHERE contact_id = 'C5'"
    ) == [(DELIVERY,)]
    assert query(
        "SELECT count(*) FROM raw.contacts WHERE contact_id = 'C6' GROUP BY _delivery_date"
    ) == [(1,)]
