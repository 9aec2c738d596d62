"""NPS marts: the significance macros against Python's own normal distribution, and change
significance, quarters, touchpoint and influence segments, account roll-ups and the detractor
follow-up list against answers worked out by hand on nps_extracts (see its docstring)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable
from statistics import NormalDist

import dagster as dg
import duckdb
import pytest
from statsmodels.stats.multitest import multipletests

from cx_pipeline import catalog
from cx_pipeline.contract.entities import TOUCHPOINTS
from cx_pipeline.definitions import defs
from cx_pipeline.resources import install_rules
from cx_pipeline_tests.conftest import RAW_AND_STAGING, materialize_all, reader, up_to
from cx_pipeline_tests.marts.nps_extracts import write_nps_extracts

Query = Callable[..., list[tuple]]


def adjusted_nps(p: int, d: int, n: int) -> float:
    """Adjusted Wald centre in fraction units: add 3/4 to P and D and 3 to n (Rocks 2016)."""
    return ((p + 0.75) - (d + 0.75)) / (n + 3)


def adjusted_variance(p: int, d: int, n: int) -> float:
    share_p, share_d = (p + 0.75) / (n + 3), (d + 0.75) / (n + 3)
    return (share_p + share_d - (share_p - share_d) ** 2) / (n + 3)


def nps_z(p_a: int, d_a: int, n_a: int, p_b: int, d_b: int, n_b: int) -> float:
    """Two-sample z of NPS a - b in the adjusted Wald form of the interval, written from the
    formula, independently of rules.sql."""
    difference = adjusted_nps(p_a, d_a, n_a) - adjusted_nps(p_b, d_b, n_b)
    return difference / math.sqrt(
        adjusted_variance(p_a, d_a, n_a) + adjusted_variance(p_b, d_b, n_b)
    )


def interval(p: int, d: int, n: int) -> tuple[float, float, float]:
    """(margin, low, high) of the 95% adjusted Wald interval in points, clipped to -100..100."""
    centre, margin = 100 * adjusted_nps(p, d, n), 100 * 1.96 * math.sqrt(adjusted_variance(p, d, n))
    return margin, max(-100.0, centre - margin), min(100.0, centre + margin)


def holm(p_values: list[float]) -> list[float]:
    """Holm's adjustment by its definition: p_(i) becomes the largest (m - j + 1) p_(j) over the
    j <= i smallest p-values, capped at 1."""
    m = len(p_values)
    ranked = sorted(p_values)
    return [
        min(1.0, max((m - j) * ranked[j] for j in range(ranked.index(p) + p_values.count(p))))
        for p in p_values
    ]


def p_value(z: float) -> float:
    return 2 * NormalDist().cdf(-abs(z))


@pytest.fixture(scope="module")
def rules() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    install_rules(con)
    return con


@pytest.fixture(scope="module")
def nps_query(tmp_path_factory: pytest.TempPathFactory) -> Query:
    """The hand-checked NPS extracts materialized once for this module."""
    root = tmp_path_factory.mktemp("nps")
    materialize_all(
        write_nps_extracts(root / "extracts"),
        root / "cx.duckdb",
        selection=RAW_AND_STAGING
        | up_to(
            "marts.nps_by_quarter",
            "marts.nps_by_segment",
            "marts.nps_by_account",
            "marts.detractor_followup",
            "marts.account_segments",
        ),
    )

    return reader(root / "cx.duckdb")


# --- the macros -------------------------------------------------------------------------------


@pytest.mark.parametrize("z", [x / 4 for x in range(-32, 33)])
def test_normal_cdf_matches_python(rules, z: float) -> None:
    cdf, p = rules.execute("SELECT normal_cdf(?), two_sided_p_value(?)", [z, z]).fetchone()
    # Abramowitz-Stegun 7.1.26 is accurate to 1.5e-7 in erf, so to 7.5e-8 in the CDF.
    assert cdf == pytest.approx(NormalDist().cdf(z), abs=1e-7)
    assert cdf == pytest.approx(0.5 * (1 + math.erf(z / math.sqrt(2))), abs=1e-7)
    assert p == pytest.approx(p_value(z), abs=2e-7)
    assert 0 <= p <= 1


@pytest.mark.parametrize(
    "counts",
    [
        (8, 1, 10, 2, 6, 10),  # the Feb-vs-Jan change below
        (40, 10, 100, 30, 25, 120),
        (1, 1, 3, 0, 1, 1),  # one side has zero variance, the other not
        (550, 150, 1000, 480, 230, 1000),
    ],
)
def test_nps_difference_p_value_matches_python(rules, counts: tuple[int, ...]) -> None:
    z, p = rules.execute(
        "SELECT nps_difference_z(?, ?, ?, ?, ?, ?), nps_difference_p_value(?, ?, ?, ?, ?, ?)",
        [*counts, *counts],
    ).fetchone()
    assert z == pytest.approx(nps_z(*counts))
    assert p == pytest.approx(p_value(nps_z(*counts)), abs=1e-6)


def test_nps_difference_is_null_when_undefined(rules) -> None:
    rows = rules.execute(
        "SELECT nps_difference_p_value(1, 0, 2, 0, 0, 0), "  # an empty period
        "nps_difference_p_value(0, 0, 4, 0, 0, 3), "  # only passives on both sides: z = 0
        "two_sided_p_value(NULL), two_sided_p_value(0)"
    ).fetchone()
    # The adjusted variance is never 0, so only-passives samples are tested too (no difference).
    assert rows == (None, 1.0, None, 1.0)


@pytest.mark.parametrize(
    "counts", [(8, 1, 10), (0, 1, 1), (10, 0, 10), (0, 3, 3), (550, 150, 1000)]
)
def test_interval_is_the_adjusted_wald_one(rules, counts: tuple[int, int, int]) -> None:
    got = rules.execute(
        "SELECT nps_moe_95(?, ?, ?), nps_low_95(?, ?, ?), nps_high_95(?, ?, ?)", [*counts] * 3
    ).fetchone()
    assert got == pytest.approx(interval(*counts))
    # The change test divides by the same adjusted variances the interval is made of.
    (z,) = rules.execute("SELECT nps_difference_z(?, ?, ?, 2, 6, 10)", [*counts]).fetchone()
    assert z == pytest.approx(nps_z(*counts, 2, 6, 10))


def test_holm_by_definition_matches_statsmodels() -> None:
    """The test's own Holm (used below) against an independent implementation."""
    p_values = [0.01, 0.04, 0.03, 0.04, 0.2, 0.0001]
    assert holm(p_values) == pytest.approx(list(multipletests(p_values, method="holm")[1]))


