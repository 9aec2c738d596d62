"""NPS and churn on the tiny hand-written extracts equal answers worked out by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cx_pipeline_tests.conftest import materialize_all, up_to
from cx_pipeline_tests.tiny_extracts import write_tiny_extracts


def adjusted_wald_moe(promoters: int, detractors: int, n: int) -> float:
    """95% margin of error of NPS (points), computed independently of the SQL macro."""
    p = (promoters + 0.75) / (n + 3)
    d = (detractors + 0.75) / (n + 3)
    return 100 * 1.96 * math.sqrt((p + d - (p - d) ** 2) / (n + 3))


def tiny(tmp_path: Path, *tables: str, **settings: object) -> None:
    """The tiny extracts built into `tables` and only what they read."""
    materialize_all(
        write_tiny_extracts(tmp_path / "extracts"),
        tmp_path / "cx.duckdb",
        selection=up_to(*tables),
        **settings,
    )


def test_nps_by_month(tmp_path: Path, query) -> None:
    tiny(tmp_path, "marts.nps_by_month")
    rows = query(
        "SELECT strftime(month, '%Y-%m'), responses, promoters, passives, detractors, nps, "
        "nps_moe_95, low_sample FROM marts.nps_by_month ORDER BY month"
    )
    expected = {
        # Dec: 9, 9, 9, 5
        "2025-12": (4, 3, 0, 1, 50.0),
        # Jan: the band edges 10, 9 | 8, 7 | 6, 0
        "2026-01": (6, 2, 2, 2, 0.0),
        # Feb: no responses at all -> a row with n = 0 and a null NPS
        "2026-02": (0, 0, 0, 0, None),
        # Mar: only passives
        "2026-03": (3, 0, 3, 0, 0.0),
    }
    assert [r[0] for r in rows] == list(expected)
    for month, n, promoters, passives, detractors, nps, moe, low_sample in rows:
        assert (n, promoters, passives, detractors) == expected[month][:4]
        if expected[month][4] is None:
            assert nps is None and moe is None
        else:
            assert nps == pytest.approx(expected[month][4])
            assert moe == pytest.approx(adjusted_wald_moe(promoters, detractors, n))
        assert low_sample is True


def test_churn_by_month(tmp_path: Path, query) -> None:
    tiny(tmp_path, "marts.churn_by_month")
    rows = query(
        "SELECT strftime(month, '%Y-%m'), customers_at_start, customers_lost, churn_rate_pct "
        "FROM marts.churn_by_month ORDER BY month"
    )
    assert rows == [
        ("2025-10", 0, 0, None),
        ("2025-11", 3, 0, 0.0),
        ("2025-12", 4, 0, 0.0),
        ("2026-01", 4, 1, 25.0),
        ("2026-02", 3, 0, 0.0),
        ("2026-03", 3, 1, pytest.approx(100 / 3)),
    ]


def test_nps_by_region(tmp_path: Path, query) -> None:
    tiny(tmp_path, "marts.nps_by_segment")
    rows = dict(
        (segment, (n, nps))
        for segment, n, nps in query(
            "SELECT segment, responses, nps FROM marts.nps_by_segment WHERE segment_type = 'region'"
        )
    )
    # North America: A1 answered 9, 10, 9, 7 -> 3 promoters of 4.
    # EMEA: A2 9, 8 and A6 5, 6, 7 -> 1 promoter, 2 detractors of 5.
    assert rows == {
        "North America": (4, 75.0),
        "EMEA": (5, -20.0),
        "APAC": (3, pytest.approx(100 / 3)),
        "LATAM": (1, -100.0),
    }


def test_account_segments(tmp_path: Path, query) -> None:
    tiny(tmp_path, "marts.account_segments")
    rows = {
        r[0]: r[1:]
        for r in query(
            "SELECT account_id, revenue_tier, is_active, journey_stage, products "
            "FROM marts.account_segments"
        )
    }
    assert rows["A1"] == ("SMB", True, "active", ["Core"])
    assert rows["A2"] == ("mid-market", False, "lost", ["Core"])
    # A3's running subscription S4 has a recorded end on 15 Apr, after the as-of date.
    assert rows["A3"] == ("enterprise", True, "cancelling", ["Core"])
    assert rows["A5"][2] == "prospect"


def test_benchmarks_compare_with_sourced_references(tmp_path: Path, query) -> None:
    tiny(tmp_path, "marts.benchmarks")
    rows = query(
        "SELECT metric, scope, own_value, reference_value, meets_reference, reference_source "
        "FROM marts.benchmarks"
    )
    assert all(source for *_, source in rows)
    churn_target = [r for r in rows if r[0] == "monthly_logo_churn_pct" and r[3] == 5]
    # 2 lost of 17 customer-months over the complete months.
    assert churn_target == [
        (
            "monthly_logo_churn_pct",
            "all",
            pytest.approx(200 / 17),
            5.0,
            False,
            "cx-pipeline seed target: monthly churn <= 5% is healthy",
        )
    ]


def test_months_follow_the_reporting_timezone(tmp_path: Path, query) -> None:
    """In Tokyo (UTC+9) R04 (2025-12-31 23:59 UTC) moves into January and R10
    (2026-01-31 23:30 UTC) into February."""
    tiny(tmp_path, "marts.nps_by_month", timezone="Asia/Tokyo")
    rows = dict(query("SELECT strftime(month, '%Y-%m'), responses FROM marts.nps_by_month"))
    assert (rows["2025-12"], rows["2026-01"], rows["2026-02"]) == (3, 6, 1)
