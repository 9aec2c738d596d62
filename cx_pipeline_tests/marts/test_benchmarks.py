"""Benchmarks: the company against like-for-like references only (a hand-made reference file on
nps_extracts); segment benchmarks: each segment's NPS gap and its significance, churn per segment
and the seed targets, by hand on nps_extracts, and the planted regional NPS recovered from the
sample."""

# ruff: noqa: E501 (the hand-made reference file reads best as the CSV it stands for)
from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from statistics import NormalDist
from typing import Any

import dagster as dg
import duckdb
import pytest

from cx_pipeline import catalog
from cx_pipeline.generate import TRUTH_FILE
from cx_pipeline.ingest.reference import BENCHMARK_COLUMNS
from cx_pipeline.partitions import delivered_days, range_tags
from cx_pipeline.resources import ExtractStore
from cx_pipeline_tests.conftest import (
    SAMPLE_ROOT,
    all_assets,
    make_resources,
    materialize_all,
    reader,
    up_to,
)
from cx_pipeline_tests.marts.nps_extracts import write_nps_extracts

Query = Callable[..., list[tuple]]
NPS_TOLERANCE_SE = 3.0  # planted vs measured regional NPS, in standard errors


def gap_p_value(p: int, d: int, n: int, company: tuple[int, int, int]) -> float:
    """Two-sided p-value of segment vs rest of the company, written from the formula in the
    adjusted Wald form of the interval: add 3/4 to P and D and 3 to n on each side."""
    rest_p, rest_d, rest_n = company[0] - p, company[1] - d, company[2] - n

    def centre(p: int, d: int, n: int) -> float:
        return (p - d) / (n + 3)

    def variance(p: int, d: int, n: int) -> float:
        share_p, share_d = (p + 0.75) / (n + 3), (d + 0.75) / (n + 3)
        return (share_p + share_d - (share_p - share_d) ** 2) / (n + 3)

    z = (centre(p, d, n) - centre(rest_p, rest_d, rest_n)) / math.sqrt(
        variance(p, d, n) + variance(rest_p, rest_d, rest_n)
    )
    return 2 * NormalDist().cdf(-abs(z))


@pytest.fixture(scope="module")
def bench_query(tmp_path_factory: pytest.TempPathFactory) -> Query:
    root = tmp_path_factory.mktemp("benchmarks")
    materialize_all(
        write_nps_extracts(root / "extracts"),
        root / "cx.duckdb",
        selection=up_to("marts.benchmarks", "marts.segment_benchmarks"),
    )

    return reader(root / "cx.duckdb")


def cells(query: Query, segment_type: str) -> dict[str, tuple]:
    return {
        r[0]: r[1:]
        for r in query(
            "SELECT segment, responses, nps, nps_rank, company_responses, company_nps, nps_gap, "
            "nps_gap_p_value, gap_significant, meets_nps_target, customer_months, "
            "customers_lost, churn_rate_pct, company_churn_pct, churn_gap, meets_churn_target "
            "FROM marts.segment_benchmarks WHERE segment_type = ?",
            [segment_type],
        )
    }


# Window Apr-25..Mar-26: all responses but N01, 26 in all: 12 P (Oct 1, Jan 8, Feb 2, Mar 1),
# 5 passives, 9 D (Dec 1, Jan 1, Feb 6, Mar 1) -> company NPS 100 x 3 / 26 = 11.5.
COMPANY = (12, 9, 26)
COMPANY_NPS = 300 / 26
# Churn over the complete months Oct-25..Mar-26 (tiny_extracts' docstring): 2 lost of 17.
COMPANY_CHURN = 200 / 17
# marts.benchmarks compares our NPS of one survey type. Relationship answers (touchpoint
# 'relationship') in the window: N02 N08 N10 N11 N12 promoters, N03 N07 passives, N14 N17 N18
# N22 N25 detractors -> 100 x (5 - 5) / 12 = 0. Every other touchpoint (N13 and N24 have none:
# in neither): N05 N06 N09 N15 N16 N26 promoters, N23 N27 passives, N04 N19 N20 N21 detractors
# -> 100 x (6 - 4) / 12 = 16.7.
RELATIONSHIP_NPS = 0.0
TRANSACTIONAL_NPS = 200 / 12