def test_account_category_follows_the_sign(rules) -> None:
    rows = rules.execute(
        "SELECT nps_account_category(0.5), nps_account_category(0), "
        "nps_account_category(-16.7), nps_account_category(NULL)"
    ).fetchone()
    assert rows == ("promoter", "passive", "detractor", None)


# --- hand-computed marts ----------------------------------------------------------------------


def test_change_between_months(nps_query: Query) -> None:
    rows = {
        month.strftime("%Y-%m"): rest
        for month, *rest in nps_query(
            "SELECT month, responses, promoters, detractors, nps, nps_change, "
            "nps_change_p_value, nps_change_p_value_holm, nps_change_significant "
            "FROM marts.nps_by_month"
        )
    }
    assert len(rows) == 13  # 2025-03 .. 2026-03, empty months included
    # No previous month, or this or the previous month has no responses: no test.
    for month in ("2025-03", "2025-04", "2025-10", "2025-11", "2025-12"):
        assert rows[month][4:] == [None, None, None, None], month
    # The test is in the adjusted Wald form: add 3/4 to P and D, 3 to n on both sides.
    # Jan (8 P, 1 D of 10: NPS 70) vs Dec (1 D of 1: NPS -100): +170 points. Adjusted: Jan
    # 7 / 13 = 0.538, var (8.75/13 + 1.75/13 - (7/13)^2) / 13 = 0.0398; Dec -1/4 = -0.25, var
    # (0.75/4 + 1.75/4 - 1/16) / 4 = 0.1406; z = 0.788 / sqrt(0.1805) = 1.86, p = 0.063: one
    # answer in December proves little (the unadjusted test gave it variance 0 and z = 8.4).
    assert rows["2026-01"][:4] == [10, 8, 1, 70.0]
    assert rows["2026-01"][4] == pytest.approx(170.0)
    jan = p_value(nps_z(8, 1, 10, 0, 1, 1))
    assert jan == pytest.approx(0.0634, abs=1e-4)
    assert rows["2026-01"][5] == pytest.approx(jan, abs=1e-6)
    # Feb (2 P, 6 D of 10: NPS -40) vs Jan: -110 points; adjusted Feb -4/13 = -0.308, var
    # (2.75/13 + 6.75/13 - (4/13)^2) / 13 = 0.0489; z = -0.846 / sqrt(0.0887) = -2.84, p = 0.0045.
    feb = p_value(nps_z(2, 6, 10, 8, 1, 10))
    assert feb == pytest.approx(0.0045, abs=1e-4)
    assert rows["2026-02"][4] == pytest.approx(-110.0)
    assert rows["2026-02"][5] == pytest.approx(feb, abs=1e-6)
    # Mar (1 P, 1 D of 3: NPS 0) vs Feb: +40 points; adjusted 0, var 3.5/6 / 6 = 0.0972;
    # z = 0.308 / sqrt(0.1462) = 0.80, p = 0.42.
    mar = p_value(nps_z(1, 1, 3, 2, 6, 10))
    assert rows["2026-03"][4] == pytest.approx(40.0)
    assert rows["2026-03"][5] == pytest.approx(mar, abs=1e-6)
    # Holm over the table's 3 tests: Feb 3 x 0.0045 = 0.0135; Jan max(0.0135, 2 x 0.063) = 0.127;
    # Mar max(0.127, 1 x 0.42) = 0.42. Only February's fall is significant.
    assert [rows[m][6] for m in ("2026-01", "2026-02", "2026-03")] == pytest.approx(
        [2 * jan, 3 * feb, mar], abs=1e-6
    )
    assert [rows[m][7] for m in ("2026-01", "2026-02", "2026-03")] == [False, True, False]


