"""Behavioural personas: contacts grouped by how they use the product (which features, how
often, how deep), by k-means on standardised usage features.

Each contact seen with at least persona_min_events() events in the persona_window_days() up to
the as-of date (rules.sql; its events per day in marts.usage_daily) is described by:
- the share of its events of each event name (which features), leaving out the names people do
  about once (signup, onboarding steps: on average at most `ONE_TIME_MEAN` times per contact who
  did them), which say when someone started, not how they use the product;
- log(1 + active days) (how often), log(1 + events per active day) (how deep) and the number of
  distinct event names (how broad).
Each column is standardised (mean 0, standard deviation 1), so no unit dominates the distance.

Clustering is scipy's k-means (`kmeans2`, k-means++ starts) from a fixed seed, `RESTARTS` starts
keeping the lowest within-cluster sum of squares: the same rows give the same personas. The
number of personas is the setting CX_PERSONAS, or with 'auto' the k in 2..`MAX_PERSONAS` with the
highest mean silhouette (Rousseeuw 1987) on an evenly spaced sample of at most
`SILHOUETTE_SAMPLE` contacts (computed with numpy); a tie goes to the smaller k.

Personas are ordered by size (largest first, then name) and numbered P1, P2...; each is named
from its dominant traits: its activity ('power users' when its median member passes
is_power_user() on a 30-day basis, 'weekly users' on 4 or more active days in 30, otherwise
'occasional users') and its top features (the event names with the largest mean share, those of
at least `TOP_FEATURE_SHARE`, at most three).
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import polars as pl

from cx_pipeline import catalog

SEED = 20_260_19
RESTARTS = 8
ITERATIONS = 100
MAX_PERSONAS = 8
SILHOUETTE_SAMPLE = 2_000
ONE_TIME_MEAN = 1.1
TOP_FEATURE_SHARE = 0.15

USAGE_SQL = """
WITH events AS (
    SELECT contact_id, account_id, day, event_name, events, last_occurred_at
    FROM marts.usage_daily
    WHERE contact_id IS NOT NULL
),
one_time AS (
    SELECT event_name
    FROM (SELECT event_name, contact_id, sum(events) AS n FROM events GROUP BY ALL)
    GROUP BY event_name
    HAVING avg(n) <= $one_time_mean
),
recent AS (
    SELECT * FROM events
    WHERE day > CAST($as_of AS DATE) - persona_window_days()
      AND event_name NOT IN (SELECT event_name FROM one_time)
),
contacts AS (
    SELECT
        contact_id,
        arg_max(account_id, last_occurred_at) AS account_id,
        CAST(sum(events) AS BIGINT) AS events,
        count(DISTINCT day) AS active_days,
        count(DISTINCT event_name) AS features_used
    FROM recent
    GROUP BY contact_id
    HAVING sum(events) >= persona_min_events()
)
SELECT c.contact_id, c.account_id, c.events, c.active_days, c.features_used,
       r.event_name, CAST(sum(r.events) AS BIGINT) AS n