def test_regions_against_the_company(bench_query: Query) -> None:
    rows = cells(bench_query, "region")
    # (promoters, detractors, n) per region, by hand from nps_extracts:
    #   EMEA  A2 N02 N08 N09 N22, A6 N03 N11 N13 N20 N23: 5 P, 2 D of 9 -> 33.3
    #   APAC  A3 N10 N12 N21 N27: 2 P, 1 D of 4 -> 25
    #   North America  A1: 5 P, 3 D of 9 -> 22.2
    #   unknown  N24 (no account): 1 passive -> 0
    #   LATAM  A4 N04 N14 N19: 3 D of 3 -> -100
    counts = {
        "EMEA": (5, 2, 9),
        "APAC": (2, 1, 4),
        "North America": (5, 3, 9),
        "unknown": (0, 0, 1),
        "LATAM": (0, 3, 3),
    }
    # Customer-months and losses (tiny_extracts): A1 Nov-Mar 5, none lost; A2 Nov-Jan 3 + A6
    # Nov-Mar 5, both lost; A3 Dec-Mar 4; A4 starts and ends inside December: in no count.
    churn = {
        "EMEA": (8, 2),
        "APAC": (4, 0),
        "North America": (5, 0),
        "unknown": (0, 0),
        "LATAM": (0, 0),
    }
    assert set(rows) == set(counts)
    for rank, region in enumerate(counts, start=1):
        p, d, n = counts[region]
        nps = 100 * (p - d) / n
        months, lost = churn[region]
        rate = 100 * lost / months if months else None
        p_value = gap_p_value(p, d, n, COMPANY)
        assert rows[region] == (
            n,
            pytest.approx(nps),
            rank,
            26,
            pytest.approx(COMPANY_NPS),
            pytest.approx(nps - COMPANY_NPS),
            pytest.approx(p_value, abs=1e-6),
            False,  # Holm-adjusted over the table's 24 tests: none (see below)
            False,  # nobody reaches NPS 70
            months,
            lost,
            None if rate is None else pytest.approx(rate),
            pytest.approx(COMPANY_CHURN),
            None if rate is None else pytest.approx(rate - COMPANY_CHURN),
            None if rate is None else rate <= 5,
        ), region
    # LATAM's all-detractor answers are far from the rest (raw p < 0.05), but not once the
    # table's 24 simultaneous tests are accounted for.
    assert gap_p_value(0, 3, 3, COMPANY) < 0.05
    assert [r for r, cell in rows.items() if cell[7]] == []


def holm(p_values: dict[Any, float]) -> dict[Any, float]:
    """Holm's step-down adjustment, written from its definition: the k-th smallest of m
    p-values times (m - k + 1), never below an adjusted smaller one, at most 1."""
    adjusted, running = {}, 0.0
    ordered = sorted(p_values.items(), key=lambda item: item[1])
    for k, (key, p) in enumerate(ordered, start=1):
        running = max(running, min(1.0, (len(ordered) - k + 1) * p))
        adjusted[key] = running
    return adjusted


def test_gap_significance_is_holm_adjusted_over_the_table(bench_query: Query) -> None:
    rows = {
        (segment_type, segment): tuple(values)
        for segment_type, segment, *values in bench_query(
            "SELECT segment_type, segment, nps_gap_p_value, nps_gap_p_value_holm, "
            "gap_significant FROM marts.segment_benchmarks"
        )
    }
    raw = {key: p for key, (p, _, _) in rows.items() if p is not None}
    # One family: 5 regions, 6 industries, 4 tiers, 3 tenure bands, 6 influence levels.
    assert len(raw) == len(rows) == 24
    expected = holm(raw)
    for key, (_, adjusted, significant) in rows.items():
        assert adjusted == pytest.approx(expected[key], abs=1e-9), key
        assert significant == (expected[key] < 0.05), key
    # By hand (gap_p_value agrees with the SQL's normal tail to 1e-6): the smallest raw p-value is decision_maker's (0 P, 4 D of 4), 24 x it; next
    # LATAM and Education, both A4's three detractors (0 P, 3 D of 3): 23 x that p-value.
    # Raw, all three are below 0.05; adjusted, none is.
    decision_maker = gap_p_value(0, 4, 4, COMPANY)
    latam = gap_p_value(0, 3, 3, COMPANY)
    assert decision_maker < latam < 0.05
    assert rows[("influence_level", "decision_maker")] == (
        pytest.approx(decision_maker, rel=1e-4),
        pytest.approx(24 * decision_maker, rel=1e-4),
        False,
    )
    for key in (("region", "LATAM"), ("industry", "Education")):
        assert rows[key] == (
            pytest.approx(latam, rel=1e-4),
            pytest.approx(23 * latam, rel=1e-4),
            False,
        ), key


