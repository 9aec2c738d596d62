"""The marts built from the committed sample recover what the generator planted in it."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cx_pipeline.generate import TRUTH_FILE, generate
from cx_pipeline_tests.conftest import SAMPLE_ROOT

NPS_TOLERANCE_SE = 3.0  # planted vs measured regional NPS, in standard errors
CHURN_TOLERANCE_SE = 3.0


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    return json.loads((SAMPLE_ROOT / TRUTH_FILE).read_text())


def test_committed_sample_is_what_the_generator_writes(tmp_path: Path, truth: dict) -> None:
    """`make sample` is the only way data/sample changes; a stale sample fails here."""
    generate(
        tmp_path,
        scale=truth["scale"],
        seed=truth["seed"],
        as_of=date.fromisoformat(truth["as_of"]),
        deliveries=len(truth["deliveries"]),
        progress=None,
    )
    fresh = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    committed = {
        p.relative_to(SAMPLE_ROOT): p.read_bytes() for p in SAMPLE_ROOT.rglob("*") if p.is_file()
    }
    assert fresh.keys() == committed.keys()
    assert [k for k in fresh if fresh[k] != committed[k]] == []


def test_regional_nps_is_recovered(sample_query, truth: dict) -> None:
    rows = sample_query(
        "SELECT segment, responses, promoters, detractors, nps, nps_moe_95 "
        "FROM marts.nps_by_segment WHERE segment_type = 'region'"
    )
    assert {r[0] for r in rows} == set(truth["nps_by_region"])
    for region, n, promoters, detractors, nps, moe in rows:
        realised = truth["nps_realised_by_region"][region]
        # Every generated response is delivered, so the mart counts exactly what was drawn...
        assert n == realised["responses"]
        assert nps == pytest.approx(realised["nps"], abs=1e-5)
        # ...and that estimates the planted NPS within its sampling error.
        p, d = promoters / n, detractors / n
        se = 100 * math.sqrt((p + d - (p - d) ** 2) / n)
        assert abs(nps - truth["nps_by_region"][region]) <= NPS_TOLERANCE_SE * se, region
        assert moe == pytest.approx(1.96 * se, rel=0.05)


def test_regional_product_market_fit_is_recovered(sample_query, truth: dict) -> None:
    """Issue #19: the planted PMF split (two regions over the 40% benchmark, two under) is
    recovered by marts.pmf_by_segment within its sampling error."""
    rows = sample_query(
        "SELECT segment, answers, very_disappointed_pct, very_disappointed_low_95, "
        "very_disappointed_high_95 FROM marts.pmf_by_segment WHERE segment_type = 'region'"
    )
    planted = truth["pmf_very_disappointed_pct_by_region"]
    assert {r[0] for r in rows} == set(planted)
    (pmf_answers,) = sample_query(
        "SELECT count(*) FROM staging.survey_answers WHERE question_type = 'pmf'"
    )[0]
    assert sum(r[1] for r in rows) == pmf_answers > 0
    for region, n, pct, low, high in rows:
        se = 100 * math.sqrt(pct / 100 * (1 - pct / 100) / n)
        assert abs(pct - planted[region]) <= NPS_TOLERANCE_SE * se, region
        assert low <= pct <= high
    measured = {r[0]: r[2] for r in rows}
    assert sorted(measured, key=measured.get) == sorted(planted, key=planted.get)


def test_csat_and_ces_are_recovered(sample_query, truth: dict) -> None:
    """Issue #19: the planted CSAT (share 4-5) and CES (share 5-7, mean) are recovered over
    all answers within 3 standard errors, and each interval holds its estimate."""
    planted = truth["survey_ratings"]
    ((n, csat, low, high),) = sample_query(
        "SELECT answers, csat_pct, csat_low_95, csat_high_95 FROM marts.csat_by_segment "
        "WHERE segment_type = 'all' AND month IS NULL"
    )
    se = 100 * math.sqrt(csat / 100 * (1 - csat / 100) / n)
    assert abs(csat - planted["csat_pct"]) <= NPS_TOLERANCE_SE * se
    assert low < csat < high
    ((n, mean, mean_low, mean_high, easy),) = sample_query(
        "SELECT answers, mean_ces, mean_ces_low_95, mean_ces_high_95, easy_pct "
        "FROM marts.ces_by_segment WHERE segment_type = 'all' AND month IS NULL"
    )
    se = 100 * math.sqrt(easy / 100 * (1 - easy / 100) / n)
    assert abs(easy - planted["ces_easy_pct"]) <= NPS_TOLERANCE_SE * se
    # the 95% t interval is about 2 x 1.96 standard errors of the mean wide
    assert abs(mean - planted["ces_mean"]) <= NPS_TOLERANCE_SE * (mean_high - mean_low) / 3.92
    assert mean_low < mean < mean_high


def test_monthly_churn_is_recovered(sample_query, truth: dict) -> None:
    months = {
        m: (start, lost)
        for m, start, lost in sample_query(
            "SELECT strftime(month, '%Y-%m'), customers_at_start, customers_lost "
            "FROM marts.churn_by_month"
        )
    }
    for month, cell in truth["churn_months"].items():
        assert months[month] == (cell["exposures"], cell["lost"]), month
    exposures = sum(start for start, _ in months.values())
    pooled = 100 * sum(lost for _, lost in months.values()) / exposures
    expected = truth["expected_monthly_churn_pct"]
    se = 100 * math.sqrt(expected / 100 * (1 - expected / 100) / exposures)
    assert abs(pooled - expected) <= CHURN_TOLERANCE_SE * se


def test_planted_edge_cases_in_account_segments(sample_query, truth: dict) -> None:
    stages = dict(sample_query("SELECT account_id, journey_stage FROM marts.account_segments"))
    planted = truth["planted"]
    # A scheduled cancellation after the as-of date is still a customer on it.
    assert all(stages[a] != "lost" for a in planted["scheduled_cancellation_accounts"])
    # Start and cancel inside one month: a lost customer, never counted in churn.
    assert all(stages[a] == "lost" for a in planted["same_month_cancel_accounts"])
    tiers = dict(
        sample_query(
            "SELECT revenue_tier, count(*) FROM marts.account_segments WHERE is_active GROUP BY 1"
        )
    )
    assert tiers == {
        "SMB": truth["revenue_tiers_at_as_of"]["SMB"],
        "mid-market": truth["revenue_tiers_at_as_of"]["Mid-Market"],
        "enterprise": truth["revenue_tiers_at_as_of"]["Enterprise"],
    }


def test_usage_fell_flags_months_followed_by_more_churn(sample_query) -> None:
    """The generator drops an account's usage to a tenth for good and quadruples its churn
    hazard in the month after the drop. usage_fell (a new drop against the account's own 90-day
    baseline, rules.sql) must find months with more churn in the following month than the old
    rule (below half of the 30 days before), recomputed here from the same columns."""
    rows = sample_query(
        "SELECT usage_fell, events_previous_30d >= 10 "
        "AND events_last_30d < 0.5 * events_previous_30d, lost "
        "FROM marts.churn_examples WHERE lost IS NOT NULL"
    )
    new = [lost for fell, _, lost in rows if fell]
    old = [lost for _, fell, lost in rows if fell]
    rest = [lost for fell, _, lost in rows if not fell]
    rate = {k: 100 * sum(v) / len(v) for k, v in (("new", new), ("old", old), ("rest", rest))}
    print(
        f"next-month churn: new {len(new)} months {rate['new']:.1f}%, old {len(old)} months "
        f"{rate['old']:.1f}%, not flagged {rate['rest']:.1f}%"
    )
    # On the sample: new 60 months at 10.0%, old 192 at 6.8%, the rest 4.1%.
    assert rate["new"] > rate["old"] > rate["rest"]
    assert len(new) < len(old)  # fewer false alarms