def test_interval_bounds_by_month_and_segment(nps_query: Query) -> None:
    """Bounds from the hand counts: the adjusted interval is not nps +/- its margin."""
    months = {
        month.strftime("%Y-%m"): rest
        for month, *rest in nps_query(
            "SELECT month, promoters, detractors, responses, nps, nps_moe_95, nps_low_95, "
            "nps_high_95 FROM marts.nps_by_month"
        )
    }
    # Jan 8 P, 1 D of 10: centre 100 x 7 / 13 = 53.8, margin 196 x sqrt(0.0398) = 39.1
    # -> 14.7 to 93.0 around a raw NPS of 70 (nps +/- moe would say 30.9 to 109.1).
    assert months["2026-01"][3:] == pytest.approx([70.0, 39.115, 14.731, 92.961], abs=1e-3)
    # Dec 1 D of 1: centre -25, margin 196 x sqrt(0.1406) = 73.5 -> -98.5 to 48.5.
    assert months["2025-12"][3:] == pytest.approx([-100.0, 73.5, -98.5, 48.5], abs=1e-9)
    for month, (p, d, n, nps, moe, low, high) in months.items():
        if n == 0:
            assert (nps, moe, low, high) == (None, None, None, None), month
        else:
            assert (moe, low, high) == pytest.approx(interval(p, d, n)), month
    segments = nps_query(
        "SELECT promoters, detractors, responses, nps_moe_95, nps_low_95, nps_high_95 "
        "FROM marts.nps_by_segment"
    )
    assert segments
    for p, d, n, *bounds in segments:
        assert bounds == pytest.approx(interval(p, d, n))