def test_revenue_tier_of_answers_and_of_churn(bench_query: Query) -> None:
    """NPS answers count under their account's tier of marts.nps_answers (ARR as of the as-of
    date: the CRM's for a customer, 12 x MRR on the last day for a lost account): A1 CRM 5k SMB;
    A2 12 x 4000, A4 12 x 1500, A6 12 x 1000 mid-market; A3 CRM 150k enterprise. Churn counts
    accounts under their tier at the month's start (12 x MRR then)."""
    rows = cells(bench_query, "revenue_tier")
    summary = {tier: (cell[0], cell[9], cell[10]) for tier, cell in rows.items()}
    assert summary == {
        "SMB": (9, 5, 0),
        "mid-market": (12, 8, 2),  # A2 4 + A4 3 + A6 5 answers; A2 and A6 lost
        "enterprise": (4, 4, 0),
        "unknown": (1, 0, 0),  # N24 has no account
    }
    # mid-market: P = A2 N02 N08 N09 + A6 N11 N13 = 5; D = A2 N22 + A4 N04 N14 N19 + A6 N20 = 5.
    assert rows["mid-market"][1] == pytest.approx(0.0)
    assert rows["mid-market"][6] == pytest.approx(gap_p_value(5, 5, 12, COMPANY), abs=1e-6)


def test_influence_levels_and_targets(bench_query: Query) -> None:
    rows = cells(bench_query, "influence_level")
    counts = {  # the window drops N01, one of C3's senior_manager answers
        "c_level": (0, 2, 2),
        "senior_manager": (4, 2, 8),
        "decision_maker": (0, 4, 4),
        "influencer": (1, 0, 2),
        "end_user": (5, 1, 7),
        "unknown": (2, 0, 3),
    }
    assert set(rows) == set(counts)
    for level, (p, d, n) in counts.items():
        assert rows[level][:2] == (n, pytest.approx(100 * (p - d) / n)), level
        assert rows[level][6] == pytest.approx(gap_p_value(p, d, n, COMPANY), abs=1e-6)
        # Churn is a property of accounts, not of respondents.
        assert rows[level][9:] == (None, None, None, None, None, None), level
    targets = bench_query(
        "SELECT DISTINCT nps_target, churn_target_pct FROM marts.segment_benchmarks"
    )
    assert targets == [(70.0, 5.0)]


def test_company_figures_match_marts_benchmarks(bench_query: Query) -> None:
    own = dict(
        bench_query(
            "SELECT metric, own_value FROM marts.benchmarks WHERE scope = 'all' "
            "AND comparison = 'target'"
        )
    )
    assert own == {
        "nps": pytest.approx(RELATIONSHIP_NPS),
        "monthly_logo_churn_pct": pytest.approx(COMPANY_CHURN),
    }


# --- like for like: a hand-made reference file ----------------------------------------------

