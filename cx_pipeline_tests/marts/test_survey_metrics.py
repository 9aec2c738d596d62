"""CSAT, CES, product-market fit and survey reasons (issue #19): the interval macros against
statsmodels and scipy, the per-question-type contract rules, and the marts against the answers
worked out by hand in survey_metrics_extracts (see its docstring)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import dagster as dg
import duckdb
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from cx_pipeline import catalog
from cx_pipeline.contract import entity
from cx_pipeline.contract_sql import broken_rules_expression, raw_table_ddl
from cx_pipeline.resources import install_rules
from cx_pipeline_tests.conftest import materialize_all, reader
from cx_pipeline_tests.marts.survey_metrics_extracts import write_survey_extracts

Query = Callable[..., list[tuple]]
FEB, MAR = dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def share_bounds(x: int, n: int) -> tuple[float, float]:
    """The adjusted Wald (Agresti-Coull) 95% interval in percent, by statsmodels."""
    low, high = proportion_confint(x, n, alpha=0.05, method="agresti_coull")
    return 100 * low, 100 * high


@pytest.fixture(scope="module")
def rules() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    install_rules(con)
    return con


@pytest.fixture(scope="module")
def survey_query(tmp_path_factory: pytest.TempPathFactory) -> Query:
    """The hand-checked survey extracts, with only the survey marts and their inputs built."""
    root = tmp_path_factory.mktemp("survey")
    wanted = [
        catalog.key("marts", name)
        for name in ("csat_by_segment", "ces_by_segment", "pmf_by_segment", "voice_by_theme")
    ]
    materialize_all(
        write_survey_extracts(root / "extracts"),
        root / "cx.duckdb",
        selection=dg.AssetSelection.assets(*wanted).upstream(),
    )

    return reader(root / "cx.duckdb")


# --- the macros -------------------------------------------------------------------------------


@pytest.mark.parametrize("x, n", [(0, 1), (1, 1), (3, 5), (0, 10), (8, 8), (2, 4), (37, 120)])
def test_share_interval_is_adjusted_wald(rules, x: int, n: int) -> None:
    low, high = rules.execute(
        "SELECT share_low_95($x, $n), share_high_95($x, $n)", {"x": x, "n": n}
    ).fetchone()
    assert (low, high) == pytest.approx(share_bounds(x, n), abs=1e-4)


def test_share_interval_of_no_answers_is_null(rules) -> None:
    assert rules.execute("SELECT share_low_95(0, 0), share_high_95(0, 0)").fetchone() == (
        None,
        None,
    )


@pytest.mark.parametrize("df", [*range(1, 61), 75, 100, 250, 1000, 100_000])
def test_t_quantile_matches_scipy(rules, df: int) -> None:
    (t,) = rules.execute("SELECT t_975($df)", {"df": df}).fetchone()
    assert t == pytest.approx(stats.t.ppf(0.975, df), abs=1e-6)


# --- the contract: each question type has its own scale -----------------------------------------


@pytest.mark.parametrize(
    "question_type, score, choice, broken",
    [
        ("csat", "4", "", []),  # a CSAT 4 is a good answer (an NPS-only check never looked)
        ("csat", "1", "", []),
        ("csat", "0", "", ["range:score"]),
        ("csat", "6", "", ["range:score"]),
        ("csat", "", "", ["required:score"]),
        ("ces", "7", "", []),
        ("ces", "8", "", ["range:score"]),
        ("nps", "0", "", []),
        ("nps", "11", "", ["range:score"]),
        ("pmf", "", "very_disappointed", []),
        ("pmf", "", "", ["required:choice"]),
        ("pmf", "", "a bit sad", ["allowed:choice"]),
        ("reason", "", "", []),
        ("stars", "3", "", ["allowed:question_type"]),
    ],
)
def test_each_question_type_is_checked_against_its_scale(
    question_type: str, score: str, choice: str, broken: list[str]
) -> None:
    answers = entity("survey_answers")
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(raw_table_ddl(answers))
    con.execute(
        "INSERT INTO raw.survey_answers (answer_id, response_id, submitted_at, question_type, "
        "score, choice) VALUES ('A1', 'R1', '2026-03-01T10:00:00Z', $type, $score, $choice)",
        {"type": question_type, "score": score, "choice": choice},
    )
    (rules,) = con.execute(
        f"SELECT list_sort({broken_rules_expression(answers)}) FROM raw.survey_answers"
    ).fetchone()
    assert rules == broken


# --- CSAT -------------------------------------------------------------------------------------


def test_csat_is_the_share_of_4_and_5_with_its_interval(survey_query: Query) -> None:
    rows = survey_query(
        "SELECT month, answers, satisfied, csat_pct, csat_low_95, csat_high_95, mean_score "
        "FROM marts.csat_by_segment WHERE segment_type = 'all' ORDER BY month NULLS FIRST"
    )
    low, high = share_bounds(3, 5)
    assert low == pytest.approx(22.91, abs=0.01) and high == pytest.approx(88.40, abs=0.01)
    assert rows == [
        (None, 5, 3, pytest.approx(60.0), pytest.approx(low), pytest.approx(high), 3.6),
        (FEB, 3, 2, pytest.approx(200 / 3), *map(pytest.approx, share_bounds(2, 3)), 4.0),
        (MAR, 2, 1, pytest.approx(50.0), *map(pytest.approx, share_bounds(1, 2)), 3.0),
    ]


def test_csat_by_region(survey_query: Query) -> None:
    rows = survey_query(
        "SELECT segment, answers, satisfied, csat_pct, csat_high_95, low_sample "
        "FROM marts.csat_by_segment WHERE segment_type = 'region' AND month IS NULL "
        "ORDER BY segment"
    )
    assert rows == [
        ("APAC", 1, 0, 0.0, pytest.approx(share_bounds(0, 1)[1]), True),
        ("EMEA", 2, 1, 50.0, pytest.approx(share_bounds(1, 2)[1]), True),
        ("North America", 2, 2, 100.0, 100.0, True),  # the interval is clipped at 100
    ]


# --- CES --------------------------------------------------------------------------------------


def test_ces_mean_with_t_interval_and_share_easy(survey_query: Query) -> None:
    (row,) = survey_query(
        "SELECT answers, mean_ces, mean_ces_low_95, mean_ces_high_95, easy, easy_pct, "
        "easy_low_95, easy_high_95 FROM marts.ces_by_segment "
        "WHERE segment_type = 'all' AND month IS NULL"
    )
    scores = [7, 2, 5, 6, 4]
    low, high = stats.t.interval(
        0.95, len(scores) - 1, loc=4.8, scale=stats.sem(scores)
    )  # hand: 2.4116 .. 7.1884
    assert (low, high) == pytest.approx((2.4116, 7.1884), abs=1e-4)
    assert row == (
        5,
        pytest.approx(4.8),
        pytest.approx(low, abs=1e-6),
        pytest.approx(high, abs=1e-6),
        3,
        pytest.approx(60.0),
        *map(pytest.approx, share_bounds(3, 5)),
    )


def test_ces_by_month_and_a_single_answer_has_no_interval(survey_query: Query) -> None:
    months = survey_query(
        "SELECT month, answers, mean_ces, easy FROM marts.ces_by_segment "
        "WHERE segment_type = 'all' AND month IS NOT NULL ORDER BY month"
    )
    assert months == [(FEB, 3, pytest.approx(14 / 3), 2), (MAR, 2, 5.0, 1)]
    (latam,) = survey_query(
        "SELECT answers, mean_ces, mean_ces_low_95, mean_ces_high_95 FROM marts.ces_by_segment "
        "WHERE segment_type = 'region' AND segment = 'LATAM' AND month IS NULL"
    )
    assert latam == (1, 5.0, None, None)


# --- product-market fit -----------------------------------------------------------------------


def test_pmf_very_disappointed_share_against_the_40_percent_benchmark(
    survey_query: Query,
) -> None:
    rows = survey_query(
        "SELECT segment_type, segment, answers, very_disappointed, somewhat_disappointed, "
        "not_disappointed, very_disappointed_pct, very_disappointed_low_95, "
        "very_disappointed_high_95, benchmark_pct, verdict FROM marts.pmf_by_segment "
        "WHERE segment_type IN ('all', 'region') ORDER BY segment_type, segment"
    )

    def row(kind: str, name: str, very: int, somewhat: int, not_: int, verdict: str) -> tuple:
        n = very + somewhat + not_
        low, high = share_bounds(very, n)
        return (kind, name, n, very, somewhat, not_, pytest.approx(100 * very / n),
                pytest.approx(low), pytest.approx(high), 40.0, verdict)  # fmt: skip

    assert rows == [
        row("all", "all", 10, 5, 7, "inconclusive"),  # 45.5%, interval holds 40
        row("region", "APAC", 8, 0, 0, "above"),  # low bound 62.8% >= 40
        row("region", "LATAM", 0, 4, 6, "below"),  # high bound 32.1% < 40
        row("region", "North America", 2, 1, 1, "inconclusive"),  # 15.0% .. 85.0%
    ]
    assert math.isclose(share_bounds(8, 8)[0], 62.78, abs_tol=0.01)
    assert math.isclose(share_bounds(0, 10)[1], 32.09, abs_tol=0.01)


# --- reasons by NPS band ----------------------------------------------------------------------


def test_survey_reasons_take_the_nps_band_of_their_response(survey_query: Query) -> None:
    items = survey_query(
        "SELECT item_id, nps_score, nps_category, list_sort(list(theme)) "
        "FROM marts.feedback_themes WHERE source = 'survey_reason' GROUP BY ALL ORDER BY 1"
    )
    assert items == [
        ("R1:why", 10, "promoter", ["reporting"]),  # the nps answer of response R1
        ("R2:why", 3, "detractor", ["pricing"]),  # nps_responses N17
        ("R3:why", None, None, ["pricing"]),  # no NPS answer in its response
    ]
    cells = survey_query(
        "SELECT nps_category, category_items, mentions FROM marts.voice_by_theme "
        "WHERE source = 'survey_reason' AND theme = 'pricing' ORDER BY 1"
    )
    assert cells == [("detractor", 1, 1), ("no answer", 1, 1), ("promoter", 1, 0)]
