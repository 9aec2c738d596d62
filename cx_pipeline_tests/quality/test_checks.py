"""Asset checks in real materializations: hard rules block what depends on them, soft ones warn."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from cx_pipeline.contract import ENTITIES
from cx_pipeline.definitions import defs
from cx_pipeline.quality.checks import RAW_CHECKS, STAGING_CHECKS
from cx_pipeline_tests.conftest import RAW_AND_STAGING, materialize_all, up_to
from cx_pipeline_tests.tiny_extracts import DELIVERY, NPS_RESPONSES, write_tiny_extracts

BAD_SCORE = "R14,C1,A1,rel-q1,relationship,2026-03-06T10:00:00Z,11,\n"


def run(
    root: Path,
    tmp_path: Path,
    selection: dg.AssetSelection = RAW_AND_STAGING,
    **settings: object,
) -> dg.ExecuteInProcessResult:
    return materialize_all(
        root, tmp_path / "cx.duckdb", raise_on_error=False, selection=selection, **settings
    )


def evaluation(result: dg.ExecuteInProcessResult, asset: str, check: str):
    (found,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == asset and e.check_name == check
    ]
    return found


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_every_raw_and_staging_asset_shows_its_checks() -> None:
    specs = {
        (spec.asset_key.to_user_string(), spec.name): spec.blocking
        for assets in defs.assets or []
        for spec in assets.check_specs
    }
    for e in ENTITIES:
        for layer, checks in (("raw", RAW_CHECKS), ("staging", STAGING_CHECKS)):
            for name, blocking, _ in checks:
                assert specs[(f"{layer}/{e.name}", name)] is blocking


def test_quarantine_over_the_threshold_blocks_staging_and_marts(tmp_path: Path, query) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    nps = RAW_AND_STAGING | up_to("marts.nps_by_month")
    assert run(root, tmp_path, nps).success
    before = query("SELECT * FROM marts.nps_by_month ORDER BY month")

    write_tiny_extracts(root, NPS_RESPONSES + BAD_SCORE)  # 1 of 14 rows: 7% > 5%
    result = run(root, tmp_path, nps, quarantine_block_min_rows=1)
    assert not result.success
    check = evaluation(result, "raw/nps_responses", "quarantine_share")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["rows_quarantined"].value == 1
    assert "range:score" in check.metadata["broken_rules"].value
    # The summary line the UI lists and the run summary prints carries rule and count.
    assert "rows quarantined: 1" in check.description
    assert "rules: range:score (1)" in check.description
    assert f"surveys/{DELIVERY}/nps_responses.csv | 14 | range:score | R14" in (
        check.metadata["sample"].value
    )
    assert "raw/nps_responses" in materialized(result)
    assert not {"staging/nps_responses", "marts/nps_by_month"} & materialized(result)
    assert query("SELECT * FROM marts.nps_by_month ORDER BY month") == before


def test_one_junk_row_in_a_tiny_delivery_warns_instead_of_blocking(tmp_path: Path, query) -> None:
    # 1 of 14 rows is over the 5% share, but under the default minimum of 10 rows.
    root = write_tiny_extracts(tmp_path / "extracts", NPS_RESPONSES + BAD_SCORE)
    result = run(root, tmp_path)
    assert result.success
    check = evaluation(result, "raw/nps_responses", "quarantine_share")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["deliveries_over_threshold"].value == 1
    assert check.metadata["deliveries_blocking"].value == 0
    assert query("SELECT count(*) FROM staging.nps_responses") == [(13,)]
    assert query("SELECT count(*) FROM quarantine.nps_responses") == [(1,)]


def test_a_raised_threshold_lets_the_rest_through(tmp_path: Path, query) -> None:
    root = write_tiny_extracts(tmp_path / "extracts", NPS_RESPONSES + BAD_SCORE)
    result = run(root, tmp_path, quarantine_block_share=0.10)
    assert result.success
    assert evaluation(result, "raw/nps_responses", "quarantine_share").passed
    assert query("SELECT count(*) FROM raw.nps_responses") == [(14,)]
    assert query("SELECT count(*) FROM quarantine.nps_responses") == [(1,)]
    assert query("SELECT count(*) FROM staging.nps_responses") == [(13,)]
    reconciliation = evaluation(result, "raw/nps_responses", "reconciliation")
    assert reconciliation.passed
    assert (
        reconciliation.metadata["rows_read"].value,
        reconciliation.metadata["rows_loaded"].value,
        reconciliation.metadata["rows_quarantined"].value,
    ) == (14, 13, 1)


def test_soft_rules_warn_and_the_run_goes_on(tmp_path: Path) -> None:
    odd = (
        "R14,C99,A1,rel-q1,relationship,2026-03-06T10:00:00Z,9,\n"  # no contact C99
        "R15,C1,A1,rel-q1,relationship,2027-01-01T10:00:00Z,9,\n"  # after its delivery day
    )
    root = write_tiny_extracts(tmp_path / "extracts", NPS_RESPONSES + odd)
    result = run(root, tmp_path)
    assert result.success
    future = evaluation(result, "staging/nps_responses", "timestamps_not_in_future")
    assert not future.passed and future.severity == dg.AssetCheckSeverity.WARN
    assert future.metadata["unexpected_values"].value == 1
    assert f"surveys/{DELIVERY}/nps_responses.csv:15" in future.metadata["expectations"].value
    orphans = evaluation(result, "staging/nps_responses", "references")
    assert not orphans.passed and orphans.severity == dg.AssetCheckSeverity.WARN
    assert orphans.metadata["orphan_rows"].value == 1
    # A contact id names a person: the event log (out of an erasure's reach) keeps its hash.
    per_reference = orphans.metadata["per_reference"].value
    assert "C99" not in per_reference
    assert f"hash:{hashlib.sha256(b'C99').hexdigest()[:16]}" in per_reference
    raw = evaluation(result, "raw/nps_responses", "contract_rules")
    assert raw.passed


def test_raw_suite_reports_offending_values_with_file_and_row(tmp_path: Path) -> None:
    unparseable = "R14,C1,A1,rel-q1,by pigeon,2026-03-06T10:00:00Z,nine,\n"
    root = write_tiny_extracts(tmp_path / "extracts", NPS_RESPONSES + unparseable)
    result = run(root, tmp_path, quarantine_block_share=0.10)
    check = evaluation(result, "raw/nps_responses", "contract_rules")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["rows_validated"].value == 14
    assert check.metadata["failed_expectations"].value == 2
    table = check.metadata["expectations"].value
    where = f"surveys/{DELIVERY}/nps_responses.csv:14"
    assert (
        f"| type:score | expect_column_values_to_match_regex | 1 | 7.143 | {where} score=nine"
        in (table)
    )
    assert f"{where} touchpoint=by pigeon" in table


def test_an_empty_table_blocks_the_marts_and_keeps_yesterdays(tmp_path: Path, query) -> None:
    root = write_tiny_extracts(tmp_path / "extracts")
    segments = RAW_AND_STAGING | up_to("marts.account_segments")
    assert run(root, tmp_path, segments).success
    # Subscriptions are the CRM's spine (every other entity may be absent: optional).
    before = query("SELECT count(*) FROM staging.subscriptions")
    subscriptions = root / "crm" / DELIVERY / "subscriptions.csv"
    subscriptions.write_text(subscriptions.read_text().splitlines()[0] + "\n")
    result = run(root, tmp_path, segments)
    assert not result.success
    check = evaluation(result, "staging/subscriptions", "not_empty")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert "marts/account_segments" not in materialized(result)
    assert query("SELECT count(*) FROM staging.subscriptions") == before
    assert query("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_candidate%'") == [
        (0,)
    ]


def test_checks_never_show_personal_values(tmp_path: Path) -> None:
    """Raw and staging checks of one run (the test ran the same run once per layer before)."""
    bad_email_row = (
        "R14,C1,A1,rel-q1,relationship,2026-03-06T10:00:00Z,5,call me at ann@alpha.example\n"
    )
    root = write_tiny_extracts(tmp_path / "extracts", NPS_RESPONSES + bad_email_row)
    result = run(root, tmp_path)
    evaluations = result.get_asset_check_evaluations()
    assert {e.asset_key.path[0] for e in evaluations} == {"raw", "staging"}
    for e in evaluations:
        assert "ann@alpha.example" not in str(e.metadata)


def test_raw_suite_samples_big_loads_but_reads_every_quarantined_row(tmp_path: Path) -> None:
    unparseable = "R14,C1,A1,rel-q1,by pigeon,2026-03-06T10:00:00Z,nine,\n"
    root = write_tiny_extracts(tmp_path / "extracts", NPS_RESPONSES + unparseable)
    result = run(root, tmp_path, quarantine_block_share=0.10, raw_validation_sample_rows=2)
    check = evaluation(result, "raw/nps_responses", "contract_rules")
    assert check.metadata["sampled"].value is True
    assert check.metadata["rows_loaded"].value == 14
    assert 1 <= check.metadata["rows_validated"].value < 14
    assert check.metadata["failed_expectations"].value == 2  # the quarantined row is always read
