"""Corrected rows: a quarantined row that a later delivery brings back clean leaves the
outstanding quarantine, and `cx-pipeline quarantine` lists what is left, oldest first.

Three days of nps_responses (an events entity) and two snapshots of accounts (worked by hand):

  nps_responses  day 1: R1 score 11 (bad), R2 score -1 (bad), R3 no id (bad), R4 good
                 day 2: R1 score 9 (corrected), R2 score 12 (still bad: day 1's R2 superseded)
                 day 3: R5 score 99 (bad)
    -> R1@1 corrected, R2@1 superseded, R2@2 outstanding, R3@1 outstanding (no key to match),
       R5@3 outstanding. Outstanding oldest first: day 1 (no id), day 2 R2, day 3 R5.
  accounts       day 1: A1 bad employees, A2 bad employees, A3 good
                 day 2: A1 good, A3 bad employees (A2 gone from the snapshot)
    -> A1@1 corrected, A2@1 superseded (the newer snapshot dropped it), A3@2 outstanding.
Every delivery still counts what it quarantined: rows in = loaded + quarantined, each day.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cx_pipeline.cli import main
from cx_pipeline.contract import entity
from cx_pipeline.ingest.extracts import find_deliveries
from cx_pipeline.ingest.loader import load_delivery
from cx_pipeline.quality.quarantine import quarantine_status
from cx_pipeline.resources import Warehouse

NPS_HEADER = "response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,score,comment\n"
NPS_DAYS = {
    "2026-03-01": [
        "R1,C1,A1,s,relationship,2026-02-27T10:00:00Z,11,",
        "R2,C2,A1,s,relationship,2026-02-27T10:00:00Z,-1,",
        ",C3,A2,s,relationship,2026-02-27T10:00:00Z,8,",
        "R4,C4,A2,s,relationship,2026-02-27T10:00:00Z,7,",
    ],
    "2026-03-02": [
        "R1,C1,A1,s,relationship,2026-02-27T10:00:00Z,9,",
        "R2,C2,A1,s,relationship,2026-02-27T10:00:00Z,12,",
    ],
    "2026-03-03": ["R5,C5,A3,s,relationship,2026-03-02T10:00:00Z,99,"],
}
ACCOUNTS_HEADER = "account_id,name,industry,region,country,employees,arr,created_at\n"
ACCOUNT_DAYS = {
    "2026-03-01": [
        "A1,Alpha,Software,EMEA,DE,many,100,2025-01-01T00:00:00Z",
        "A2,Beta,Software,EMEA,DE,lots,100,2025-01-01T00:00:00Z",
        "A3,Gamma,Software,EMEA,DE,10,100,2025-01-01T00:00:00Z",
    ],
    "2026-03-02": [
        "A1,Alpha,Software,EMEA,DE,40,100,2025-01-01T00:00:00Z",
        "A3,Gamma,Software,EMEA,DE,ten,100,2025-01-01T00:00:00Z",
    ],
}


@pytest.fixture()
def warehouse(tmp_path: Path) -> Warehouse:
    root = tmp_path / "extracts"
    for source, name, header, days in (
        ("surveys", "nps_responses", NPS_HEADER, NPS_DAYS),
        ("crm", "accounts", ACCOUNTS_HEADER, ACCOUNT_DAYS),
    ):
        for day, lines in days.items():
            folder = root / source / day
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.csv").write_text(header + "\n".join(lines) + "\n")
    warehouse = Warehouse(database=str(tmp_path / "cx.duckdb"))
    with warehouse.get_connection() as con:
        for name, days in (("nps_responses", NPS_DAYS), ("accounts", ACCOUNT_DAYS)):
            e = entity(name)
            for delivery in find_deliveries(root, e):
                load = load_delivery(con, e, delivery, root, dt.datetime.now(dt.UTC))
                expected_read = len(days[delivery.day.isoformat()])
                assert load.rows_read == expected_read
                assert load.rows_loaded + load.rows_quarantined == expected_read
    return warehouse


def test_a_corrected_row_leaves_the_outstanding_quarantine(warehouse: Warehouse) -> None:
    with warehouse.get_connection(read_only=True) as con:
        found = {
            q.entity.name: q
            for q in quarantine_status(con, (entity("nps_responses"), entity("accounts")))
        }
    nps, accounts = found["nps_responses"], found["accounts"]
    assert nps.counts == {"corrected": 1, "superseded": 1, "filtered": 0, "outstanding": 3}
    assert [(r.delivery_date.isoformat(), r.key) for r in nps.oldest_outstanding] == [
        ("2026-03-01", None),
        ("2026-03-02", "R2"),
        ("2026-03-03", "R5"),
    ]
    assert sum(nps.outstanding_by_rule.values()) >= 3
    assert accounts.counts == {"corrected": 1, "superseded": 1, "filtered": 0, "outstanding": 1}
    assert [r.key for r in accounts.oldest_outstanding] == ["A3"]


def test_the_command_lists_what_is_left_oldest_first(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("CX_WAREHOUSE", warehouse.database)
    assert main(["quarantine", "--entity", "nps_responses", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    summary = next(line for line in out.splitlines() if line.startswith("surveys.nps_responses"))
    assert summary.split()[1:] == ["5", "1", "1", "0", "3"]
    listed = [line for line in out.splitlines() if line.startswith("    2026-")]
    assert len(listed) == 2 and listed[0] < listed[1]
    assert "surveys/2026-03-01/nps_responses.csv:3" in listed[0]
    assert "crm.accounts" not in out


def test_the_command_names_an_unknown_entity(capsys: pytest.CaptureFixture) -> None:
    assert main(["quarantine", "--entity", "nope"]) != 0
    assert "nps_responses" in capsys.readouterr().err