HEADER = ",".join(name for name, _, _ in BENCHMARK_COLUMNS)
# metric, industry, statistic, value, unit, higher_is_better, kind, audience, survey_type,
# region, year, sample_size, sample_unit, source, source_url, licence, notes
REFERENCES = f"""{HEADER}
nps,all,average,40,pts,true,reference,B2C,relationship,US,2024,1000,respondents,Consumer study,https://b2c.example,quoted,
nps,all,average,20,pts,true,reference,B2B,relationship,US and Canada,2018,,,B2B study,https://b2b.example,quoted,
nps,all,average,50,pts,true,reference,B2B,transactional,,2020,,,Ticket study,https://tx.example,quoted,
nps,all,average,32,pts,true,reference,mixed,mixed,,,,,Mixed study,https://mixed.example,quoted,
nps,Technology,average,10,pts,true,reference,B2B,relationship,North America,2018,800,respondents,Vendor study,https://tech.example,quoted,
nps,Finance,average,5,pts,true,reference,B2B,relationship,,,,,Other industry,https://fin.example,quoted,
nps,Retail,industry_average,29,pts,true,reference,B2C,relationship,US,2024,,,Retail consumers,https://retail.example,quoted,
nps,Retail,industry_average,45,pts,true,reference,B2B,relationship,,2022,,,Retail suppliers,https://retail-b2b.example,quoted,
monthly_logo_churn_pct,all,average,4.91,%,false,reference,B2B,,,,1500,sites,Churn B2B,https://churn.example,quoted,
monthly_logo_churn_pct,all,average,6.77,%,false,reference,B2C,,,,1500,sites,Churn B2C,https://churn.example,quoted,
nps,all,target,70,pts,true,target,,,,,,,Seed,,seed,
monthly_logo_churn_pct,all,target,5,%,false,target,,,,,,,Seed,,seed,
"""


def build_benchmarks(root: Path, references: str, **settings: object) -> dg.ExecuteInProcessResult:
    """marts.benchmarks and what it reads, over nps_extracts, with `references` as the file."""
    extracts = write_nps_extracts(root / "extracts")
    (root / "reference").mkdir()
    (root / "reference" / "industry_benchmarks.csv").write_text(references)
    resources = make_resources(extracts, root / "cx.duckdb", **settings)
    resources["extracts"] = ExtractStore(root=str(extracts), reference_root=str(root / "reference"))
    days = delivered_days(extracts)
    return dg.materialize(
        all_assets(),
        resources=resources,
        selection=dg.AssetSelection.assets(catalog.key("marts", "benchmarks")).upstream(),
        tags=range_tags(days[0], days[-1]),
        raise_on_error=False,
    )


@pytest.fixture(scope="module")
def like_query(tmp_path_factory: pytest.TempPathFactory) -> Query:
    root = tmp_path_factory.mktemp("like_for_like")
    assert build_benchmarks(root, REFERENCES).success

    return reader(root / "cx.duckdb")


def test_only_like_references_are_compared(like_query: Query) -> None:
    """Ours: B2B relationship NPS (the defaults), from the relationship answers only: 0 (above;
    all answers would give 11.5), churn 200/17 = 11.8%. Company-wide rows meet the 'all'
    references and the own industry's (default Technology; Finance is neither). By hand:
      B2B relationship 20   like for like   gap 0 - 20 = -20, not met
      Technology B2B rel 10 like for like   gap 0 - 10 = -10, not met
      B2C relationship 40   audience differs              -> no gap (the old mart: -28.5)
      B2B transactional 50  survey type differs           -> no gap
      mixed/mixed 32        audience and survey differ    -> no gap
      target 70             a goal: gap 0 - 70 = -70
      churn B2B 4.91        like for like   gap 11.8 - 4.91 = +6.9, not met (lower is better)
      churn B2C 6.77        audience differs              -> no gap
      churn target 5        gap +6.8
    """
    rows = {
        (r[0], r[1], r[2]): r[3:]
        for r in like_query(
            "SELECT metric, reference_scope, reference_source, comparable, gap, "
            "meets_reference, comparability, own_audience, own_survey_type "
            "FROM marts.benchmarks WHERE scope = 'all'"
        )
    }
    nps, churn = RELATIONSHIP_NPS, COMPANY_CHURN
    like = "like for like: B2B relationship NPS"
    assert rows == {
        ("nps", "all", "B2B study"): (
            True,
            pytest.approx(nps - 20),
            False,
            like,
            "B2B",
            "relationship",
        ),
        ("nps", "Technology", "Vendor study"): (
            True,
            pytest.approx(nps - 10),
            False,
            like,
            "B2B",
            "relationship",
        ),
        ("nps", "all", "Consumer study"): (
            False,
            None,
            None,
            "not compared: audience: reference B2C, ours B2B",
            "B2B",
            "relationship",
        ),
        ("nps", "all", "Ticket study"): (
            False,
            None,
            None,
            "not compared: survey: reference transactional NPS, ours relationship NPS",
            "B2B",
            "relationship",
        ),
        ("nps", "all", "Mixed study"): (
            False,
            None,
            None,
            "not compared: audience: reference mixed, ours B2B; "
            "survey: reference mixed NPS, ours relationship NPS",
            "B2B",
            "relationship",
        ),
        ("nps", "all", "Seed"): (
            True,
            pytest.approx(nps - 70),
            False,
            "target: a goal we set, always compared",
            "B2B",
            "relationship",
        ),
        ("monthly_logo_churn_pct", "all", "Churn B2B"): (
            True,
            pytest.approx(churn - 4.91),
            False,
            "like for like: B2B churn",
            "B2B",
            None,
        ),
        ("monthly_logo_churn_pct", "all", "Churn B2C"): (
            False,
            None,
            None,
            "not compared: audience: reference B2C, ours B2B",
            "B2B",
            None,
        ),
        ("monthly_logo_churn_pct", "all", "Seed"): (
            True,
            pytest.approx(churn - 5),
            False,
            "target: a goal we set, always compared",
            "B2B",
            None,
        ),
    }


