"""The health score on hand-computed accounts, its track record recomputed independently, and
a guard against leakage: a past score must not change when later data exists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import polars as pl
import pytest

from cx_pipeline import catalog
from cx_pipeline.marts.prediction import HEALTH, MODEL, delong_test, track_record
from cx_pipeline.marts.prediction import auc as prediction_auc
from cx_pipeline_tests.conftest import SAMPLE_ROOT, materialize_all, up_to
from cx_pipeline_tests.marts.health_extracts import AS_OF, write_health_extracts
from cx_pipeline_tests.tiny_extracts import write_tiny_extracts


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("tiny")
    materialize_all(
        write_tiny_extracts(root / "extracts"),
        root / "cx.duckdb",
        selection=dg.AssetSelection.assets(catalog.key("marts", "account_health")).upstream(),
    )
    return duckdb.connect(str(root / "cx.duckdb"), read_only=True)


def test_health_score_by_hand(tiny: duckdb.DuckDBPyConnection) -> None:
    """As of 2026-03-31 only A1 and A3 are active (tiny_extracts' docstring).

    A1: events 10 and 11 Mar by two users, none before -> trend 1, 1 event per user = the median
        -> usage 100; latest answer R11 = 7, no detractor since 2 Mar -> nps 70; ticket T1
        (1 Mar, normal, solved) -> support 100 - 5 = 95; CSAT 5 -> 100.
        0.35 x 100 + 0.30 x 70 + 0.20 x 95 + 0.15 x 100 = 90.0
    A3: one event by one user -> usage 100; latest answer R12 = 8 -> 80; T2 urgent and open
        -> 100 - 25 - 5 = 70; no CSAT -> 50.
        0.35 x 100 + 0.30 x 80 + 0.20 x 70 + 0.15 x 50 = 80.5 -- but its only running
        subscription S4 has a recorded end on 15 Apr, after the as-of date: a booked
        cancellation, so the score is overridden with 0 (band at_risk) and A3 heads the list
        with its end day, the components still shown. A1's S1 has no end: not cancelling.
    """
    rows = tiny.execute(
        "SELECT risk_rank, account_id, usage_component, nps_component, support_component, "
        "csat_component, health_score, health_band, cancels_on FROM marts.account_health"
    ).fetchall()
    assert rows == [
        (1, "A3", 100.0, 80.0, 70.0, 50.0, 0.0, "at_risk", dt.date(2026, 4, 15)),
        (2, "A1", 100.0, 70.0, 95.0, 100.0, 90.0, "healthy", None),
    ]
    # Past evaluations cannot know when the end was booked: no override on 28 Feb.
    past = tiny.execute(
        "SELECT health_score, cancels_on FROM marts.account_health_history "
        "WHERE account_id = 'A3' AND evaluated_on = DATE '2026-02-28'"
    ).fetchall()
    assert past and past[0][0] > 0 and past[0][1] is None


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("shared")
    materialize_all(
        write_health_extracts(root / "extracts"),
        root / "cx.duckdb",
        as_of=AS_OF,
        selection=up_to("marts.account_health_history"),
    )
    return duckdb.connect(str(root / "cx.duckdb"), read_only=True)


# The health history's inputs and the account_features columns they are read from.
SHARED_INPUTS = {
    "events_last_30d": "events_last_30d",
    "events_previous_30d": "events_previous_30d",
    "events_baseline_90d": "events_baseline_90d",
    "usage_fell": "usage_fell",
    "active_users_30d": "active_users_30d",
    "events_per_active_user_30d": "events_per_active_user_30d",
    "last_nps_score": "last_nps_score",
    "detractor_last_30d": "detractor_last_30d",
    "open_escalations": "open_escalations",
    "tickets_last_90d": "tickets_90d",
    "avg_csat_180d": "avg_csat_180d",
}


def test_health_reads_the_shared_point_in_time_features(shared: duckdb.DuckDBPyConnection):
    """Hand computation in health_extracts.py: where the health score's own inputs and the
    shared features disagreed (CSAT by solve or by creation, open or recent escalations, the
    latest answer by time or by day, the intensity median with or without accounts that have
    no user), both now hold the one rule, and every scored day is a cut-off of the features
    (28 Feb, the last day of the latest complete month, too)."""
    history = ", ".join(f"h.{h}" for h in SHARED_INPUTS)
    features = ", ".join(f"f.{f}" for f in SHARED_INPUTS.values())
    pairs = shared.execute(
        f"SELECT h.evaluated_on, h.account_id, {history}, {features} "
        "FROM marts.account_health_history AS h LEFT JOIN marts.account_features AS f "
        "ON f.account_id = h.account_id AND f.feature_day = h.evaluated_on"
    ).fetchall()
    n = len(SHARED_INPUTS)
    assert pairs and all(row[2 : 2 + n] == row[2 + n :] for row in pairs)
    rows = {
        (day.isoformat(), account): rest
        for day, account, *rest in shared.execute(
            "SELECT evaluated_on, account_id, open_escalations, tickets_last_90d, "
            "avg_csat_180d, last_nps_score, active_users_30d, usage_component, nps_component, "
            "support_component, csat_component, health_score "
            "FROM marts.account_health_history "
            "WHERE evaluated_on IN (DATE '2026-02-28', DATE '2026-03-20')"
        ).fetchall()
    }
    assert set(rows) == {
        ("2026-02-28", "A1"),
        ("2026-02-28", "A3"),
        ("2026-02-28", "A6"),
        ("2026-03-20", "A1"),
        ("2026-03-20", "A3"),
    }
    approx = pytest.approx
    assert rows[("2026-03-20", "A1")] == [
        1,
        2,
        approx(10 / 3),
        7,
        2,
        100.0,
        70.0,
        65.0,
        approx(175 / 3),
        77.75,
    ]
    assert rows[("2026-02-28", "A1")] == [
        1,
        1,
        None,
        9,
        1,
        approx(250 / 3),
        90.0,
        70.0,
        50.0,
        77.67,
    ]
    assert rows[("2026-02-28", "A3")][5] == 100.0
    assert rows[("2026-02-28", "A6")][4:6] == [0, 50.0]  # events, no user: no intensity
    assert rows[("2026-03-20", "A3")][5] == 75.0
    # The journey stage reads the same features on the as-of date; for A6, lost on 1 Mar, there
    # are none (it had two events on 20 and 21 Feb, which the old stage's own count showed).
    usage = (
        "events_last_30d, events_previous_30d, events_baseline_90d, active_users_{}, "
        "open_escalations"
    )
    segments = shared.execute(
        f"SELECT account_id, {usage.format('last_30d')} FROM marts.account_segments "
        "WHERE account_id IN ('A1', 'A3', 'A6') ORDER BY account_id"
    ).fetchall()
    features = shared.execute(
        f"SELECT account_id, {usage.format('30d')} FROM marts.account_features "
        "WHERE feature_day = DATE '2026-03-20' ORDER BY account_id"
    ).fetchall()
    assert segments == [*features, ("A6", None, None, None, None, None)]
    assert features[0] == ("A1", 2, 1, 1, 2, 1)
    # The driver analyses keep the volume of recent escalations beside the open ones.
    assert shared.execute(
        "SELECT escalations_90d, open_escalations FROM marts.account_features "
        "WHERE account_id = 'A1' AND feature_day = DATE '2026-03-20'"
    ).fetchall() == [(1, 1)]


def active_on(spans: list[tuple[dt.date, dt.date | None]], day: dt.date) -> bool:
    return any(start <= day and (end is None or end > day) for start, end in spans)


def last_day(day: dt.date) -> dt.date:
    following = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return following - dt.timedelta(days=1)


def auc(scores_lost: list[float], scores_kept: list[float]) -> float:
    wins = sum(
        1.0 if lost < kept else 0.5 if lost == kept else 0.0
        for lost in scores_lost
        for kept in scores_kept
    )
    return wins / (len(scores_lost) * len(scores_kept))


def test_track_record_recomputed_independently(sample_query) -> None:
    as_of = dt.date(2026, 10, 31)
    spans: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for account, start, end in sample_query(
        "SELECT account_id, CAST(started_at AS DATE), CAST(ended_at AS DATE) "
        "FROM staging.subscriptions"
    ):
        spans.setdefault(account, []).append((start, end if end and end <= as_of else None))
    scored: dict[dt.date, list[tuple[str, float, bool]]] = {}
    for day, account, score in sample_query(
        "SELECT evaluated_on, account_id, health_score FROM marts.account_health_history"
    ):
        outcome_end = last_day(day + dt.timedelta(days=1))
        if day != last_day(day) or outcome_end > as_of:
            continue
        lost = not active_on(spans[account], outcome_end)
        scored.setdefault(day + dt.timedelta(days=1), []).append((account, score, lost))
    mart = {
        month: (n, lost, a)
        for month, n, lost, a in sample_query(
            "SELECT outcome_month, accounts_scored, accounts_lost, auc "
            "FROM marts.health_track_record"
        )
    }
    pooled: list[tuple[str, float, bool]] = []
    for month, rows in scored.items():
        pooled += rows
        lost = [s for _, s, is_lost in rows if is_lost]
        kept = [s for _, s, is_lost in rows if not is_lost]
        assert mart[month][:2] == (len(rows), len(lost)), month
        assert mart[month][2] == pytest.approx(auc(lost, kept)), month
    lost = [s for _, s, is_lost in pooled if is_lost]
    kept = [s for _, s, is_lost in pooled if not is_lost]
    assert mart[None][:2] == (len(pooled), len(lost))
    assert mart[None][2] == pytest.approx(auc(lost, kept))
    # Planted: detractors and low-usage accounts churn 2-3x as often, so the score must rank
    # the lost below the kept more often than a coin toss does, though not by much on this
    # small sample (70 losses).
    assert mart[None][2] > 0.52


def test_a_past_score_ignores_what_came_after(tmp_path: Path, sample_query) -> None:
    """Rebuild with the as-of date moved back to 2026-06-30 while every later delivery is
    still in the warehouse: the scores of 2026-05-31 must be exactly those of the full run."""
    database = tmp_path / "cx.duckdb"
    materialize_all(
        SAMPLE_ROOT, database, as_of="2026-06-30", selection=up_to("marts.account_health_history")
    )
    query = (
        "SELECT * FROM marts.account_health_history WHERE evaluated_on = DATE '2026-05-31' "
        "ORDER BY account_id"
    )
    with duckdb.connect(str(database), read_only=True) as con:
        earlier = con.execute(query).fetchall()
    assert earlier
    assert earlier == sample_query(query)


def test_delong_by_hand() -> None:
    """Two lost (L1, L2) and three kept (K1, K2, K3) accounts, two scorers (higher = riskier).

              L1   L2   K1   K2   K3
        A    0.9  0.4  0.5  0.2  0.1
        B    0.8  0.7  0.9  0.3  0.7   (L2 and K3 tie: half a win)

    Placements, lost (share of kept outranked): A 1, 2/3; B 2/3, 1/2 -> AUC A 5/6, B 7/12.
    Placements, kept (share of lost outranking): A 1/2, 1, 1; B 0, 1, 3/4 (same means).
    Sample covariances (n - 1), lost: var A 1/18, var B 1/72, cov 1/36 -> A - B: 1/72.
                               kept: var A 1/12, var B 13/48, cov 7/48 -> A - B: 1/16.
    Var(AUC A - AUC B) = (1/72) / 2 + (1/16) / 3 = 1/36; z = (1/4) / (1/6) = 1.5;
    two-sided p = 2 x (1 - Phi(1.5)) = 0.133614.
    """
    lost = np.array([True, True, False, False, False])
    a = np.array([0.9, 0.4, 0.5, 0.2, 0.1])
    b = np.array([0.8, 0.7, 0.9, 0.3, 0.7])
    auc_a, auc_b, p = delong_test(a, b, lost)
    assert (auc_a, auc_b) == (pytest.approx(5 / 6), pytest.approx(7 / 12))
    assert p == pytest.approx(0.1336144, abs=1e-6)
    assert delong_test(b, a, lost)[2] == pytest.approx(p)  # symmetric
    assert delong_test(a, a, lost)[2] is None  # identical rankings: nothing to test
    assert auc_a == pytest.approx(prediction_auc(a, lost))


def test_clustered_delong_by_hand() -> None:
    """The example above with L1 and K1 one account (c1), L2 and K2 another (c2), K3 alone (c3):
    I = 3 clusters, M = 2 lost, N = 3 kept. Placements of A - B: lost L1 1/3, L2 1/6; kept K1
    1/2, K2 0, K3 1/4; the difference of the AUCs is 1/4.
    Per cluster, summed placements less cases x 1/4:
        lost  c1 1/3 - 1/4 = 1/12   c2 1/6 - 1/4 = -1/12   c3 0
        kept  c1 1/2 - 1/4 = 1/4    c2 0 - 1/4 = -1/4      c3 1/4 - 1/4 = 0
    Var = I/(I-1) x (sum lost^2 / M^2 + sum kept^2 / N^2 + 2 sum lost x kept / (M N))
        = 3/2 x ((2/144) / 4 + (1/8) / 9 + 2 x (2/48) / 6) = 3/2 x (1/288 + 1/72 + 1/72)
        = 3/64; z = (1/4) / sqrt(3/64) = 2 / sqrt(3); p = 0.248213.
    Singletons (every case its own cluster): 5/4 x (1/288 + 1/72) = 25/1152, p = 0.089686."""
    lost = np.array([True, True, False, False, False])
    a = np.array([0.9, 0.4, 0.5, 0.2, 0.1])
    b = np.array([0.8, 0.7, 0.9, 0.3, 0.7])
    clusters = np.array(["c1", "c2", "c1", "c2", "c3"])
    assert delong_test(a, b, lost, clusters)[2] == pytest.approx(0.2482131, abs=1e-6)
    assert delong_test(a, b, lost, np.arange(5))[2] == pytest.approx(0.0896860, abs=1e-6)


def scores_frame(model: list[float], health: list[float], lost: list[bool]) -> pl.DataFrame:
    n = len(lost)
    return pl.DataFrame(
        {
            "outcome_month": [dt.date(2026, 5, 1)] * n,
            "account_id": [f"A{i:03d}" for i in range(n)],
            "lost": lost,
            "health_score": health,
            "model_probability": model,
            "naive_probability": [0.5] * n,
            "training_examples": [100] * n,
        }
    )


def test_a_model_ahead_by_noise_does_not_replace_the_health_score() -> None:
    """The model's AUC (5/6) beats the score's (7/12) on the example above, but not
    significantly (five accounts, each its own cluster: p = 0.0897 by hand above): the health
    score stays the default, and the p-value is published on the pooled rows."""
    frame = scores_frame(
        [0.9, 0.4, 0.5, 0.2, 0.1],
        [-0.8, -0.7, -0.9, -0.3, -0.7],  # health risk = -score: scorer B above
        [True, True, False, False, False],
    )
    table = track_record(frame)
    pooled = {r["scorer"]: r for r in table.filter(pl.col("outcome_month").is_null()).to_dicts()}
    assert pooled[MODEL]["auc"] > pooled[HEALTH]["auc"]
    assert pooled[MODEL]["auc_p_value_vs_health"] == pytest.approx(0.0896860, abs=1e-6)
    assert pooled[HEALTH]["auc_p_value_vs_health"] is None
    assert [s for s, r in pooled.items() if r["is_default"]] == [HEALTH]
    assert "does not significantly beat" in pooled[MODEL]["verdict"]
    assert "DeLong p = 0.0897" in pooled[MODEL]["verdict"]
    monthly = table.filter(pl.col("outcome_month").is_not_null())
    assert monthly["auc_p_value_vs_health"].null_count() == monthly.height


def test_a_significantly_better_model_becomes_the_default() -> None:
    """60 accounts, 20 lost: the model ranks every lost account first, the score at random."""
    rng = np.random.default_rng(3)
    lost = [i < 20 for i in range(60)]
    model = [1.0 - i / 100 for i in range(60)]
    table = track_record(scores_frame(model, list(rng.random(60)), lost))
    pooled = {r["scorer"]: r for r in table.filter(pl.col("outcome_month").is_null()).to_dicts()}
    assert pooled[MODEL]["auc"] == 1.0
    assert pooled[MODEL]["auc_p_value_vs_health"] < 0.001
    assert [s for s, r in pooled.items() if r["is_default"]] == [MODEL]


def test_a_fit_leaves_no_weighted_designs_to_collect(sample_warehouse: Path) -> None:
    """statsmodels' IRLS leaves each iteration's weighted copy of the design in reference
    cycles; fit_model collects them itself (the track record fits once per out-of-time month,
    and they piled up: 0.9 GiB at medium). The parameters are statsmodels' own, refitted here."""
    import gc

    import statsmodels.api as sm

    from cx_pipeline.marts.drivers import CHURN_DRIVERS, fit_sample
    from cx_pipeline.marts.prediction import fit_model
    from cx_pipeline.marts.regression import design, estimable

    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        train = fit_sample(con, "churn_examples", "lost IS NOT NULL")
    encoding = design(train, CHURN_DRIVERS)
    columns = estimable(encoding.matrix)
    y = train["lost"].cast(pl.Float64).to_numpy()
    expected = sm.GLM(y, encoding.matrix[columns], family=sm.families.Binomial()).fit().params
    gc.collect()
    gc.disable()  # only fit_model's own collection may free anything
    try:
        model = fit_model(train)
        left_for_the_collector = gc.collect()
    finally:
        gc.enable()
    assert model.columns == columns
    np.testing.assert_allclose(model.params, np.asarray(expected), rtol=1e-10)
    assert left_for_the_collector < 10
