"""Predictive churn with an honest track record.

A logistic regression (statsmodels GLM) on the churn drivers of drivers.py, trained only on
months whose outcome was known before the prediction date: to predict month M it sees the
examples of the months before M, whose features were cut off before them (account_features.sql).
Its out-of-time track record (AUC, lift of the riskiest decile, calibration) is computed on
history beside the transparent health score (marts.account_health_history, same accounts, same
days) and a naive baseline (the churn rate of the account's tenure band in the training months).
The model becomes the default ranking only if its pooled out-of-time AUC is significantly
higher than the health score's (DeLong's test for two correlated ROC curves, two-sided, p below
the significance level; an account's months are one cluster, Obuchowski 1997): a model is
harder to explain than the score, so a point estimate that could be noise does not replace it.
The table publishes the p-value and says which won.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import numpy as np
import polars as pl

# statsmodels and scipy are imported where a model is fitted or scored: loading the code
# location (every step process, sensor tick and UI reload) should not pay for them.
from cx_pipeline import catalog
from cx_pipeline.marts.builder import load_spec
from cx_pipeline.marts.drivers import CHURN_DRIVERS, MIN_EVENTS, MIN_ROWS, fit_sample
from cx_pipeline.marts.regression import SIGNIFICANCE_LEVEL, Design, design, estimable

MIN_TRAINING_MONTHS = 6  # months of outcomes the model needs before it is judged
MODEL, HEALTH, NAIVE = "churn_model", "health_score", "naive_tenure_rate"


@dataclass(frozen=True)
class ChurnModel:
    """A fitted model and the encoding of its training rows."""

    params: np.ndarray
    columns: list[str]
    encoding: Design
    examples: int
    last_outcome_month: Any

    def probability(self, rows: pl.DataFrame) -> np.ndarray:
        x = design(rows, CHURN_DRIVERS, self.encoding).matrix[self.columns].to_numpy()
        return 1.0 / (1.0 + np.exp(-(x @ self.params)))


def fit_model(train: pl.DataFrame, fits: FitCache | None = None) -> ChurnModel:
    """Maximum likelihood logit of `lost` on the churn drivers (terms that vary only); with
    `fits`, a model fitted on the same rows before is taken from there."""
    encoding = design(train, CHURN_DRIVERS)
    digest = fits.digest(train) if fits else ""
    kept = fits.get(digest) if fits else None
    columns, params = kept if kept is not None else _fit(train, encoding)
    if fits and kept is None:
        fits.put(digest, columns, params)
    return ChurnModel(
        params=params,
        columns=columns,
        encoding=encoding,
        examples=train.height,
        last_outcome_month=train["outcome_month"].max(),
    )


def _fit(train: pl.DataFrame, encoding: Design) -> tuple[list[str], np.ndarray]:
    import statsmodels.api as sm

    columns = estimable(encoding.matrix)
    y = train["lost"].cast(pl.Float64).to_numpy()
    params = np.asarray(
        sm.GLM(y, encoding.matrix[columns], family=sm.families.Binomial()).fit().params
    )
    # statsmodels' IRLS leaves every iteration's weighted copy of the design (rows x terms) in
    # reference cycles, which only a collection frees; a fit makes too few Python objects to
    # trigger one, so out-of-time months' fits piled them up (at medium, 185 MiB after one fit
    # on 145 k rows, 1 ms to collect). They are young: generations 0 and 1 hold them.
    gc.collect(1)
    return columns, params


class FitCache:
    """The fits of the last build, by a digest of their training rows (audit.churn_model_fits):
    out of time, month M's model is trained on the months before M, which a daily delivery
    rarely changes, so a run refits only the months whose training rows changed. The digest
    covers every column of every training row, in any order, and this code and its libraries'
    versions; the table keeps only the fits the latest build used."""

    TABLE = "audit.churn_model_fits"

    def __init__(self, con: Any, mart: str, refit: bool = False) -> None:
        self._con, self._mart, self._refit = con, mart, refit
        self.used: set[str] = set()
        self.reused = 0
        try:
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {self.TABLE} (mart VARCHAR, training_digest VARCHAR, "
                "columns VARCHAR[], params DOUBLE[], fitted_at TIMESTAMPTZ)"
            )
            self._writable = True
        except duckdb.InvalidInputException:  # read-only: use the fits kept, keep none
            self._writable = False

    def digest(self, train: pl.DataFrame) -> str:
        """The fit's key; a digest asked for is one this build uses."""
        digest = _training_digest(train)
        self.used.add(digest)
        return digest

    def get(self, digest: str) -> tuple[list[str], np.ndarray] | None:
        if self._refit:
            return None
        try:
            found = self._con.execute(
                f"SELECT columns, params FROM {self.TABLE} "
                "WHERE mart = $mart AND training_digest = $digest",
                {"mart": self._mart, "digest": digest},
            ).fetchone()
        except duckdb.CatalogException:  # read-only, before any build kept a fit
            return None
        if found is None:
            return None
        self.reused += 1
        return list(found[0]), np.asarray(found[1], dtype=float)

    def put(self, digest: str, columns: list[str], params: np.ndarray) -> None:
        if not self._writable:
            return
        self._con.execute(
            f"DELETE FROM {self.TABLE} WHERE mart = $mart AND training_digest = $digest",
            {"mart": self._mart, "digest": digest},
        )
        self._con.execute(
            f"INSERT INTO {self.TABLE} VALUES ($mart, $digest, $columns, $params, now())",
            {"mart": self._mart, "digest": digest, "columns": columns, "params": params.tolist()},
        )

    def forget_unused(self) -> None:
        """Only the fits this build used stay: the table never outgrows the months."""
        if not self._writable:
            return
        self._con.execute(
            f"DELETE FROM {self.TABLE} WHERE mart = $mart AND NOT list_contains($used, "
            "training_digest)",
            {"mart": self._mart, "used": sorted(self.used)},
        )


