"""Survey-program marts: raking against closed forms and a reference implementation (a Poisson
log-linear model in statsmodels), and invitations, response rates, the non-responders' profile
and weighted NPS against answers worked out by hand on survey_extracts (see its docstring)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pytest
import statsmodels.api as sm

from cx_pipeline.generate import TRUTH_FILE
from cx_pipeline.marts.weighting import effective_sample_size, kish_design_effect, rake
from cx_pipeline.report.page import _survey_program
from cx_pipeline_tests.conftest import SAMPLE_ROOT, materialize_all, reader
from cx_pipeline_tests.marts.survey_extracts import write_survey_extracts

Query = Callable[..., list[tuple]]
MARTS = ("survey_response_rates", "survey_nonresponse_profile", "nps_weighted")
A = 3 * math.sqrt(3) / (1 + math.sqrt(3))  # the raked NA-SMB cell total (fixture docstring)


def adjusted_wald_moe(promoters: float, detractors: float, n: float) -> float:
    """95% margin of error of NPS in points (adjusted Wald: +3/4 to each of promoters and
    detractors, +3 to n), written from the formula, independently of rules.sql."""
    p, d = (promoters + 0.75) / (n + 3), (detractors + 0.75) / (n + 3)
    return 100 * 1.96 * math.sqrt((p + d - (p - d) ** 2) / (n + 3))


def cells(table: dict[tuple[str, str], int]) -> tuple[list[str], list[str]]:
    """Answers as their region and tier lists, `count` answers per cell."""
    regions = [r for (r, _), k in table.items() for _ in range(k)]
    tiers = [t for (_, t), k in table.items() for _ in range(k)]
    return regions, tiers


# --- raking -------------------------------------------------------------------------------------


def test_raking_a_2x2_table_keeps_its_odds_ratio() -> None:
    # The fixture's table: NA-SMB 3, NA-ent 1, EMEA-SMB 1, EMEA-ent 1; targets 50/50 on both
    # margins. Raked totals [[a, 3 - a], [3 - a, a]] with a^2 / (3 - a)^2 = 3 (odds ratio kept).
    regions, tiers = cells({("NA", "S"): 3, ("NA", "E"): 1, ("EU", "S"): 1, ("EU", "E"): 1})
    result = rake([regions, tiers], [{"NA": 2, "EU": 2}, {"S": 2, "E": 2}], ["region", "tier"])
    assert result.converged and result.capped == 0 and result.dropped == ()
    expected = [A / 3] * 3 + [3 - A, 3 - A, A]
    assert result.weights == pytest.approx(expected, abs=1e-9)
    assert kish_design_effect(result.weights) == pytest.approx((3 - A) ** 2)
    assert pytest.approx(9 / (1 + math.sqrt(3)) ** 2) == (3 - A) ** 2  # the docstring's form
    assert effective_sample_size(result.weights) == pytest.approx(6 / (3 - A) ** 2)


def test_raking_matches_a_poisson_loglinear_fit() -> None:
    """Raking's cell totals are the maximum-likelihood fit of the main-effects log-linear model
    with the answers' table as offset (Bishop, Fienberg & Holland): statsmodels' GLM as the
    reference implementation, on a 3 x 4 table."""
    seed = np.array([[40, 30, 20, 10], [35, 50, 100, 75], [30, 80, 70, 120]], dtype=float)
    rows, columns = np.array([150.0, 300.0, 550.0]), np.array([200.0, 300.0, 400.0, 100.0])
    table = {(f"r{i}", f"c{j}"): int(seed[i, j]) for i in range(3) for j in range(4)}
    regions, tiers = cells(table)
    result = rake(
        [regions, tiers],
        [{f"r{i}": v for i, v in enumerate(rows)}, {f"c{j}": v for j, v in enumerate(columns)}],
        ["region", "tier"],
        cap=None,
    )
    assert result.converged

    # Any table with the target margins is a sufficient statistic: use the independence table.
    target = np.outer(rows, columns) / rows.sum()
    i, j = np.indices(seed.shape)
    design = np.column_stack(
        [np.ones(seed.size)]
        + [(i.ravel() == k).astype(float) for k in range(1, 3)]
        + [(j.ravel() == k).astype(float) for k in range(1, 4)]
    )
    fit = sm.GLM(
        target.ravel(), design, family=sm.families.Poisson(), offset=np.log(seed.ravel())
    ).fit(tol=1e-12)
    fitted = fit.fittedvalues.reshape(seed.shape)
    assert fitted.sum(axis=1) == pytest.approx(rows) and fitted.sum(axis=0) == pytest.approx(
        columns
    )
    # Our weights have mean 1: a cell's weight is its fitted total / its answers, rescaled
    # from the target total (1,000) to the answers (n = 660).
    reference = fitted / seed * seed.sum() / rows.sum()
    by_cell = {(r, t): w for r, t, w in zip(regions, tiers, result.weights, strict=True)}
    for (r, t), w in by_cell.items():
        assert w == pytest.approx(reference[int(r[1]), int(t[1])], rel=1e-6)


def test_extreme_weights_are_capped_and_the_margins_refitted() -> None:
    # A-S 10, A-E 6, B-S 3, B-E 1 (n = 20), every target 10. Uncapped, B-E weighs 4.27. With a
    # cap of 3, B-E weighs 3 (total 3), so B-S holds 10 - 3 = 7 (7 / 3 each), A-S 10 - 7 = 3
    # (0.3 each) and A-E 10 - 3 = 7 (7 / 6 each): every margin 10, mean weight 1.
    regions, tiers = cells({("A", "S"): 10, ("A", "E"): 6, ("B", "S"): 3, ("B", "E"): 1})
    targets = [{"A": 1, "B": 1}, {"S": 1, "E": 1}]
    uncapped = rake([regions, tiers], targets, ["region", "tier"], cap=None)
    assert uncapped.weights.max() > 4
    capped = rake([regions, tiers], targets, ["region", "tier"], cap=3.0)
    assert capped.converged and capped.capped == 1
    assert capped.weights == pytest.approx([0.3] * 10 + [7 / 6] * 6 + [7 / 3] * 3 + [3.0])
    # A cap of 2 cannot hold: B needs a total of 10 from 4 answers of at most 2 each.
    assert not rake([regions, tiers], targets, ["region", "tier"], cap=2.0).converged


def test_answers_outside_the_base_get_no_weight_and_empty_base_categories_are_dropped() -> None:
    # Z (a region the base lacks) and Y (one it has 0 of) get weight 0; tier M (in the base,
    # without an answer) is left out of the targets, so S and E stay 50/50 between themselves:
    # the rest already match.
    regions, tiers = ["A", "A", "B", "B", "Z", "Y"], ["S", "E", "S", "E", "S", "E"]
    result = rake(
        [regions, tiers], [{"A": 1, "B": 1, "Y": 0}, {"S": 1, "E": 1, "M": 5}], ["region", "tier"]
    )
    assert result.converged and result.dropped == ("tier=M",)
    assert result.weights == pytest.approx([1, 1, 1, 1, 0, 0])
    assert kish_design_effect(result.weights) == 1


# --- the marts ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def survey_query(tmp_path_factory: pytest.TempPathFactory) -> Query:
    root = tmp_path_factory.mktemp("survey")
    materialize_all(
        write_survey_extracts(root / "extracts"),
        root / "cx.duckdb",
        selection=dg.AssetSelection.assets(*(["marts", m] for m in MARTS)).upstream(),
    )

    def run(sql: str, params: object = None) -> list[tuple]:
        with duckdb.connect(str(root / "cx.duckdb"), read_only=True) as con:
            return con.execute(sql, params).fetchall()

    run.path = root / "cx.duckdb"  # type: ignore[attr-defined]
    return run


def test_invitation_outcomes(survey_query: Query) -> None:
    rows = {
        r[0]: r[1:]
        for r in survey_query(
            "SELECT invitation_id, contact_id, revenue_tier, delivered, opened, answered, "
            "events_30d_before, last_nps_category FROM marts.invitation_outcomes"
        )
    }
    assert len(rows) == 12
    assert rows["I01"] == ("K1", "SMB", True, True, True, 4, "promoter")
    assert rows["I03"] == ("K3", "SMB", True, True, True, 0, "unknown")  # opened by its answer
    assert rows["I04"] == ("K4", "enterprise", True, True, True, 6, "unknown")
    assert rows["I05"] == ("K9", "enterprise", True, False, False, 0, "unknown")  # by e-mail
    assert rows["I08"] == ("K8", "enterprise", True, True, False, 0, "detractor")
    assert rows["I10"] == (None, "enterprise", False, False, False, None, "unknown")
    assert rows["I11"] == ("K7", "SMB", True, True, True, 3, "unknown")  # SMB on 5 Feb


def test_response_rates(survey_query: Query) -> None:
    rows = {
        (r[0], r[1], r[2]): r[3:]
        for r in survey_query(
            "SELECT month, segment_type, segment, sent, bounced, delivered, opened, answered, "
            "unsubscribed, response_rate_pct, open_rate_pct, unsubscribe_rate_pct "
            "FROM marts.survey_response_rates"
        )
    }
    feb, mar = dt.date(2026, 2, 1), dt.date(2026, 3, 1)
    assert rows[(None, "all", "all")] == pytest.approx(
        (12, 1, 11, 8, 7, 1, 700 / 11, 800 / 11, 100 / 11)
    )
    assert rows[(feb, "all", "all")] == pytest.approx((2, 0, 2, 1, 1, 0, 50, 50, 0))
    assert rows[(mar, "all", "all")] == pytest.approx(
        (10, 1, 9, 7, 6, 1, 600 / 9, 700 / 9, 100 / 9)
    )

    def rate(segment_type: str, segment: str) -> tuple[int, int, float]:
        sent, _, delivered, _, answered, _, pct, _, _ = rows[(None, segment_type, segment)]
        return sent, delivered, answered, pct

    assert rate("region", "North America") == pytest.approx((6, 6, 4, 400 / 6))
    assert rate("region", "EMEA") == pytest.approx((5, 4, 2, 50))
    assert rate("region", "LATAM") == pytest.approx((1, 1, 1, 100))
    assert rate("revenue_tier", "SMB") == pytest.approx((5, 5, 5, 100))
    assert rate("revenue_tier", "enterprise") == pytest.approx((7, 6, 2, 200 / 6))
    # The silent detractors: K8 answered 2 before and none of its two invitations since.
    assert rate("last_nps_category", "promoter") == pytest.approx((1, 1, 1, 100))
    assert rate("last_nps_category", "detractor") == pytest.approx((2, 2, 0, 0))
    assert rate("last_nps_category", "unknown") == pytest.approx((9, 8, 6, 75))
    assert rate("touchpoint", "relationship") == pytest.approx((9, 8, 5, 62.5))
    assert rate("touchpoint", "renewal") == pytest.approx((2, 2, 1, 50))
    assert rate("survey", "app-q1") == pytest.approx((1, 1, 1, 100))
    assert rate("channel", "email") == pytest.approx((10, 9, 6, 600 / 9))
    assert rate("channel", "sms") == pytest.approx((1, 1, 0, 0))
    # Every month's segments add up to the month.
    for segment_type in ("survey", "touchpoint", "channel", "region", "revenue_tier"):
        for month in (None, feb, mar):
            parts = [v for k, v in rows.items() if k[0] == month and k[1] == segment_type]
            assert sum(p[0] for p in parts) == rows[(month, "all", "all")][0]


def test_nonresponse_profile(survey_query: Query) -> None:
    rows = {r[0]: r[1:] for r in survey_query("SELECT * FROM marts.survey_nonresponse_profile")}
    assert rows["responders"] == pytest.approx(
        (7, 500 / 7, 0, 200 / 7, 16 / 7, 500 / 7, 1, 1, 0, 0, 0, 100)
    )
    assert rows["non-responders"] == pytest.approx((4, 0, 0, 100, 0, 0, 2, 0, 0, 2, 100, -100))


def test_weighted_nps(survey_query: Query) -> None:
    rows = {
        r[0]: r[1:]
        for r in survey_query(
            "SELECT month, base_day, active_accounts, responses, nps, nps_moe_95, "
            "responses_weighted, weighted_nps, design_effect, effective_responses, "
            "weighted_nps_moe_95, weighted_nps_low, weighted_nps_high, max_weight, "
            "weights_capped, raking_converged, margins_dropped, low_sample "
            "FROM marts.nps_weighted"
        )
    }
    assert len(rows) == 13  # Apr-25..Mar-26 and the pooled row
    deff = (3 - A) ** 2
    n_eff = 6 / deff
    share = A / 6  # promoter and detractor weight shares alike
    moe = adjusted_wald_moe(share * n_eff, share * n_eff, n_eff)
    weighted = (0.0, deff, n_eff, moe, -moe, moe, A, 0, True, None, True)
    pooled = rows[None]
    assert pooled[:3] == (dt.date(2026, 3, 31), 4, 7)
    assert pooled[3] == pytest.approx(100 / 7)
    assert pooled[4] == pytest.approx(adjusted_wald_moe(3, 2, 7))
    assert pooled[5] == 6
    assert pooled[6:] == pytest.approx(weighted, abs=1e-6)
    march = rows[dt.date(2026, 3, 1)]
    assert march[:3] == (dt.date(2026, 3, 31), 4, 6)
    assert march[3] == pytest.approx(100 * 2 / 6)
    assert march[5:] == pytest.approx((6, *weighted), abs=1e-6)
    february = rows[dt.date(2026, 2, 1)]
    assert february[:6] == (dt.date(2026, 2, 28), 4, 1, -100.0, adjusted_wald_moe(0, 1, 1), 0)
    assert february[6:] == (None, None, None, None, None, None, None, 0, None, None, True)
    assert rows[dt.date(2025, 4, 1)][1:4] == (5, 0, None)  # P5 active, no answers


def test_report_shows_the_response_rate_and_weighted_nps(survey_query: Query) -> None:
    with duckdb.connect(str(survey_query.path), read_only=True) as con:  # type: ignore[attr-defined]
        html = _survey_program(con)
    # 7 of 11 delivered; K1 (earlier promoter) answered 1 of 1, K8 (earlier detractor) 0 of 2.
    assert (
        "63.6% of 11 delivered invitations were answered; by the contact's earlier answer: "
        "promoters 100%, detractors 0%." in html
    )
    (weighted,) = survey_query("SELECT weighted_nps FROM marts.nps_weighted WHERE month IS NULL")[0]
    assert f"{100 / 7:+.1f} as answered (n = 7), {weighted:+.1f} weighted" in html


def test_invitation_marts_are_skipped_without_invitations(tmp_path: Path) -> None:
    materialize_all(
        write_survey_extracts(tmp_path / "extracts", invitations=False),
        tmp_path / "cx.duckdb",
        selection=dg.AssetSelection.assets(
            ["marts", "survey_response_rates"], ["marts", "survey_nonresponse_profile"]
        ).upstream(),
    )
    with duckdb.connect(str(tmp_path / "cx.duckdb"), read_only=True) as con:
        for mart in ("invitation_outcomes", "survey_response_rates", "survey_nonresponse_profile"):
            assert con.execute(f"SELECT count(*) FROM marts.{mart}").fetchone() == (0,)
            comment = con.execute(
                "SELECT comment FROM duckdb_tables() WHERE schema_name = 'marts' "
                "AND table_name = ?",
                [mart],
            ).fetchone()[0]
            assert "needs surveys.survey_invitations" in comment


# --- the planted response bias in the committed sample ------------------------------------------


@pytest.fixture(scope="module")
def sample_survey_query(tmp_path_factory: pytest.TempPathFactory) -> Query:
    """Only the survey marts (and what they read) of the committed sample."""
    path = tmp_path_factory.mktemp("sample-survey") / "cx.duckdb"
    materialize_all(
        SAMPLE_ROOT,
        path,
        selection=dg.AssetSelection.assets(*(["marts", m] for m in MARTS)).upstream(),
    )

    return reader(path)


def test_the_marts_recover_the_planted_response_bias(sample_survey_query: Query) -> None:
    """The generator makes a contact's chance to answer depend on their latest earlier answer
    (detractors 15%, passives 30%, promoters 45%). Measured per invitation on its sent day, the
    rates come out near those (an ignored invitation sent before a later answer blurs them by a
    few points) and in that order; non-responders' earlier NPS is far below responders'."""
    truth = json.loads((SAMPLE_ROOT / TRUTH_FILE).read_text())
    planted = truth["survey_response_bias"]["response_probability_by_last_answer"]
    rates = dict(
        sample_survey_query(
            "SELECT segment, response_rate_pct FROM marts.survey_response_rates "
            "WHERE month IS NULL AND segment_type = 'last_nps_category'"
        )
    )
    assert rates["detractor"] < rates["passive"] < rates["promoter"]
    for category, probability in planted.items():
        assert abs(rates[category] - 100 * probability) < 5, (category, rates[category])
    profile = dict(
        sample_survey_query(
            "SELECT respondent_group, earlier_nps FROM marts.survey_nonresponse_profile"
        )
    )
    assert profile["responders"] - profile["non-responders"] > 20
    # The bias runs through opinion, not through region or tier: raking to the base's region x
    # tier mix cannot undo it, and moves NPS by less than its own margin of error.
    ((nps, weighted, moe, deff, converged),) = sample_survey_query(
        "SELECT nps, weighted_nps, weighted_nps_moe_95, design_effect, raking_converged "
        "FROM marts.nps_weighted WHERE month IS NULL"
    )
    assert converged and 1 <= deff < 1.5
    assert abs(weighted - nps) < moe
