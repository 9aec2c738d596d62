"""The CX report page: what a CX lead wants to see after each run, from the marts alone.

It shows aggregates only (no person's name, e-mail or comment), so it can be shared as it is.
"""

from __future__ import annotations

import datetime as dt
from html import escape

import duckdb

from cx_pipeline.report import charts
from cx_pipeline.sql import table_exists

STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; color: #1f2933;
       max-width: 780px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; }
.muted { color: #7b8794; font-size: 13px; } .kpis { display: flex; gap: 12px; flex-wrap: wrap; }
.kpi { border: 1px solid #e4e7eb; border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.kpi b { display: block; font-size: 22px; }
table { border-collapse: collapse; font-size: 13px; margin-top: 8px; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; } .ns { color: #9aa5b1; }
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return table_exists(con, "marts", table)


def _kpis(con: duckdb.DuckDBPyConnection) -> str:
    nps = _rows(
        con,
        "SELECT own_value, own_sample FROM marts.benchmarks "
        "WHERE metric = 'nps' AND scope = 'all' AND own_value IS NOT NULL LIMIT 1",
    )
    churn = _rows(
        con,
        "SELECT month, churn_rate_pct FROM marts.churn_by_month "
        "WHERE churn_rate_pct IS NOT NULL ORDER BY month DESC LIMIT 1",
    )
    risk = _rows(
        con,
        "SELECT count(*) FILTER (WHERE health_band <> 'healthy'), count(health_band) "
        "FROM marts.account_health",
    )
    cells = []
    if nps:
        cells.append(f"<b>{nps[0][0]:.0f}</b>NPS, last 12 months ({nps[0][1]} answers)")
    if churn:
        month, rate = churn[0]
        cells.append(f"<b>{rate:.1f}%</b>logo churn in {month:%B %Y}")
    if risk and risk[0][1]:
        cells.append(f"<b>{risk[0][0]}</b>of {risk[0][1]} accounts score under 70 on health")
    if not nps:
        cells.append("<b>no NPS</b>no survey answer in the last 12 months")
    return '<div class="kpis">' + "".join(f'<div class="kpi">{c}</div>' for c in cells) + "</div>"


def _nps_trend(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        "SELECT month, nps, nps_moe_95 FROM marts.nps_by_month ORDER BY month DESC LIMIT 24",
    )[::-1]
    return charts.line_with_band(
        [f"{m:%b %y}" for m, _, _ in rows],
        [n for _, n, _ in rows],
        [e for _, _, e in rows],
        "NPS per month with its 95% margin of error",
    )


def _churn(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        "SELECT month, churn_rate_pct FROM marts.churn_by_month ORDER BY month DESC LIMIT 24",
    )[::-1]
    return charts.bars(
        [f"{m:%b %y}" for m, _ in rows], [r for _, r in rows], "Logo churn per month", "%"
    )


def _segments(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        "SELECT segment_type || ': ' || segment, nps - company_nps FROM marts.segment_benchmarks "
        "WHERE segment_type IN ('region', 'revenue_tier') AND nps IS NOT NULL ORDER BY 2",
    )
    return charts.hbars(
        [label for label, _ in rows], [gap for _, gap in rows], "NPS of each segment against ours"
    )


def _benchmarks(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        """
        SELECT
            CASE metric WHEN 'nps' THEN 'NPS' ELSE 'churn' END || ' vs '
                || CASE WHEN comparison = 'target' THEN 'our target'
                        ELSE reference_scope || ' ' || replace(reference_statistic, '_', ' ')
                             || ' (' || split_part(reference_source, ' ', 1)
                             || coalesce(' ' || reference_year, '') || ')' END,
            CASE WHEN metric = 'nps' THEN gap ELSE -gap END
        FROM marts.benchmarks
        WHERE scope = 'all' AND gap IS NOT NULL
        ORDER BY metric, gap
        """,
    )
    return charts.hbars(
        [label for label, _ in rows],
        [gap for _, gap in rows],
        "How far we are from each benchmark (right = better than it)",
    )


def _detractor_themes(con: duckdb.DuckDBPyConnection) -> str:
    if not _exists(con, "voice_by_theme"):
        return '<p class="muted">No voice-of-customer mart yet.</p>'
    rows = _rows(
        con,
        "SELECT theme, share_of_category_pct FROM marts.voice_by_theme "
        "WHERE source = 'nps_comment' AND nps_category = 'detractor' AND theme <> 'none' "
        "ORDER BY share_of_category_pct DESC LIMIT 6",
    )
    return charts.hbars(
        [t for t, _ in rows],
        [s for _, s in rows],
        "What detractors talk about (% of their comments)",
        "%",
        signed=False,
    )


def _table(headers: list[str], rows: list[list[str]], muted: list[bool] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    grey = ' class="ns"'
    body = "".join(
        f"<tr{grey if muted and muted[i] else ''}>"
        + "".join(f"<td>{escape(c)}</td>" for c in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _number(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _drivers(con: duckdb.DuckDBPyConnection, mart: str, unit: str) -> str:
    """A driver mart: significant effects as bars, every driver in a table (the not
    significant greyed and unranked), and the importance-performance grid."""
    if not _exists(con, mart):
        return '<p class="muted">No driver analysis yet.</p>'
    rows = _rows(
        con,
        f"SELECT term, effect, ci_low, ci_high, p_value, significant, importance_rank, "
        f"importance, performance_pct, quadrant, observations FROM marts.{mart} "
        f"ORDER BY importance_rank NULLS LAST, driver_p_value",
    )
    if not rows:
        return '<p class="muted">Too few answers or losses for a driver analysis yet.</p>'
    odds = unit == "odds ratio"
    significant = [r for r in rows if r[5]]
    bars = charts.hbars(
        [r[0] for r in significant],
        [100 * (r[1] - 1) if odds else r[1] for r in significant],
        f"Significant drivers: {'% change in the odds of churning' if odds else 'NPS points'}, "
        "net of the others",
        "%" if odds else "",
        signed=not odds,
    )
    grid = charts.quadrants(
        [(r[0], r[7], r[8]) for r in significant if r[8] is not None],
        "Importance against performance",
        "importance: effect of one standard deviation",
        "performance: % of accounts on the good side",
    )
    table = _table(
        ["term", unit, "95% CI", "p", "rank", "performance", "quadrant"],
        [
            [
                r[0],
                _number(r[1]),
                f"{_number(r[2])} to {_number(r[3])}",
                "" if r[4] is None else f"{r[4]:.3g}",
                "" if r[6] is None else str(r[6]),
                "" if r[8] is None else f"{r[8]:.0f}%",
                r[9],
            ]
            for r in rows
        ],
        muted=[not r[5] for r in rows],
    )
    note = (
        f'<p class="muted">One regression over {rows[0][10]:,} '
        f"{'account-months' if odds else 'answers'}; confidence intervals clustered by "
        "account. Greyed drivers are not significant (p >= 0.05) and are not ranked.</p>"
    )
    return bars + grid + table + note


def _churn_model(con: duckdb.DuckDBPyConnection) -> str:
    if not _exists(con, "churn_model_track_record"):
        return '<p class="muted">No churn model yet.</p>'
    record = _rows(
        con,
        "SELECT scorer, accounts_scored, accounts_lost, auc, riskiest_decile_lift, "
        "mean_predicted_pct, churn_rate_pct, is_default, verdict "
        "FROM marts.churn_model_track_record WHERE outcome_month IS NULL ORDER BY scorer",
    )
    if not record:
        return '<p class="muted">Too little history for an out-of-time track record yet.</p>'
    months = _rows(
        con,
        "SELECT count(DISTINCT outcome_month) FROM marts.churn_model_track_record "
        "WHERE outcome_month IS NOT NULL",
    )[0][0]
    verdict = next((r[8] for r in record if r[8]), "no verdict yet")
    table = _table(
        ["scorer", "AUC", "riskiest 10% lift", "predicted churn", "observed churn", "default"],
        [
            [
                r[0],
                _number(r[3], 3),
                _number(r[4]),
                "" if r[5] is None else f"{r[5]:.2f}%",
                "" if r[6] is None else f"{r[6]:.2f}%",
                "yes" if r[7] else "",
            ]
            for r in record
        ],
    )
    top = _rows(
        con,
        "SELECT risk_rank, account_id, region, revenue_tier, churn_probability_pct, "
        "health_score FROM marts.churn_predictions ORDER BY risk_rank LIMIT 10",
    )
    calls = _table(
        ["rank", "account", "region", "tier", "model churn probability", "health score"],
        [
            [str(r[0]), r[1], r[2] or "", r[3] or "", f"{_number(r[4], 1)}%", _number(r[5], 1)]
            for r in top
        ],
    )
    return (
        f"<p>Out of time over {months} months ({record[0][1]:,} account-months, "
        f"{record[0][2]} losses): {escape(verdict)}.</p>{table}"
        "<h3>Accounts to call this week</h3>" + calls
    )


def _skipped(con: duckdb.DuckDBPyConnection) -> str:
    """Marts left empty because a source was not delivered, each with its reason."""
    rows = _rows(
        con,
        "SELECT table_name, split_part(comment, '. ', 1) FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'marts' "
        "AND comment LIKE 'Skipped:%' ORDER BY 1",
    )
    if not rows:
        return ""
    return (
        "<p class='muted'>Some figures are missing because a source was not delivered:</p>"
        + _table(["mart", "why it is empty"], [[t, reason] for t, reason in rows])
    )


def render(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> str:
    sections = [
        ("How we are doing", _kpis(con) + _skipped(con)),
        ("NPS trend", _nps_trend(con)),
        ("Churn", _churn(con)),
        ("Segments", _segments(con)),
        ("Benchmarks", _benchmarks(con)),
        ("Top detractor themes", _detractor_themes(con)),
        ("What drives NPS", _drivers(con, "nps_drivers", "NPS points")),
        ("What drives churn", _drivers(con, "churn_drivers", "odds ratio")),
        ("Who will churn: the model and its track record", _churn_model(con)),
    ]
    body = "".join(f"<section><h2>{escape(t)}</h2>{html}</section>" for t, html in sections)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>CX report, {as_of}</title><style>{STYLE}</style></head><body>"
        f"<h1>Customer experience report</h1><p class='muted'>As of {as_of}; built "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by cx-pipeline from the marts.</p>"
        f"{body}</body></html>"
    )