@functools.cache
def _code_version() -> bytes:
    """What a fit depends on besides its rows: the model's code and the libraries fitting it."""
    import statsmodels

    from cx_pipeline.marts import drivers, regression

    sources = [Path(m.__file__).read_bytes() for m in (sys.modules[__name__], drivers, regression)]
    versions = f"{statsmodels.__version__} {np.__version__} {pl.__version__}".encode()
    return hashlib.sha256(b"".join([*sources, versions])).digest()


def _training_digest(train: pl.DataFrame) -> str:
    rows = np.sort(train.hash_rows(seed=0).to_numpy())
    columns = ",".join(f"{n}:{t}" for n, t in train.schema.items()).encode()
    return hashlib.sha256(_code_version() + columns + rows.tobytes()).hexdigest()


def naive_probability(train: pl.DataFrame, rows: pl.DataFrame) -> np.ndarray:
    """The training churn rate of each row's tenure band (the overall rate for a new band)."""
    overall = train["lost"].cast(pl.Float64).mean()
    rates = train.group_by("tenure_band").agg(rate=pl.col("lost").cast(pl.Float64).mean())
    joined = rows.select("tenure_band").join(
        rates, on="tenure_band", how="left", maintain_order="left"
    )
    return joined["rate"].fill_null(overall).to_numpy()


def auc(risk: np.ndarray, lost: np.ndarray) -> float | None:
    """Chance a lost account ranks riskier than a kept one (ties half): Mann-Whitney U."""
    n_lost = int(lost.sum())
    n_kept = lost.size - n_lost
    if n_lost == 0 or n_kept == 0:
        return None
    from scipy.stats import rankdata

    ranks = rankdata(risk)
    return float((ranks[lost].sum() - n_lost * (n_lost + 1) / 2) / (n_lost * n_kept))