def test_nps_by_quarter(nps_query: Query) -> None:
    rows = nps_query(
        "SELECT quarter, responses, promoters, passives, detractors, nps, nps_change, "
        "nps_change_p_value, nps_change_p_value_holm, nps_change_significant "
        "FROM marts.nps_by_quarter ORDER BY quarter"
    )
    # Q1-25: N01; Q2, Q3: none; Q4-25: N02 P, N03 ., N04 D; Q1-26: Jan + Feb + Mar =
    # (8+2+1) P, (1+2+1) ., (1+6+1) D of 23 -> NPS 100 x 3 / 23 = 13.0, vs Q4's 0. One test in
    # the table, so Holm leaves its p-value as it is.
    q1_26_p = p_value(nps_z(11, 8, 23, 1, 1, 3))
    assert rows == [
        (dt.date(2025, 1, 1), 1, 1, 0, 0, 100.0, None, None, None, None),
        (dt.date(2025, 4, 1), 0, 0, 0, 0, None, None, None, None, None),
        (dt.date(2025, 7, 1), 0, 0, 0, 0, None, None, None, None, None),
        (dt.date(2025, 10, 1), 3, 1, 1, 1, 0.0, None, None, None, None),
        (
            dt.date(2026, 1, 1),
            23,
            11,
            4,
            8,
            pytest.approx(300 / 23),
            pytest.approx(300 / 23),
            pytest.approx(q1_26_p, abs=1e-6),
            pytest.approx(q1_26_p, abs=1e-6),
            False,
        ),
    ]


def test_touchpoint_and_influence_segments(nps_query: Query) -> None:
    rows = {
        (kind, segment): (n, p, passives, d)
        for kind, segment, n, p, passives, d in nps_query(
            "SELECT segment_type, segment, responses, promoters, passives, detractors "
            "FROM marts.nps_by_segment WHERE segment_type IN ('touchpoint', 'influence_level')"
        )
    }
    assert rows == {
        # relationship: N01 N02 N08 N10 N11 N12 | N03 N07 | N14 N17 N18 N22 N25
        ("touchpoint", "relationship"): (13, 6, 2, 5),
        ("touchpoint", "support"): (5, 2, 0, 3),  # N15 N16 | N04 N20 N21
        ("touchpoint", "in_app"): (5, 3, 2, 0),  # N05 N06 N26 | N23 N27
        ("touchpoint", "renewal"): (2, 1, 0, 1),  # N09 | N19
        ("touchpoint", "unknown"): (2, 1, 1, 0),  # no touchpoint: N13 | N24
        ("influence_level", "c_level"): (2, 0, 0, 2),  # C1: N17 N25
        ("influence_level", "senior_manager"): (9, 5, 2, 2),  # C3 x5, C6 x4
        ("influence_level", "decision_maker"): (4, 0, 0, 4),  # C5 x3, C7
        ("influence_level", "influencer"): (2, 1, 1, 0),  # C8
        ("influence_level", "end_user"): (7, 5, 1, 1),  # C2 x4, C4 x3
        ("influence_level", "unknown"): (3, 2, 1, 0),  # C9 (no title) N12; no contact N13 N24
    }


def test_nps_by_account_three_roll_ups(nps_query: Query) -> None:
    rows = {
        r[0]: r[1:]
        for r in nps_query(
            "SELECT account_id, responses, promoters, passives, detractors, nps_all_responses, "
            "respondents, nps_latest_per_contact, mean_score, nps_decision_weighted, "
            "account_category, last_response_on, low_sample FROM marts.nps_by_account"
        )
    }
    # N01 (Mar 2025) is outside the 12-month window; N24 has no account. A5 never answered.
    assert set(rows) == {"A1", "A2", "A3", "A4", "A6"}
    # A1: the three roll-ups disagree (worked out in nps_extracts' docstring).
    assert rows["A1"] == (
        9,
        5,
        1,
        3,
        pytest.approx(200 / 9),
        4,
        0.0,
        pytest.approx(65 / 9),
        pytest.approx(-250 / 15),
        "detractor",
        dt.date(2026, 3, 3),
        True,
    )
    # A2: C3 (senior_manager) 9, 9, 10, then 1 after leaving: 3 P, 1 D -> 50 by response and
    # weighted alike (one respondent); the latest answer alone is a detractor -> -100.
    assert rows["A2"][4:10] == (50.0, 1, -100.0, 7.25, 50.0, "promoter")
    # A3: C4 9, 6, 8 (latest) and C9 10 -> latest-per-contact 1 P of 2 = 50; all weights 1.
    assert rows["A3"][4:10] == (25.0, 2, 50.0, 8.25, 25.0, "promoter")
    # A4: C5 3 (31 Dec), 0, 4 -> all detractors.
    assert rows["A4"][4:10] == (-100.0, 1, -100.0, pytest.approx(7 / 3), -100.0, "detractor")
    # A6: C6 (weight 2.5) 7, 9, 5, 8 and N13 (no contact, weight 1) 9 -> 2 P, 2 ., 1 D;
    # latest: C6's 8 and N13 on its own -> 1 P of 2; weighted 100 x (2.5 + 1 - 2.5) / 11.
    assert rows["A6"][4:10] == (20.0, 2, 50.0, 7.6, pytest.approx(100 / 11), "promoter")


