"""Key-driver regressions: every candidate driver in one model, so each effect is net of the others.

A driver is a column of a feature table (marts.nps_driver_answers, marts.churn_examples) turned
into one or more model terms: a number, a flag, or the levels of a category against a reference
level. The fit is statsmodels' (OLS for NPS points, a logit for churn) with standard errors
clustered by account, since one account's answers or months are not independent draws. A
category is judged by the joint Wald test of its levels (one p-value per driver, which
drivers.py adjusts for the number of drivers before it flags anything).
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    import pandas as pd

# statsmodels, scipy and pandas are imported where a model is fitted: importing them costs
# every step process, sensor tick and UI reload of the code location more than a second.

SIGNIFICANCE_LEVEL = 0.05  # significance_level() in rules.sql
MIN_LEVEL_ROWS = 10  # rarer category levels join the reference level (too few to estimate)


@dataclass(frozen=True)
class Driver:
    """A candidate driver: how to compute it from the feature table, and what it means."""

    name: str
    group: str  # support, usage, voice, account, respondent
    kind: str  # numeric, flag or category
    expression: pl.Expr
    description: str
    reference: str = ""  # the level categories are compared with
    impute_mean: bool = False  # missing numbers take the sample mean (a flag marks them)


@dataclass(frozen=True)
class Design:
    """The model matrix and how it was made, so new rows are encoded the same way."""

    matrix: pd.DataFrame  # const first, then one column per term
    terms: tuple[tuple[str, str, str], ...]  # (term, driver name, level or "")
    means: dict[str, float]
    levels: dict[str, tuple[str, ...]]


def driver_values(frame: pl.DataFrame, drivers: Sequence[Driver]) -> pl.DataFrame:
    return frame.select(d.expression.alias(d.name) for d in drivers)


def design(frame: pl.DataFrame, drivers: Sequence[Driver], fitted: Design | None = None) -> Design:
    """Encode drivers as terms; with `fitted`, reuse its imputation means and levels."""
    values = driver_values(frame, drivers)
    columns: dict[str, np.ndarray] = {"const": np.ones(frame.height)}
    terms: list[tuple[str, str, str]] = []
    means: dict[str, float] = {}
    levels: dict[str, tuple[str, ...]] = {}
    for d in drivers:
        series = values[d.name]
        if d.kind == "category":
            if fitted is not None:
                kept = fitted.levels[d.name]
            else:
                counts = series.value_counts()
                kept = tuple(
                    sorted(
                        level
                        for level, n in counts.iter_rows()
                        if level != d.reference and n >= MIN_LEVEL_ROWS
                    )
                )
            levels[d.name] = kept
            for level in kept:
                term = f"{d.name}={level}"
                columns[term] = (series == level).fill_null(False).to_numpy().astype(float)
                terms.append((term, d.name, level))
            continue
        numbers = series.cast(pl.Float64)
        if d.impute_mean:
            mean = fitted.means[d.name] if fitted else numbers.mean()
            means[d.name] = float(mean) if mean is not None else 0.0
            numbers = numbers.fill_null(means[d.name])
        columns[d.name] = numbers.fill_null(0.0).to_numpy()
        terms.append((d.name, d.name, ""))
    import pandas as pd

    return Design(pd.DataFrame(columns), tuple(terms), means, levels)


def estimable(matrix: pd.DataFrame) -> list[str]:
    """The columns that can be estimated: not constant (but the intercept), and not a linear
    combination of the columns before them (e.g. a plan 'none' that always means no product):
    in a QR decomposition such a column's diagonal entry vanishes."""
    varying = ["const"] + [c for c in matrix.columns if c != "const" and matrix[c].std() > 0]
    x = matrix[varying].to_numpy()
    from scipy.linalg import qr

    _, r = qr(x, mode="economic")
    residual = np.abs(np.diag(r))
    norms = np.linalg.norm(x, axis=0)
    return [c for c, res, norm in zip(varying, residual, norms, strict=True) if res > 1e-9 * norm]


@dataclass(frozen=True)
class TermEstimate:
    term: str
    driver: str
    level: str
    coefficient: float
    ci_low: float
    ci_high: float
    p_value: float
    driver_p_value: float
    sd: float  # standard deviation of the term over the fit sample


def fit_drivers(
    frame: pl.DataFrame,
    drivers: Sequence[Driver],
    outcome: str,
    groups: str,
    logistic: bool,
) -> tuple[list[TermEstimate], Design]:
    """One regression of `outcome` on every driver, standard errors clustered by `groups`."""
    import statsmodels.api as sm

    d = design(frame, drivers)
    y = frame[outcome].cast(pl.Float64).to_numpy()
    cluster = frame[groups].cast(pl.Categorical).to_physical().to_numpy()
    # Terms that do not vary or repeat others cannot be estimated: they get no row.
    varying = estimable(d.matrix)
    x = d.matrix[varying]
    options = {"cov_type": "cluster", "cov_kwds": {"groups": cluster}}
    if logistic:
        result = sm.Logit(y, x).fit(disp=0, maxiter=200, **options)
    else:
        result = sm.OLS(y, x).fit(**options)
    ci = result.conf_int(alpha=SIGNIFICANCE_LEVEL)
    estimates = []
    for term, driver, level in d.terms:
        if term not in varying:
            continue
        same = [i for i, t in enumerate(varying) if t in _terms_of(d, driver)]
        if len(same) > 1:
            restriction = np.zeros((len(same), len(varying)))
            restriction[np.arange(len(same)), same] = 1.0
            joint = float(result.wald_test(restriction, scalar=True).pvalue)
        else:
            joint = float(result.pvalues[term])
        estimates.append(
            TermEstimate(
                term=term,
                driver=driver,
                level=level,
                coefficient=float(result.params[term]),
                ci_low=float(ci.loc[term, 0]),
                ci_high=float(ci.loc[term, 1]),
                p_value=float(result.pvalues[term]),
                driver_p_value=joint,
                sd=float(x[term].std()),
            )
        )
    # The fit's garbage sits in reference cycles until a collection (see prediction.py's churn
    # model): +0.2 GiB held at medium after nps_drivers and churn_drivers.
    del result, ci
    gc.collect(1)
    return estimates, d


def _terms_of(d: Design, driver: str) -> set[str]:
    return {t for t, name, _ in d.terms if name == driver}