def delong_test(
    risk_a: np.ndarray,
    risk_b: np.ndarray,
    lost: np.ndarray,
    cluster: np.ndarray | None = None,
) -> tuple[float, float, float | None]:
    """DeLong, DeLong & Clarke-Pearson (1988): AUC of two scorers of the same cases and the
    two-sided p-value of their difference, whose variance comes from each case's placement
    (structural component), so the correlation of the two curves is accounted for. Placements
    by midranks (Sun & Xu 2014). With `cluster` (e.g. the account of each account-month), cases
    of one cluster are not independent: the placements are summed per cluster (Obuchowski 1997,
    Biometrics 53:567), which widens the variance when an account's months move together. The
    p-value is None when the difference has no variance (e.g. identical rankings) or a class
    is empty."""
    from scipy.stats import norm, rankdata

    lost = lost.astype(bool)
    m, n = int(lost.sum()), int((~lost).sum())
    if m == 0 or n == 0:
        return math.nan, math.nan, None
    aucs, v10, v01 = [], [], []
    for risk in (risk_a, risk_b):
        everyone = rankdata(risk)
        # A lost case's placement: the share of kept cases it outranks (ties half).
        v10.append((everyone[lost] - rankdata(risk[lost])) / n)
        # A kept case's placement: the share of lost cases that outrank it (ties half).
        v01.append(1.0 - (everyone[~lost] - rankdata(risk[~lost])) / m)
        aucs.append(float(v10[-1].mean()))
    d10, d01 = v10[0] - v10[1], v01[0] - v01[1]  # placements of the difference A - B
    difference = aucs[0] - aucs[1]
    if cluster is None:
        variance = (d10.var(ddof=1) if m > 1 else 0.0) / m + (d01.var(ddof=1) if n > 1 else 0.0) / n
    else:
        codes = np.unique(cluster, return_inverse=True)[1]
        k = int(codes.max()) + 1
        if k < 2:
            return aucs[0], aucs[1], None
        # Per cluster: summed placements less their expectation (cases x difference).
        r10 = np.bincount(codes[lost], d10, k) - np.bincount(codes[lost], None, k) * difference
        r01 = np.bincount(codes[~lost], d01, k) - np.bincount(codes[~lost], None, k) * difference
        scale = k / (k - 1)
        variance = scale * ((r10 @ r10) / m**2 + (r01 @ r01) / n**2 + 2 * (r10 @ r01) / (m * n))
    if not variance > 1e-15:
        return aucs[0], aucs[1], None
    z = difference / math.sqrt(variance)
    return aucs[0], aucs[1], float(2 * norm.sf(abs(z)))


def riskiest_decile(risk: np.ndarray, lost: np.ndarray, account_id: np.ndarray) -> tuple:
    """Churn rate of the riskiest tenth (ntile(10) of health_track_record: ceil(n / 10) rows,
    ties by account id) and its lift over the rate of all scored."""
    order = np.lexsort((account_id, -risk))
    top = order[: math.ceil(lost.size / 10)]
    rate = float(lost[top].mean())
    overall = float(lost.mean())
    return 100 * rate, (rate / overall if overall > 0 else None)


def score_row(
    outcome_month: Any,
    scorer: str,
    risk: np.ndarray,
    probability: np.ndarray | None,
    lost: np.ndarray,
    account_id: np.ndarray,
    examples: int | None,
) -> dict[str, Any]:
    decile_pct, lift = riskiest_decile(risk, lost, account_id)
    return {
        "outcome_month": outcome_month,
        "scorer": scorer,
        "accounts_scored": int(lost.size),
        "accounts_lost": int(lost.sum()),
        "churn_rate_pct": 100 * float(lost.mean()),
        "auc": auc(risk, lost),
        "riskiest_decile_churn_pct": decile_pct,
        "riskiest_decile_lift": lift,
        "mean_predicted_pct": None if probability is None else 100 * float(probability.mean()),
        "brier_score": None if probability is None else float(((probability - lost) ** 2).mean()),
        "training_examples": examples,
    }


