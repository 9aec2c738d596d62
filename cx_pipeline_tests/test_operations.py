"""Daily operations: partitions and backfills rebuild the same marts as one full run; the
schedule asks for the day's partition; the sensor launches new or changed deliveries only."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cx_pipeline.definitions import defs
from cx_pipeline.jobs import cx_daily_schedule, new_delivery_sensor
from cx_pipeline.marts.assets import ALL_MART_SPECS
from cx_pipeline.resources import ExtractStore
from cx_pipeline_tests.conftest import (
    SAMPLE_ROOT,
    WAREHOUSE_ONLY,
    all_assets,
    make_resources,
    materialize_all,
)
from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

DAYS = [dt.date(2026, 10, 29), dt.date(2026, 10, 30), dt.date(2026, 10, 31)]


def normalised(value: object) -> object:
    """Doubles summed in parallel may differ in their last bits from run to run."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.9g}")
    if isinstance(value, list):
        return [normalised(v) for v in value]
    return value


def marts(database: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {
            spec.name: [
                tuple(normalised(v) for v in row)
                for row in con.execute(f"SELECT * FROM marts.{spec.name} ORDER BY ALL").fetchall()
            ]
            for spec in ALL_MART_SPECS
        }


def test_partitions_and_a_backfill_build_the_marts_of_one_full_run(
    tmp_path: Path, sample_warehouse: Path
) -> None:
    database = tmp_path / "cx.duckdb"
    # The marts are compared, not the serving file: its copy of them is tested on its own.
    # The first day's partition, then a backfill of all three in one run: the first day's
    # files come again, unchanged, beside two new days. One run fewer than before (the second
    # day on its own first): an incremental run after another one is no longer covered here.
    for days in ((DAYS[0], DAYS[0]), (DAYS[0], DAYS[2])):
        materialize_all(SAMPLE_ROOT, database, days=days, selection=WAREHOUSE_ONLY)
    with duckdb.connect(str(database), read_only=True) as con:
        loaded = con.execute(
            "SELECT DISTINCT _delivery_date FROM raw.nps_responses ORDER BY 1"
        ).fetchall()
    assert [d for (d,) in loaded] == DAYS
    assert marts(database) == marts(sample_warehouse)


def test_the_schedule_asks_for_the_days_partition() -> None:
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 10, 31, 6, tzinfo=dt.UTC)
    )
    request = cx_daily_schedule(context)
    assert request.partition_key == "2026-10-31"
    assert defs.resolve_job_def("cx_daily").partitions_def is not None


def evaluate(instance: dg.DagsterInstance, root: Path, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"extracts": ExtractStore(root=str(root))}
    )
    return new_delivery_sensor(context)


def test_the_sensor_launches_new_and_changed_days_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CX_SENSOR_SETTLE_SECONDS", "0")
    root = write_tiny_extracts(tmp_path / "extracts")
    instance = dg.DagsterInstance.ephemeral()
    dg.materialize(
        all_assets(),
        resources=make_resources(root, tmp_path / "cx.duckdb"),
        instance=instance,
        partition_key=DELIVERY,
    )
    first = evaluate(instance, root, None)
    assert first.run_requests == []  # already loaded by the run above

    nps = root / "surveys" / "2026-04-01" / "nps_responses.csv"
    nps.parent.mkdir()
    shutil.copy(root / "surveys" / DELIVERY / "nps_responses.csv", nps)
    second = evaluate(instance, root, first.cursor)
    assert [r.partition_key for r in second.run_requests] == ["2026-04-01"]
    assert evaluate(instance, root, second.cursor).run_requests == []

    nps.write_text(nps.read_text() + "R99,C1,A1,s,support,2026-04-01T10:00:00Z,10,\n")
    third = evaluate(instance, root, second.cursor)
    assert [r.partition_key for r in third.run_requests] == ["2026-04-01"]
    assert third.run_requests[0].run_key != second.run_requests[0].run_key

    monkeypatch.setenv("CX_SENSOR_SETTLE_SECONDS", "3600")
    (root / "surveys" / "2026-04-02").mkdir()
    shutil.copy(nps, root / "surveys" / "2026-04-02" / "nps_responses.csv")
    assert evaluate(instance, root, third.cursor).run_requests == []  # still being written


def test_a_bad_file_is_not_retried(tmp_path: Path) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    (root / "surveys" / DELIVERY / "nps_responses.csv").write_bytes(b"")
    result = materialize_all(root, tmp_path / "cx.duckdb", raise_on_error=False)
    events = [e.event_type_value for e in result.all_events if e.step_key == "raw__nps_responses"]
    assert "STEP_FAILURE" in events and "STEP_UP_FOR_RETRY" not in events


def raw_step_events(result: dg.ExecuteInProcessResult, step: str) -> list[str]:
    return [e.event_type_value for e in result.all_events if e.step_key == step]


def test_a_missing_delivery_fails_at_once_in_a_run_you_started(tmp_path: Path) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    (root / "crm" / DELIVERY / "subscriptions.csv").unlink()
    result = materialize_all(
        root,
        tmp_path / "cx.duckdb",
        raise_on_error=False,
        selection=dg.AssetSelection.keys("raw/subscriptions"),
    )
    events = raw_step_events(result, "raw__subscriptions")
    assert "STEP_FAILURE" in events and "STEP_UP_FOR_RETRY" not in events


def test_the_schedule_waits_for_a_late_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cx_pipeline.ingest import assets as raw

    monkeypatch.setattr(raw, "MISSING_DELIVERY_WAIT_SECONDS", 0)
    root = write_tiny_extracts(tmp_path / "extracts")
    (root / "crm" / DELIVERY / "subscriptions.csv").unlink()
    result = dg.materialize(
        all_assets(),
        resources=make_resources(root, tmp_path / "cx.duckdb"),
        selection=dg.AssetSelection.keys("raw/subscriptions"),
        partition_key=DELIVERY,
        tags={"dagster/schedule_name": "cx_daily_schedule"},
        raise_on_error=False,
    )
    events = raw_step_events(result, "raw__subscriptions")
    assert events.count("STEP_UP_FOR_RETRY") == raw.MISSING_DELIVERY_RETRIES
    assert events[-1] == "STEP_FAILURE"


def test_an_optional_source_not_delivered_loads_nothing_and_fails_nothing(tmp_path: Path) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    shutil.rmtree(root / "support")
    result = materialize_all(
        root,
        tmp_path / "cx.duckdb",
        selection=dg.AssetSelection.keys("raw/tickets", "staging/tickets"),
    )
    assert result.success
    (materialization,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "raw/tickets"
    ]
    assert materialization.metadata["rows_read"].value == 0