def test_detractor_followup_order(nps_query: Query) -> None:
    rows = nps_query(
        "SELECT followup_rank, response_id, account_id, arr, influence_level, score, comment, "
        "open_tickets FROM marts.detractor_followup ORDER BY followup_rank"
    )
    # Detractors from 1 Jan to 31 Mar (N04 on 31 Dec is one day too old), by ARR
    # (A3 150k, A2 50k, A4 20k, A6 12k, A1 5k), newest first within an account.
    # Open tickets: A3 T2 open; A4 T3 pending + T4 new; A1's are solved/closed.
    assert [r[:3] for r in rows] == [
        (1, "N21", "A3"),
        (2, "N22", "A2"),
        (3, "N19", "A4"),
        (4, "N14", "A4"),
        (5, "N20", "A6"),
        (6, "N25", "A1"),
        (7, "N18", "A1"),
        (8, "N17", "A1"),
    ]
    by_id = {r[1]: r[3:] for r in rows}
    assert by_id["N21"][1:] == ("end_user", 6, None, 1)
    assert by_id["N14"][1:] == ("decision_maker", 0, "Too expensive", 2)
    assert by_id["N25"][1:] == ("c_level", 2, "Still too slow", 0)


def test_answers_rule_gives_each_account_one_tier_as_of_the_as_of_date(nps_query: Query) -> None:
    """ARR as of 2026-03-31 (tiny_extracts' CRM): a customer's is the CRM's, A1 5k and A3 150k;
    a lost account's is 12 x its MRR on its last day as a customer, where the CRM's own figure
    (A2 50k, A4 20k) is not what it paid: A2 12 x 4000 = 48k (lost 10 Jan), A4 12 x 1500 = 18k
    (lost 20 Dec), A6 12 x 1000 = 12k (lost 1 Mar). Tiers: under 10k SMB, 100k+ enterprise."""
    expected = {
        "A1": (5000, "SMB"),
        "A2": (48000, "mid-market"),
        "A3": (150000, "enterprise"),
        "A4": (18000, "mid-market"),
        "A6": (12000, "mid-market"),
    }
    answers = nps_query(
        "SELECT account_id, list(DISTINCT (arr, revenue_tier)) FROM marts.nps_answers "
        "WHERE account_id IS NOT NULL GROUP BY 1"
    )
    assert {a: [(float(arr), tier) for arr, tier in v] for a, v in answers} == {
        a: [v] for a, v in expected.items()
    }
    # N24 has no account at all.
    assert nps_query(
        "SELECT arr, revenue_tier FROM marts.nps_answers WHERE response_id = 'N24'"
    ) == [(None, "unknown")]
    by_account = nps_query("SELECT account_id, arr, revenue_tier FROM marts.nps_by_account")
    assert {a: (float(arr), tier) for a, arr, tier in by_account} == expected
    followup = nps_query(
        "SELECT DISTINCT account_id, arr, revenue_tier FROM marts.detractor_followup"
    )
    assert {a: (float(arr), tier) for a, arr, tier in followup} == {
        a: expected[a] for a in ("A1", "A2", "A3", "A4", "A6")
    }