FROM contacts AS c
JOIN recent AS r ON r.contact_id = c.contact_id
GROUP BY ALL
ORDER BY c.contact_id, r.event_name
"""

COLUMNS = (
    "contact_id",
    "account_id",
    "persona_id",
    "persona",
    "persona_top_features",
    "events",
    "active_days",
    "features_used",
    "top_feature",
)


def _usage(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> pl.DataFrame:
    return con.execute(
        USAGE_SQL,
        {
            "as_of": parameters["as_of"],
            "one_time_mean": ONE_TIME_MEAN,
        },
    ).pl()


def _kmeans(x: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """Labels 0..k-1 (empty clusters dropped) and the within-cluster sum of squares of the best
    of RESTARTS k-means++ starts from SEED."""
    import warnings

    from scipy.cluster.vq import kmeans2

    rng = np.random.default_rng(SEED)
    best: tuple[np.ndarray, float] | None = None
    for _ in range(RESTARTS):
        with warnings.catch_warnings():  # an empty cluster is dropped below
            warnings.simplefilter("ignore")
            # kmeans2(iter=ITERATIONS) runs every iteration; this is the same result, one
            # iteration at a time, stopping at a fixed point (centres that no longer move
            # give the same labels and the same centres again): a few times faster.
            centres, labels = kmeans2(x, k, iter=1, minit="++", rng=rng)
            for _ in range(ITERATIONS - 1):
                moved, labels = kmeans2(x, centres, iter=1, minit="matrix")
                if np.array_equal(moved, centres):
                    break
                centres = moved
        inertia = float(((x - centres[labels]) ** 2).sum())
        if best is None or inertia < best[1] - 1e-9:
            best = (np.unique(labels, return_inverse=True)[1], inertia)
    assert best is not None
    return best


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette: per point (b - a) / max(a, b), a = mean distance to the rest of its
    cluster, b = the smallest mean distance to another cluster; 0 for a point alone in its
    cluster. Needs 2 clusters or more."""
    squares = (x**2).sum(axis=1)
    d = np.sqrt(np.maximum(squares[:, None] + squares[None, :] - 2 * x @ x.T, 0.0))
    np.fill_diagonal(d, 0.0)
    clusters = np.unique(labels)
    sums = np.stack([d[:, labels == c].sum(axis=1) for c in clusters], axis=1)
    sizes = np.array([(labels == c).sum() for c in clusters])
    own = np.searchsorted(clusters, labels)
    own_size = sizes[own]
    a = sums[np.arange(x.shape[0]), own] / np.maximum(own_size - 1, 1)
    other = sums / sizes
    other[np.arange(x.shape[0]), own] = np.inf
    b = other.min(axis=1)
    s = np.where(own_size > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(s.mean())


def choose_k(x: np.ndarray) -> int:
    """The k in 2..MAX_PERSONAS with the highest mean silhouette on an evenly spaced sample."""
    n = x.shape[0]
    sample = x[np.unique(np.linspace(0, n - 1, min(n, SILHOUETTE_SAMPLE)).astype(np.int64))]
    best_k, best_s = 2, -np.inf
    for k in range(2, min(MAX_PERSONAS, sample.shape[0] - 1) + 1):
        labels, _ = _kmeans(sample, k)
        if np.unique(labels).size < 2:
            continue
        s = silhouette(sample, labels)
        if s > best_s + 1e-9:
            best_k, best_s = k, s
    return best_k


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _humanise(event_name: str) -> str:
    return event_name.replace("_", " ")


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _name(
    con: duckdb.DuckDBPyConnection,
    shares: np.ndarray,
    names: list[str],
    active_days_30: float,
    features: float,
) -> tuple[str, str]:
    """A persona's name and its top features with their mean shares."""
    order = sorted(range(len(names)), key=lambda j: (-shares[j], names[j]))
    top = [j for j in order[:3] if shares[j] >= TOP_FEATURE_SHARE] or order[:1]
    (power,) = con.execute(
        "SELECT is_power_user($days, $features)", {"days": active_days_30, "features": features}
    ).fetchone()
    activity = (
        "power users" if power else "weekly users" if active_days_30 >= 4 else "occasional users"
    )
    name = f"{activity} of {_join([_humanise(names[j]) for j in top])}"
    listed = ", ".join(f"{_humanise(names[j])} {100 * shares[j]:.0f}%" for j in top)
    return name, listed


def contact_personas(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> pl.DataFrame:
    long = _usage(con, parameters)
    if long.is_empty():
        return pl.DataFrame({c: [] for c in COLUMNS})
    wide = long.pivot(
        on="event_name",
        index=["contact_id", "account_id", "events", "active_days", "features_used"],
        values="n",
        aggregate_function="sum",
        sort_columns=True,
    ).fill_null(0)
    wide = wide.sort("contact_id")
    names = sorted(c for c in wide.columns[5:])
    counts = wide.select(names).to_numpy().astype(np.float64)
    events = wide["events"].to_numpy().astype(np.float64)
    days = wide["active_days"].to_numpy().astype(np.float64)
    breadth = wide["features_used"].to_numpy().astype(np.float64)
    shares = counts / events[:, None]
    x = _standardise(np.column_stack([shares, np.log1p(days), np.log1p(events / days), breadth]))
    n = x.shape[0]
    wanted = int(parameters.get("personas") or 0)
    k = min(wanted, n) if wanted else (choose_k(x) if n >= 4 else 1)
    labels = _kmeans(x, k)[0] if k > 1 else np.zeros(n, dtype=np.int64)

    (window,) = con.execute("SELECT persona_window_days()").fetchone()
    traits = []
    for c in range(int(labels.max()) + 1):
        member = labels == c
        name, listed = _name(
            con,
            shares[member].mean(axis=0),
            names,
            float(np.median(days[member]) * 30.0 / window),
            float(np.median(breadth[member])),
        )
        traits.append((int(member.sum()), name, listed, c))
    traits.sort(key=lambda t: (-t[0], t[1], t[3]))
    seen: set[str] = set()
    persona_of = {}
    for number, (_, name, listed, c) in enumerate(traits, start=1):
        unique = name if name not in seen else f"{name} (P{number})"
        seen.add(name)
        persona_of[c] = (f"P{number}", unique, listed)
    # The contact's most used feature (ties: the first by name).
    top_feature = [names[j] for j in np.argmax(counts, axis=1)]
    return (
        wide.select("contact_id", "account_id", "events", "active_days", "features_used")
        .with_columns(
            persona_id=pl.Series([persona_of[c][0] for c in labels]),
            persona=pl.Series([persona_of[c][1] for c in labels]),
            persona_top_features=pl.Series([persona_of[c][2] for c in labels]),
            top_feature=pl.Series(top_feature),
        )
        .select(COLUMNS)
    )


# What each computed mart reads (checked on every build) and the function that computes it;
# its metadata is in sql/<name>.toml.
COMPUTED = {
    "contact_personas": ((catalog.key("marts", "usage_daily"),), contact_personas),
}
