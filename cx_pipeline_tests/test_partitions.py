"""After `make run` the UI shows every delivered day's raw partition filled (#22): the partitions
start at the first delivery, and a run over the deliveries records a materialization for each
day it loaded, in the instance the UI reads."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import pytest

from cx_pipeline import catalog, cli
from cx_pipeline.contract import ENTITIES
from cx_pipeline.partitions import delivered_days, delivery_days, range_tags
from cx_pipeline_tests.conftest import all_assets, cli_settings, make_resources
from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

# Deliveries: the CRM on 28 March (a snapshot), every source on 31 March; nothing on 29 and 30.
EARLIER = "2026-03-28"


def test_every_delivered_days_raw_partition_is_materialized_after_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    shutil.copytree(root / "crm" / DELIVERY, root / "crm" / EARLIER)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    for name, value in {**cli_settings(tmp_path), "DAGSTER_HOME": str(home)}.items():
        monkeypatch.setenv(name, value)

    # The partitions the code location builds from this root (CX_PARTITIONS_START=auto): the
    # first is the first delivery, so no partition before it stays empty.
    days = delivery_days(root)
    assert days.get_first_partition_key() == EARLIER
    assert [d.isoformat() for d in delivered_days(root)] == [EARLIER, DELIVERY]
    # The days `cx-pipeline run` loads, and the run it starts, as in cli._run (the raw layer
    # only: the marts add nothing to the partitions).
    problems, span = cli._preflight(argparse.Namespace(first=None, last=None))
    assert not problems and span is not None
    assert [d.isoformat() for d in span] == [EARLIER, DELIVERY]
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize(
            all_assets(),
            selection=dg.AssetSelection.groups("raw"),
            resources=make_resources(root, tmp_path / "cx.duckdb"),
            instance=instance,
            tags=range_tags(*span),
        )
        assert result.success

    # The instance the run recorded into, opened again as the UI opens it.
    loaded = {(span[0] + dt.timedelta(days=i)).isoformat() for i in range(4)}
    with dg.DagsterInstance.get() as instance:
        for entity in ENTITIES:
            # Every day the run loaded, delivered or not (29 and 30 were: nothing came), so
            # every delivered day; each a partition of the definition.
            filled = instance.get_materialized_partitions(catalog.key("raw", entity.name))
            assert filled == loaded, entity.name
        assert loaded <= set(days.get_partition_keys())
        # One materialization per delivered day, from this run.
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=catalog.key("raw", "accounts"), asset_partitions=[EARLIER, DELIVERY]
            ),
            limit=10,
        ).records
        assert sorted(r.partition_key for r in records) == [EARLIER, DELIVERY]
        assert {r.run_id for r in records} == {result.run_id}