def enough(train: pl.DataFrame) -> bool:
    """Enough examples and losses to fit the model at all (drivers.py's thresholds)."""
    return train.height >= MIN_ROWS and int(train["lost"].cast(pl.Int64).sum()) >= MIN_EVENTS


def out_of_time_scores(
    examples: pl.DataFrame, health: pl.DataFrame, fits: FitCache | None = None
) -> pl.DataFrame:
    """Every scorer's risk for each out-of-time month: trained on the months before it only."""
    labelled = examples.filter(pl.col("lost").is_not_null())
    months = sorted(labelled["outcome_month"].unique().to_list())
    scored = []
    for i, month in enumerate(months):
        if i < MIN_TRAINING_MONTHS:
            continue
        test = labelled.filter(pl.col("outcome_month") == month).join(
            health, on=["account_id", "prediction_date"], how="inner"
        )
        if test.is_empty():
            continue
        train = labelled.filter(pl.col("outcome_month") < month)
        if not enough(train):
            continue
        model = fit_model(train, fits)
        scored.append(
            test.select("outcome_month", "account_id", "lost", "health_score").with_columns(
                model_probability=pl.Series(model.probability(test)),
                naive_probability=pl.Series(naive_probability(train, test)),
                training_examples=pl.lit(train.height),
            )
        )
    return pl.concat(scored) if scored else pl.DataFrame()


def _auc(value: float | None) -> str:
    """An AUC needs both outcomes: with no loss (or no survivor) there is none to quote."""
    return "n/a (no losses to rank)" if value is None else f"{value:.3f}"


def track_record(scores: pl.DataFrame) -> pl.DataFrame:
    """Per out-of-time month and pooled (month null): the three scorers side by side. On the
    pooled rows, DeLong's p-value of each scorer's AUC against the health score's; the model is
    the default only when it is significantly better (one test: the per-month rows carry none)."""
    rows = []
    groups = [
        (m, scores.filter(pl.col("outcome_month") == m))
        for m in sorted(scores["outcome_month"].unique().to_list())
    ]
    for month, part in [*groups, (None, scores)]:
        lost = part["lost"].to_numpy().astype(bool)
        ids = part["account_id"].to_numpy()
        model_p = part["model_probability"].to_numpy()
        naive_p = part["naive_probability"].to_numpy()
        health_risk = -part["health_score"].to_numpy()
        examples = int(part["training_examples"].max())
        versus = {MODEL: None, HEALTH: None, NAIVE: None}
        if month is None:
            # Pooled, an account appears once a month: its months are one cluster.
            versus[MODEL] = delong_test(model_p, health_risk, lost, ids)[2]
            versus[NAIVE] = delong_test(naive_p, health_risk, lost, ids)[2]
        rows.append(score_row(month, MODEL, model_p, model_p, lost, ids, examples))
        rows.append(score_row(month, HEALTH, health_risk, None, lost, ids, None))
        rows.append(score_row(month, NAIVE, naive_p, naive_p, lost, ids, examples))
        for row in rows[-3:]:
            row["auc_p_value_vs_health"] = versus[row["scorer"]]
    table = pl.DataFrame(rows, infer_schema_length=None)
    pooled = {r["scorer"]: r["auc"] for r in rows if r["outcome_month"] is None}
    p_value = versus[MODEL]
    better = (pooled[MODEL] or 0) > (pooled[HEALTH] or 0)
    significant = p_value is not None and p_value < SIGNIFICANCE_LEVEL
    default = MODEL if better and significant else HEALTH
    against = f"pooled AUC {_auc(pooled[MODEL])} against {_auc(pooled[HEALTH])}, DeLong p = " + (
        "n/a" if p_value is None else f"{p_value:.3g}"
    )
    if default == MODEL:
        verdict = (
            f"the churn model beats the health score out of time ({against}): it is the "
            "default ranking"
        )
    elif better:
        verdict = (
            f"the churn model does not significantly beat the health score out of time "
            f"({against}): the health score stays the default"
        )
    else:
        verdict = (
            f"the churn model does not beat the health score out of time ({against}): the "
            "health score stays the default"
        )
    return table.with_columns(
        is_default=pl.col("scorer") == default,
        verdict=pl.when(pl.col("outcome_month").is_null()).then(pl.lit(verdict)),
    )