def test_enterprise_is_the_same_accounts_in_every_nps_mart(nps_query: Query) -> None:
    """nps_by_segment counts answers, nps_by_account accounts: both from nps_answers' tiers."""
    (segment,) = nps_query(
        "SELECT responses FROM marts.nps_by_segment "
        "WHERE segment_type = 'revenue_tier' AND segment = 'enterprise'"
    )[0]
    accounts = nps_query(
        "SELECT account_id, responses FROM marts.nps_by_account WHERE revenue_tier = 'enterprise'"
    )
    # A3: N10, N12, N21, N27, all inside the 12-month window.
    assert accounts == [("A3", 4)] and segment == 4


@pytest.mark.parametrize("tier", ["SMB", "mid-market", "enterprise"])
def test_sample_tiers_are_the_same_accounts_across_nps_marts(
    sample_query: Query, tier: str
) -> None:
    """On the sample, where lost accounts have 0 ARR in the CRM, each tier is one set of
    accounts: in nps_answers (what nps_by_segment counts), in nps_by_account and in
    account_segments, and nps_by_segment counts exactly those accounts' answers."""
    answered = dict(
        sample_query(
            "SELECT account_id, count(*) FROM marts.nps_answers WHERE revenue_tier = $tier "
            "GROUP BY 1",
            {"tier": tier},
        )
    )
    assert answered
    (segment,) = sample_query(
        "SELECT responses FROM marts.nps_by_segment "
        "WHERE segment_type = 'revenue_tier' AND segment = $tier",
        {"tier": tier},
    )[0]
    assert segment == sum(answered.values())
    in_window = {
        a
        for (a,) in sample_query(
            # as of 2026-10-31: the window of nps_by_account is Nov-25..Oct-26
            "SELECT DISTINCT account_id FROM marts.nps_answers WHERE revenue_tier = $tier "
            "AND month >= DATE '2025-11-01'",
            {"tier": tier},
        )
    }
    by_account = {
        a
        for (a,) in sample_query(
            "SELECT account_id FROM marts.nps_by_account WHERE revenue_tier = $tier", {"tier": tier}
        )
    }
    assert by_account == in_window
    listed = {
        a
        for (a,) in sample_query(
            "SELECT account_id FROM marts.account_segments WHERE revenue_tier = $tier",
            {"tier": tier},
        )
    }
    assert set(answered) <= listed
    # No account has answers under two tiers.
    assert sample_query(
        "SELECT count(*) FROM (SELECT account_id FROM marts.nps_answers "
        "GROUP BY 1 HAVING count(DISTINCT revenue_tier) > 1)"
    ) == [(0,)]


def test_nps_marts_do_not_wait_on_product_events() -> None:
    """Influence level is read from the contact's job title, not from marts.contact_segments
    (which counts product events): no mart upstream of an NPS mart reads staging.events.
    (staging.identity_map still reads every source's identities, events included.)"""
    graph = defs.resolve_asset_graph()
    nps_marts = [
        catalog.key("marts", name)
        for name in (
            "nps_answers",
            "nps_by_month",
            "nps_by_quarter",
            "nps_by_segment",
            "nps_by_account",
            "detractor_followup",
        )
    ]
    upstream = dg.AssetSelection.assets(*nps_marts).upstream().resolve(graph)
    marts = {k for k in upstream if k.path[0] == "marts"}
    assert marts == {
        *nps_marts,
        catalog.key("marts", "subscription_days"),
        catalog.key("marts", "customer_spells"),  # tenure: the spell running on the answer day
        catalog.key("marts", "account_revenue"),  # the one revenue rule (ARR and tier)
        catalog.key("marts", "followup_outcomes"),  # who has been reached (the closed loop)
    }
    assert not [k for k in marts if catalog.key("staging", "events") in graph.get(k).parent_keys]


# --- the committed sample ---------------------------------------------------------------------


def test_sample_quarters_add_up_to_months(sample_query: Query) -> None:
    rows = sample_query(
        "SELECT q.quarter, q.responses, q.promoters, q.detractors, "
        "sum(m.responses), sum(m.promoters), sum(m.detractors) "
        "FROM marts.nps_by_quarter AS q JOIN marts.nps_by_month AS m "
        "ON date_trunc('quarter', m.month) = q.quarter GROUP BY ALL"
    )
    assert len(rows) >= 8
    assert all(r[1:4] == r[4:7] for r in rows)