def test_an_industrys_customers_are_not_the_industry(like_query: Query) -> None:
    """Retail: A2's relationship answers N02 N08 P, N22 D -> 100 x (2 - 1) / 3 = 33.3 (N09 is a
    renewal answer: not relationship NPS). Consumers rating
    retailers (B2C) and retailers' own B2B customers both rate retail companies, not us: kept,
    never compared."""
    rows = like_query(
        "SELECT reference_source, own_value, comparable, gap, comparability FROM marts.benchmarks "
        "WHERE scope = 'Retail' ORDER BY reference_source"
    )
    subject = "subject: reference rates Retail companies, ours is our Retail customers rating us"
    assert rows == [
        (
            "Retail consumers",
            pytest.approx(100 / 3),
            False,
            None,
            f"not compared: audience: reference B2C, ours B2B; {subject}",
        ),
        ("Retail suppliers", pytest.approx(100 / 3), False, None, f"not compared: {subject}"),
    ]


def test_reference_labels_reach_the_mart(like_query: Query) -> None:
    assert like_query(
        "SELECT reference_audience, reference_survey_type, reference_region, reference_year, "
        "reference_sample_size, reference_sample_unit, reference_url, reference_licence "
        "FROM marts.benchmarks WHERE reference_source = 'Vendor study'"
    ) == [
        (
            "B2B",
            "relationship",
            "North America",
            2018,
            800,
            "respondents",
            "https://tech.example",
            "quoted",
        )
    ]


def test_a_b2c_company_compares_with_b2c_references(tmp_path: Path) -> None:
    """The same data declared B2C transactional: now only the B2C churn figure is like for like,
    and no NPS reference is (none is B2C transactional)."""
    assert build_benchmarks(
        tmp_path, REFERENCES, benchmark_audience="B2C", benchmark_survey_type="transactional"
    ).success
    with duckdb.connect(str(tmp_path / "cx.duckdb"), read_only=True) as con:
        compared = con.execute(
            "SELECT metric, reference_source FROM marts.benchmarks "
            "WHERE comparable AND comparison = 'reference' ORDER BY 1, 2"
        ).fetchall()
    assert compared == [("monthly_logo_churn_pct", "Churn B2C")]
    # A transactional NPS is the answers at every touchpoint but relationship.
    with duckdb.connect(str(tmp_path / "cx.duckdb"), read_only=True) as con:
        ((own, basis),) = con.execute(
            "SELECT DISTINCT own_value, own_basis FROM marts.benchmarks "
            "WHERE metric = 'nps' AND scope = 'all'"
        ).fetchall()
    assert own == pytest.approx(TRANSACTIONAL_NPS)
    assert basis.startswith("transactional responses")


def test_an_old_reference_file_stops_with_a_clear_error(tmp_path: Path) -> None:
    """A file from before the labels (read by position it would misplace every column)."""
    old = (
        "metric,industry,statistic,value,unit,higher_is_better,kind,source,year,notes\n"
        "nps,all,average,32,NPS points,true,reference,SurveyMonkey,,\n"
    )
    result = build_benchmarks(tmp_path, old)
    assert not result.success
    failure = next(
        e for e in result.all_events if e.is_step_failure and "industry_benchmarks" in e.step_key
    )
    message = failure.step_failure_data.error.message
    assert "missing audience, survey_type, region, sample_size, sample_unit" in message
    assert "source_url, licence" in message
    assert "docs/benchmarks.md" in message