def _scores_for(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    examples = fit_sample(con, "churn_examples", "lost IS NOT NULL")
    health = con.execute(
        "SELECT evaluated_on AS prediction_date, account_id, health_score "
        "FROM marts.account_health_history"
    ).pl()
    return examples, health


def churn_model_track_record(
    con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]
) -> pl.DataFrame:
    examples, health = _scores_for(con)
    fits = FitCache(con, "churn_model_track_record", refit=parameters.get("full_rebuild", False))
    scores = out_of_time_scores(examples, health, fits)
    fits.forget_unused()
    dg.get_dagster_logger().info(
        f"marts.churn_model_track_record: {fits.reused} of {len(fits.used)} monthly fits kept "
        "from the last build (their training rows unchanged)"
    )
    if scores.is_empty():
        return pl.DataFrame(
            schema={c: pl.Null for c, _, _ in load_spec("churn_model_track_record").columns}
        )
    return track_record(scores).select(
        [c for c, _, _ in load_spec("churn_model_track_record").columns]
    )


def churn_predictions(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> pl.DataFrame:
    labelled = fit_sample(con, "churn_examples", "lost IS NOT NULL")
    current = con.execute("SELECT * FROM marts.churn_examples WHERE outcome_month IS NULL").pl()
    record = con.execute(
        "SELECT scorer, auc, is_default FROM marts.churn_model_track_record "
        "WHERE outcome_month IS NULL"
    ).fetchall()
    pooled = {scorer: (value, is_default) for scorer, value, is_default in record}
    default = next((s for s, (_, d) in pooled.items() if d), HEALTH)
    if not enough(labelled):
        return pl.DataFrame(
            schema={c: pl.Null for c, _, _ in load_spec("churn_predictions").columns}
        )
    model = fit_model(labelled)
    health = con.execute(
        "SELECT account_id, name, region, revenue_tier, mrr, health_score, "
        "risk_rank AS health_risk_rank, cancels_on FROM marts.account_health"
    ).pl()
    scored = current.select("prediction_date", "account_id").with_columns(
        churn_probability_pct=pl.Series(100 * model.probability(current)),
        naive_probability_pct=pl.Series(100 * naive_probability(labelled, current)),
    )
    table = scored.join(health, on="account_id", how="left").with_columns(
        model_risk_rank=pl.col("churn_probability_pct").rank("ordinal", descending=True),
        default_scorer=pl.lit(default),
        model_out_of_time_auc=pl.lit(pooled.get(MODEL, (None, None))[0]),
        health_out_of_time_auc=pl.lit(pooled.get(HEALTH, (None, None))[0]),
        trained_on_examples=pl.lit(model.examples),
        trained_through_month=pl.lit(model.last_outcome_month),
    )
    # A recorded cancellation heads the list whatever the scorer (soonest end first): the loss
    # is booked, and the model never saw one in training (history cannot know when it was).
    by = "model_risk_rank" if default == MODEL else "health_risk_rank"
    return (
        table.sort("cancels_on", by, "account_id", nulls_last=True)
        .with_columns(risk_rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
        .select([c for c, _, _ in load_spec("churn_predictions").columns])
    )


# What each computed mart reads (checked on every build) and the
# function that computes it; its metadata is in sql/<name>.toml.
COMPUTED = {
    "churn_model_track_record": (
        (
            catalog.key("marts", "churn_examples"),
            catalog.key("marts", "account_health_history"),
        ),
        churn_model_track_record,
    ),
    "churn_predictions": (
        (
            catalog.key("marts", "churn_examples"),
            catalog.key("marts", "churn_model_track_record"),
            catalog.key("marts", "account_health"),
        ),
        churn_predictions,
    ),
}