@pytest.mark.parametrize(
    "table, period", [("nps_by_month", "month"), ("nps_by_quarter", "quarter")]
)
def test_sample_change_p_values_are_adjusted_for_the_series(
    sample_query: Query, table: str, period: str
) -> None:
    rows = sample_query(
        "SELECT responses, promoters, detractors, nps_change_p_value, nps_change_p_value_holm, "
        f"nps_change_significant FROM marts.{table} ORDER BY {period}"
    )
    raw = [
        p_value(nps_z(p1, d1, n1, p0, d0, n0)) if n0 and n1 else None
        for (n0, p0, d0, *_), (n1, p1, d1, *_) in itertools.pairwise(rows)
    ]
    tested = [p for p in raw if p is not None]
    adjusted = iter(holm(tested))
    expected = [None if p is None else next(adjusted) for p in raw]
    assert [r[3] for r in rows[1:]] == pytest.approx(raw, abs=1e-6)
    assert [r[4] for r in rows[1:]] == pytest.approx(expected, abs=1e-6)
    assert [r[5] for r in rows[1:]] == [None if p is None else p < 0.05 for p in expected]
    if table == "nps_by_month":
        # The sample's ~two dozen monthly tests include changes that pass 0.05 only unadjusted:
        # flagging on the raw p-value would call them significant.
        assert len(tested) >= 20
        assert any(r[3] < 0.05 and not r[5] for r in rows[1:] if r[3] is not None)


def test_sample_new_segments_cover_every_response(sample_query: Query) -> None:
    total = sample_query("SELECT sum(responses) FROM marts.nps_by_month")[0][0]
    cells = sample_query(
        "SELECT segment_type, list(segment), sum(responses) FROM marts.nps_by_segment "
        "WHERE segment_type IN ('touchpoint', 'influence_level') GROUP BY 1"
    )
    sums = {kind: n for kind, _, n in cells}
    assert sums == {"touchpoint": total, "influence_level": total}
    touchpoints = next(set(s) for kind, s, _ in cells if kind == "touchpoint")
    assert touchpoints == set(TOUCHPOINTS)


def test_sample_account_roll_ups(sample_query: Query) -> None:
    (responses_in_window,) = sample_query(
        "SELECT count(*) FROM staging.nps_responses "
        "WHERE submitted_at >= TIMESTAMP '2025-11-01' AND submitted_at < TIMESTAMP '2026-11-01'"
    )[0]
    summary = sample_query(
        "SELECT sum(responses), bool_and(respondents <= responses), "
        "bool_and(promoters + passives + detractors = responses), "
        "bool_and(account_category = CASE WHEN nps_decision_weighted > 0 THEN 'promoter' "
        "WHEN nps_decision_weighted < 0 THEN 'detractor' ELSE 'passive' END) "
        "FROM marts.nps_by_account"
    )[0]
    # Every sample response has an account; as-of 2026-10-31 -> window Nov-25..Oct-26.
    assert summary == (responses_in_window, True, True, True)


def test_sample_detractor_followup(sample_query: Query) -> None:
    (expected,) = sample_query(
        "SELECT count(*) FROM staging.nps_responses WHERE score <= 6 "
        "AND CAST(submitted_at AS DATE) BETWEEN DATE '2026-08-03' AND DATE '2026-10-31'"
    )[0]
    rows = sample_query(
        "SELECT followup_rank, arr, submitted_on FROM marts.detractor_followup "
        "ORDER BY followup_rank"
    )
    assert len(rows) == expected > 0
    assert [r[0] for r in rows] == list(range(1, expected + 1))
    assert all(a[1] >= b[1] for a, b in itertools.pairwise(rows))
    assert all(a[2] >= b[2] for a, b in itertools.pairwise(rows) if a[1] == b[1])


def test_fixture_is_not_quarantined(nps_query: Query) -> None:
    """Every hand-written row reached staging, so the answers above count all of them."""
    assert nps_query("SELECT count(*) FROM staging.nps_responses") == [(27,)]
    assert nps_query("SELECT count(*) FROM staging.contacts") == [(9,)]