def test_the_shipped_references_are_labelled(tmp_path: Path) -> None:
    """Every published figure in data/reference says whom it measures and where it was found."""
    with duckdb.connect() as con:
        from cx_pipeline.ingest.reference import load_reference_csv

        con.execute("CREATE SCHEMA raw")
        path = (
            Path(__file__).resolve().parents[2] / "data" / "reference" / "industry_benchmarks.csv"
        )
        load_reference_csv(con, "industry_benchmarks", str(path), BENCHMARK_COLUMNS)
        unlabelled = con.execute(
            "SELECT source FROM raw.industry_benchmarks WHERE kind = 'reference' AND ("
            "audience NOT IN ('B2B', 'B2C', 'mixed') OR source_url NOT LIKE 'https://%' "
            "OR licence IS NULL OR (metric = 'nps' AND survey_type NOT IN "
            "('relationship', 'transactional', 'mixed')))"
        ).fetchall()
        b2b = con.execute(
            "SELECT DISTINCT metric FROM raw.industry_benchmarks WHERE audience = 'B2B' ORDER BY 1"
        ).fetchall()
        urls = con.execute(
            "SELECT DISTINCT source_url FROM raw.industry_benchmarks WHERE kind = 'reference'"
        ).fetchall()
    assert unlabelled == []
    assert b2b == [("monthly_logo_churn_pct",), ("nps",)]
    cited = (path.parents[2] / "docs" / "benchmarks.md").read_text()
    assert [url for (url,) in urls if url not in cited] == []


# --- the committed sample ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    return json.loads((SAMPLE_ROOT / TRUTH_FILE).read_text())


def test_sample_ranks_regions_as_planted(sample_query: Query, truth: dict) -> None:
    rows = sample_query(
        "SELECT segment, responses, nps, nps_rank, gap_significant, meets_nps_target "
        "FROM marts.segment_benchmarks WHERE segment_type = 'region' ORDER BY nps_rank"
    )
    planted = truth["nps_by_region"]
    assert [r[0] for r in rows] == sorted(planted, key=planted.get, reverse=True)
    assert [r[0] for r in rows] == ["North America", "EMEA", "APAC", "LATAM"]
    assert [r[3] for r in rows] == [1, 2, 3, 4]
    significant = {r[0] for r in rows if r[4]}
    assert {"North America", "LATAM"} <= significant
    for region, n, nps, *_ in rows:
        # 12 months of answers estimate the planted NPS within their sampling error.
        # Standard error under the planted band probabilities.
        p = truth["nps_band_probabilities"][region]["promoter"]
        d = truth["nps_band_probabilities"][region]["detractor"]
        se = 100 * math.sqrt((p + d - (p - d) ** 2) / n)
        assert abs(nps - planted[region]) <= NPS_TOLERANCE_SE * se, region
    assert not any(r[5] for r in rows)  # no region reaches the NPS >= 70 target


def test_sample_segment_churn_adds_up_to_the_company(sample_query: Query) -> None:
    (months, lost, company_pct) = sample_query(
        "SELECT sum(customers_at_start), sum(customers_lost), "
        "100.0 * sum(customers_lost) / sum(customers_at_start) FROM marts.churn_by_month "
        "WHERE month > (SELECT max(month) FROM marts.churn_by_month) - INTERVAL 12 MONTH"
    )[0]
    sums = sample_query(
        "SELECT segment_type, sum(customer_months), sum(customers_lost), "
        "min(company_churn_pct), max(company_churn_pct) FROM marts.segment_benchmarks "
        "WHERE segment_type IN ('region', 'industry', 'revenue_tier') GROUP BY 1"
    )
    assert len(sums) == 3
    for kind, kind_months, kind_lost, low, high in sums:
        assert (kind_months, kind_lost) == (months, lost), kind
        assert low == high == pytest.approx(company_pct), kind
    (benchmark,) = sample_query(
        "SELECT DISTINCT own_value FROM marts.benchmarks WHERE metric = 'monthly_logo_churn_pct'"
    )[0]
    assert benchmark == pytest.approx(company_pct)
