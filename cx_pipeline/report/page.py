"""The CX report page: what a CX lead wants to see after each run, from the marts alone.

It shows aggregates only (no person's name, e-mail or comment), so it can be shared as it is.
"""

from __future__ import annotations

import datetime as dt
from html import escape

import duckdb

from cx_pipeline.marts.regression import SIGNIFICANCE_LEVEL
from cx_pipeline.report import charts
from cx_pipeline.sql import execute, table_exists

STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; color: #1f2933;
       max-width: 900px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; }
.muted { color: #7b8794; font-size: 13px; } .kpis { display: flex; gap: 12px; flex-wrap: wrap; }
.kpi { border: 1px solid #e4e7eb; border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.kpi b { display: block; font-size: 22px; }
table { border-collapse: collapse; font-size: 13px; margin-top: 8px; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; } .ns { color: #9aa5b1; }
td { white-space: nowrap; } td:last-child { white-space: normal; min-width: 130px; }
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, **params: object) -> list[tuple]:
    """Rows of `sql`, with the `$name` values it names bound."""
    return execute(con, sql, **params).fetchall()


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return table_exists(con, "marts", table)


def _source(text: str) -> str:
    """Where the figure above comes from: the mart and its columns, so a reader can check it."""
    return f'<p class="source muted">Source: {escape(text)}</p>'


def _kpis(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> str:
    """Headline numbers, each naming what it counts, its base (n, period) and its mart."""
    nps = _rows(
        con,
        "SELECT own_value, own_sample, own_basis FROM marts.benchmarks "
        "WHERE metric = 'nps' AND scope = 'all' AND own_value IS NOT NULL LIMIT 1",
    )
    churn = _rows(
        con,
        "SELECT month, churn_rate_pct, customers_lost, customers_at_start "
        "FROM marts.churn_by_month WHERE churn_rate_pct IS NOT NULL ORDER BY month DESC LIMIT 1",
    )
    risk = _rows(
        con,
        "SELECT count(*) FILTER (WHERE health_band IN ('at_risk', 'watch')), count(health_band) "
        "FROM marts.account_health",
    )
    cells = []
    if nps:
        value, n, basis = nps[0]
        period = basis.split(", ", 1)[1] if ", " in (basis or "") else basis
        cells.append(
            f'<b class="kpi-nps">{value:.0f}</b>NPS from {n:,} answers, {escape(period or "")} '
            "(marts.benchmarks)"
        )
    if churn:
        month, rate, lost, base = churn[0]
        cells.append(
            f'<b class="kpi-churn">{rate:.1f}%</b>logo churn in {month:%B %Y}: {lost} of '
            f"{base:,} accounts active at its start lost (marts.churn_by_month)"
        )
    if risk and risk[0][1]:
        cells.append(
            f'<b class="kpi-risk">{risk[0][0]}</b>of {risk[0][1]} scored accounts are at risk or '
            f"on watch on {as_of} (health score under 70, marts.account_health)"
        )
    if not nps:
        cells.append("<b>no NPS</b>no survey answer in the last 12 months (marts.benchmarks)")
    return '<div class="kpis">' + "".join(f'<div class="kpi">{c}</div>' for c in cells) + "</div>"


def _nps_trend(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        "SELECT month, nps, nps_low_95, nps_high_95, responses FROM marts.nps_by_month "
        "ORDER BY month DESC LIMIT 24",
    )[::-1]
    answered = [n for *_, n in rows if n]
    chart = charts.line_with_band(
        [f"{m:%b %y}" for m, *_ in rows],
        [v for _, v, *_ in rows],
        [lo for _, _, lo, _, _ in rows],
        [hi for _, _, _, hi, _ in rows],
        "NPS per month (points, -100 to 100) with its 95% confidence interval",
        counts=[n for *_, n in rows],
    )
    base = (
        f"; {sum(answered):,} answers, {min(answered)} to {max(answered)} a month"
        if answered
        else ""
    )
    return chart + _source(
        f"marts.nps_by_month (nps, nps_low_95 to nps_high_95: adjusted Wald, responses){base}"
    )


def _churn(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        "SELECT month, churn_rate_pct FROM marts.churn_by_month ORDER BY month DESC LIMIT 24",
    )[::-1]
    chart = charts.bars(
        [f"{m:%b %y}" for m, _ in rows],
        [r for _, r in rows],
        "Logo churn per month (% of the accounts active at its start)",
        "%",
    )
    return chart + _source(
        "marts.churn_by_month (churn_rate_pct = 100 x customers_lost / customers_at_start)"
    )


def _revenue_retention(con: duckdb.DuckDBPyConnection) -> str:
    """Gross and net revenue retention per month: what the logo churn chart cannot show."""
    if not _exists(con, "revenue_retention_by_month"):
        return '<p class="muted">No revenue retention mart yet.</p>'
    rows = _rows(
        con,
        "SELECT month, grr_pct, nrr_pct, mrr_at_start, customers_at_start "
        "FROM marts.revenue_retention_by_month ORDER BY month DESC LIMIT 24",
    )[::-1]
    known = [r for r in rows if r[1] is not None]
    head = ""
    if known:
        month, grr, nrr, mrr, base = known[-1]
        head = (
            f'<p class="retention">In {month:%B %Y}: GRR {grr:.1f}%, NRR {nrr:.1f}% of '
            f"{float(mrr):,.0f} MRR at its start, over {base:,} accounts active at its start "
            "(marts.revenue_retention_by_month).</p>"
        )
    chart = charts.lines(
        [f"{m:%b %y}" for m, *_ in rows],
        {
            "GRR (gross revenue retention)": [r[1] for r in rows],
            "NRR (net revenue retention)": [r[2] for r in rows],
        },
        "Revenue retention per month (% of the MRR at its start)",
        "%",
    )
    return (
        head
        + chart
        + _source(
            "marts.revenue_retention_by_month (grr_pct = 100 x (start - churned - contraction) "
            "/ start; nrr_pct adds expansion; mrr_at_start)"
        )
    )


def _revenue_movements(con: duckdb.DuckDBPyConnection) -> str:
    """Where the month's MRR came from and went: the movements subscription-analytics tools
    show, reconciling opening to closing MRR."""
    if not _exists(con, "mrr_movements"):
        return '<p class="muted">No MRR movements mart yet.</p>'
    rows = _rows(
        con,
        "SELECT month, opening_mrr, new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, "
        "churned_mrr, closing_mrr, quick_ratio, arpa, ltv_estimate FROM marts.mrr_movements "
        "WHERE segment_type = 'all' ORDER BY month DESC LIMIT 6",
    )[::-1]
    if not rows:
        return '<p class="muted">No complete month yet.</p>'
    month, opening, new, expansion, back, contraction, churned, closing, quick, arpa, ltv = rows[-1]
    extras = [
        f"quick ratio {quick:.2f}" if quick is not None else "no MRR lost",
        f"ARPA {arpa:,.0f}" if arpa is not None else "",
        f"LTV estimate {ltv:,.0f}" if ltv is not None else "",
    ]
    head = (
        f'<p class="movements">In {month:%B %Y}: MRR {float(opening):,.0f} at its start, '
        f"+{float(new):,.0f} new, +{float(expansion):,.0f} expansion, "
        f"+{float(back):,.0f} reactivation, -{float(contraction):,.0f} contraction, "
        f"-{float(churned):,.0f} churned = {float(closing):,.0f} at its end; "
        f"{', '.join(e for e in extras if e)} (marts.mrr_movements).</p>"
    )
    table = _table(
        [
            "month",
            "opening",
            "new",
            "expansion",
            "reactivation",
            "contraction",
            "churned",
            "closing",
            "quick ratio",
        ],
        [[f"{r[0]:%b %y}", *(f"{float(v):,.0f}" for v in r[1:8]), _number(r[8])] for r in rows],
    )
    return (
        head
        + table
        + _source(
            "marts.mrr_movements (segment_type = 'all'; opening + new + expansion + reactivation "
            "- contraction - churned = closing MRR, in the reporting currency; quick_ratio; arpa; "
            "ltv_estimate, with its caveats in docs/revenue.md)"
        )
    )


def _survey_program(con: duckdb.DuckDBPyConnection) -> str:
    """Who answers: the response rate, whether earlier detractors answer less, and NPS weighted
    to the customer base beside the raw figure."""
    parts = []
    if _exists(con, "survey_response_rates"):
        rates = dict(
            (segment, (rate, delivered))
            for segment, rate, delivered in _rows(
                con,
                "SELECT segment, response_rate_pct, delivered FROM marts.survey_response_rates "
                "WHERE month IS NULL AND segment_type IN ('all', 'last_nps_category')",
            )
        )
        if "all" in rates and rates["all"][0] is not None:
            rate, delivered = rates["all"]
            by_category = ", ".join(
                f"{c}s {rates[c][0]:.0f}%"
                for c in ("promoter", "passive", "detractor")
                if c in rates and rates[c][0] is not None
            )
            parts.append(
                f'<p class="survey">{rate:.1f}% of {delivered:,} delivered invitations were '
                "answered"
                + (f"; by the contact's earlier answer: {by_category}" if by_category else "")
                + ".</p>"
                + _source(
                    "marts.survey_response_rates (month null: all months; answered / delivered; "
                    "segment_type 'last_nps_category')"
                )
            )
    if _exists(con, "nps_weighted"):
        rows = _rows(
            con,
            "SELECT responses, nps, weighted_nps, weighted_nps_low, weighted_nps_high, "
            "design_effect, effective_responses FROM marts.nps_weighted WHERE month IS NULL",
        )
        if rows and rows[0][2] is not None:
            n, nps, weighted, low, high, deff, n_eff = rows[0]
            parts.append(
                f'<p class="survey">NPS over the trailing 12 months: {nps:+.1f} as answered '
                f"(n = {n:,}), {weighted:+.1f} weighted to the customer base "
                f"(95% {low:+.1f} to {high:+.1f}; design effect {deff:.2f}, effective n "
                f"{n_eff:,.0f}).</p>"
                + _source(
                    "marts.nps_weighted (month null; raked to the active accounts' region and "
                    "revenue tier, weights capped at 5 x the mean)"
                )
            )
    return "".join(parts) or '<p class="muted">No survey invitations or answers yet.</p>'


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _minutes(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} min"


def _support(con: duckdb.DuckDBPyConnection) -> str:
    """SLA attainment and reply times the way the help desk reports them, by the month the
    tickets were created (the latest month can still change as its tickets are answered)."""
    if not _exists(con, "support_by_month"):
        return '<p class="muted">No support marts yet.</p>'
    rows = _rows(
        con,
        "SELECT month, tickets, 100 - first_reply_breach_pct, first_reply_sla_tickets, "
        "100 - resolution_breach_pct, resolution_sla_tickets, "
        "median_first_reply_business_minutes, p90_first_reply_business_minutes, "
        "median_full_resolution_business_minutes, csat_satisfied_pct "
        "FROM marts.support_by_month WHERE dimension = 'all' ORDER BY month DESC LIMIT 6",
    )[::-1]
    if not rows:
        return '<p class="muted">No tickets yet.</p>'
    month, tickets, reply_ok, reply_n, resolution_ok, resolution_n, median, p90, *_ = rows[-1]
    head = (
        f'<p class="sla">Tickets created in {month:%B %Y}: {tickets:,}; first reply within '
        f"SLA {_pct(reply_ok)} of {reply_n:,} decided, resolution within SLA "
        f"{_pct(resolution_ok)} of {resolution_n:,}; median first reply {_minutes(median)} "
        f"(90th percentile {_minutes(p90)}) in business minutes (marts.support_by_month).</p>"
    )
    table = _table(
        [
            "month",
            "tickets",
            "first reply SLA met",
            "resolution SLA met",
            "median first reply",
            "p90 first reply",
            "median resolution",
            "CSAT 4-5",
        ],
        [
            [
                f"{r[0]:%b %y}",
                f"{r[1]:,}",
                _pct(r[2]),
                _pct(r[4]),
                _minutes(r[6]),
                _minutes(r[7]),
                _minutes(r[8]),
                _pct(r[9]),
            ]
            for r in rows
        ],
    )
    return (
        head
        + table
        + _source(
            "marts.support_by_month (dimension = 'all'; SLA met = 100 - first_reply_breach_pct "
            "and 100 - resolution_breach_pct over the tickets whose SLA is decided; medians and "
            "90th percentiles in business minutes; csat_satisfied_pct; definitions in "
            "docs/support.md)"
        )
    )


def _segments(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        "SELECT segment_type || ': ' || segment || ' (n=' || responses || ')', nps_gap, "
        "company_responses FROM marts.segment_benchmarks "
        "WHERE segment_type IN ('region', 'revenue_tier') AND nps IS NOT NULL ORDER BY 2",
    )
    chart = charts.hbars(
        [label for label, _, _ in rows],
        [gap for _, gap, _ in rows],
        "NPS of each segment against ours (points)",
        " pts",
        legend="right = a higher NPS than the company's",
    )
    total = f"; {rows[0][2]:,} answers in the 12-month window" if rows else ""
    return chart + _source(
        f"marts.segment_benchmarks (nps_gap = nps - company_nps, responses){total}"
    )


def _benchmark_label(row: tuple) -> str:
    comparison, scope, statistic, source, year, audience, survey_type = row
    if comparison == "target":
        return "our target"
    what = " ".join(x for x in (None if scope == "all" else scope, audience, survey_type) if x)
    return (
        f"{what} {statistic.replace('_', ' ')} ({source.split(' ', 1)[0]}"
        f"{'' if year is None else ' ' + str(year)})"
    )


def _benchmarks(con: duckdb.DuckDBPyConnection) -> str:
    """The gaps as the mart has them (own - reference), one chart per metric, so that one legend
    says which way is good: right for NPS, left for churn (lower churn is better). Only
    like-for-like references have a gap; the source line says how many others were left out."""
    out = []
    for metric, name, unit, legend in (
        ("nps", "NPS", " pts", "right = better than the benchmark (a higher NPS)"),
        (
            "monthly_logo_churn_pct",
            "Monthly logo churn",
            " pp",
            "left = better than the benchmark (a lower churn)",
        ),
    ):
        rows = _rows(
            con,
            "SELECT comparison, reference_scope, reference_statistic, reference_source, "
            "reference_year, reference_audience, "
            "CASE WHEN metric = 'nps' THEN reference_survey_type END, "
            "gap, meets_reference, own_sample, own_basis, own_audience, own_survey_type, "
            "count(*) FILTER (WHERE NOT comparable) OVER () FROM marts.benchmarks "
            "WHERE scope = 'all' AND metric = $metric "
            "QUALIFY gap IS NOT NULL ORDER BY gap",
            metric=metric,
        )
        if not rows:
            continue
        points = "points" if metric == "nps" else "percentage points"
        sample, basis, audience, survey_type, unlike = rows[0][9:]
        ours = f"{audience} {survey_type} NPS" if metric == "nps" else f"{audience} churn"
        out.append(
            charts.hbars(
                [_benchmark_label(r[:7]) for r in rows],
                [r[7] for r in rows],
                f"{name}: ours ({ours}) minus each like-for-like benchmark ({points})",
                unit,
                good=[bool(r[8]) for r in rows],
                legend=legend,
            )
            + _source(
                f"marts.benchmarks (gap = own_value - reference_value, metric = '{metric}', "
                f"comparable); ours from {sample:,} {basis}; {unlike} reference(s) of another "
                "audience or survey type not compared (comparable = false)"
            )
        )
    return "".join(out) or '<p class="muted">No benchmark yet.</p>'


def _detractor_themes(con: duckdb.DuckDBPyConnection) -> str:
    if not _exists(con, "voice_by_theme"):
        return '<p class="muted">No voice-of-customer mart yet.</p>'
    rows = _rows(
        con,
        "SELECT theme, share_of_category_pct, category_items FROM marts.voice_by_theme "
        "WHERE source = 'nps_comment' AND nps_category = 'detractor' AND theme <> 'none' "
        "ORDER BY share_of_category_pct DESC LIMIT 6",
    )
    chart = charts.hbars(
        [t for t, _, _ in rows],
        [s for _, s, _ in rows],
        "What detractors talk about (% of their comments)",
        "%",
        signed=False,
    )
    base = f"; {rows[0][2]:,} detractor comments" if rows else ""
    return chart + _source(
        f"marts.voice_by_theme (share_of_category_pct, source = 'nps_comment'){base}"
    )


def _detractor_followup(con: duckdb.DuckDBPyConnection) -> str:
    """How many detractors wait for a call, by tier: counts only, never who answered or why."""
    if not _exists(con, "detractor_followup"):
        return '<p class="muted">No detractor follow-up mart yet.</p>'
    rows = _rows(
        con,
        "SELECT coalesce(revenue_tier, 'unknown'), count(*), count(DISTINCT account_id), "
        "count(*) FILTER (WHERE open_tickets > 0), min(submitted_on), max(submitted_on) "
        "FROM marts.detractor_followup GROUP BY ALL ORDER BY 2 DESC, 1",
    )
    if not rows:
        return '<p class="muted">No detractor answer waits for a follow-up.</p>'
    total = sum(r[1] for r in rows)
    first, last = min(r[4] for r in rows), max(r[5] for r in rows)
    table = _table(
        ["revenue tier", "detractor answers", "accounts", "with open tickets"],
        [[r[0], str(r[1]), str(r[2]), str(r[3])] for r in rows],
    )
    known, reached = _rows(
        con, "SELECT count(reached), count(*) FILTER (WHERE reached) FROM marts.detractor_followup"
    )[0]
    loop = (
        f"{reached} of them already reached by a follow-up (reached, from the followups extract)."
        if known
        else "No follow-ups are delivered (surveys.followups), so nobody is known to have been "
        "reached and this counts every detractor answer it lists."
    )
    return (
        f'<p class="followup">{total} detractor answers to follow up, given {first} to {last} '
        f"(marts.detractor_followup). {loop}</p>"
        + table
        + _source(
            "marts.detractor_followup (count of rows; distinct account_id; open_tickets > 0); "
            "aggregates only"
        )
    )


def _survey_metrics(con: duckdb.DuckDBPyConnection) -> str:
    """CSAT, CES and product-market fit over all answers, each with n and its 95% interval,
    and PMF by region against the 40% benchmark."""
    if not all(_exists(con, m) for m in ("csat_by_segment", "ces_by_segment", "pmf_by_segment")):
        return '<p class="muted">No survey-answer marts yet.</p>'
    overall = "segment_type = 'all' AND month IS NULL"
    rows = [
        [label, _number(value, 1) + unit, f"{_number(low, 1)} .. {_number(high, 1)}", f"{n:,}"]
        for label, unit, query in (
            (
                "CSAT (% of answers 4-5 of 5)",
                "%",
                "SELECT csat_pct, csat_low_95, csat_high_95, answers FROM marts.csat_by_segment "
                f"WHERE {overall}",
            ),
            (
                "CES, mean of 1-7",
                "",
                "SELECT mean_ces, mean_ces_low_95, mean_ces_high_95, answers "
                f"FROM marts.ces_by_segment WHERE {overall}",
            ),
            (
                "CES, % easy (5-7)",
                "%",
                "SELECT easy_pct, easy_low_95, easy_high_95, answers FROM marts.ces_by_segment "
                f"WHERE {overall}",
            ),
            (
                "PMF, % very disappointed",
                "%",
                "SELECT very_disappointed_pct, very_disappointed_low_95, "
                "very_disappointed_high_95, answers FROM marts.pmf_by_segment "
                "WHERE segment_type = 'all'",
            ),
        )
        for value, low, high, n in _rows(con, query)
    ]
    if not rows:
        return '<p class="muted">No CSAT, CES or product-market-fit answers delivered.</p>'
    pmf = _rows(
        con,
        "SELECT segment, answers, very_disappointed_pct, very_disappointed_low_95, "
        "very_disappointed_high_95, verdict FROM marts.pmf_by_segment "
        "WHERE segment_type = 'region' ORDER BY very_disappointed_pct DESC",
    )
    by_region = _table(
        ["region", "answers", "% very disappointed", "95% interval", "against 40%"],
        [
            [r[0], f"{r[1]:,}", _number(r[2], 1), f"{_number(r[3], 1)} .. {_number(r[4], 1)}", r[5]]
            for r in pmf
        ],
    )
    return (
        _table(["metric", "value", "95% interval", "answers"], rows)
        + (by_region if pmf else "")
        + _source(
            "marts.csat_by_segment, marts.ces_by_segment, marts.pmf_by_segment (all answers up "
            "to the as-of date; the 40% benchmark: Sean Ellis, via Rahul Vohra, First Round "
            "Review 2018)"
        )
    )


def _personas(con: duckdb.DuckDBPyConnection) -> str:
    """Who uses the product how, and what each persona says and does: one row per persona."""
    if not _exists(con, "persona_summary"):
        return '<p class="muted">No persona mart yet.</p>'
    rows = _rows(
        con,
        "SELECT persona_id, persona, contacts, contacts_pct, top_features, active_days_per_30, "
        "typical_job_title, responses, nps, nps_low_95, nps_high_95, low_sample, "
        "accounts_lost_pct, top_themes FROM marts.persona_summary "
        "ORDER BY CAST(substr(persona_id, 2) AS BIGINT)",
    )
    if not rows:
        return '<p class="muted">No contact has enough product usage for a persona.</p>'
    table = _table(
        [
            "persona",
            "contacts",
            "top features",
            "active days in 30",
            "typical title",
            "NPS (95% interval, n)",
            "accounts lost",
            "top themes",
        ],
        [
            [
                f"{r[0]} {r[1]}",
                f"{r[2]:,} ({_pct(r[3])})",
                r[4] or "",
                _number(r[5], 1),
                r[6] or "unknown",
                (
                    f"{_number(r[8], 0)} ({_number(r[9], 0)} .. {_number(r[10], 0)}, n={r[7]:,})"
                    if r[7]
                    else "no answers"
                ),
                _pct(r[12]),
                r[13] or "",
            ]
            for r in rows
        ],
        muted=[bool(r[11]) for r in rows],
    )
    return (
        "<p>Contacts grouped by how they used the product in the last 90 days (which features, "
        "how often, how deep); grey rows have too few NPS answers to trust.</p>"
        + table
        + _source(
            "marts.persona_summary (persona, contacts, top_features, active_days_per_30, "
            "typical_job_title, nps with nps_low_95 .. nps_high_95, accounts_lost_pct, "
            "top_themes); marts.contact_personas assigns each contact"
        )
    )


def _onboarding(con: duckdb.DuckDBPyConnection) -> str:
    """Time to value, and which early milestones go with retention (the cornerstone moments)."""
    if not all(_exists(con, m) for m in ("onboarding_milestones", "milestone_retention")):
        return '<p class="muted">No onboarding marts yet.</p>'
    rows = _rows(
        con,
        "SELECT milestone, accounts, reached_pct, median_days_to_reach, retention_reached_pct, "
        "retention_reached_low_95, retention_reached_high_95, retention_not_reached_pct, "
        "retention_not_reached_low_95, retention_not_reached_high_95, retention_lift_points, "
        "p_value_holm, cornerstone FROM marts.milestone_retention ORDER BY milestone_number",
    )
    if not rows:
        return '<p class="muted">No account started long enough ago to measure retention.</p>'
    value = _rows(
        con,
        "SELECT any_value(milestone), median(days_to_reach), "
        "count(days_to_reach), count(*) FROM marts.onboarding_milestones "
        "WHERE is_value_milestone AND started_in_event_history",
    )
    found = [r[0] for r in rows if r[12]]
    intro = (
        f"<p class='onboarding'>Cornerstone moments: {escape(', '.join(found))} (reached early, "
        "retention is significantly higher, Holm-adjusted).</p>"
        if found
        else "<p class='onboarding'>No milestone goes with significantly higher retention "
        "(Holm-adjusted).</p>"
    )
    if value and value[0][0] is not None:
        name, days, reached, accounts = value[0]
        intro += (
            f"<p class='muted'>Time to value ({escape(name)}): median {_number(days, 0)} days; "
            f"{reached:,} of {accounts:,} accounts reached it.</p>"
        )
    table = _table(
        [
            "milestone",
            "accounts",
            "reached early",
            "median days",
            "retained if reached (95%)",
            "if not (95%)",
            "lift, points",
            "p (Holm)",
        ],
        [
            [
                r[0],
                f"{r[1]:,}",
                _pct(r[2]),
                _number(r[3], 0),
                f"{_number(r[4], 0)}% ({_number(r[5], 0)} .. {_number(r[6], 0)})"
                if r[4] is not None
                else "",
                f"{_number(r[7], 0)}% ({_number(r[8], 0)} .. {_number(r[9], 0)})"
                if r[7] is not None
                else "",
                _number(r[10], 1),
                _p(r[11]),
            ]
            for r in rows
        ],
        muted=[not r[12] for r in rows],
    )
    return (
        intro
        + table
        + _source(
            "marts.milestone_retention (reached_pct, median_days_to_reach, "
            "retention_reached_pct and retention_not_reached_pct with their 95% bounds, "
            "retention_lift_points, p_value_holm, cornerstone); time to value: "
            "marts.onboarding_milestones (days_to_reach where is_value_milestone)"
        )
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


def _p(value: float | None) -> str:
    """A p-value as a reader compares it with 0.05: three digits, tiny ones as a bound."""
    if value is None:
        return ""
    return "<0.0001" if value < 0.0001 else f"{value:.3g}"


def _quadrant_label(
    quadrant: str, effect: float, kind: str, performance: float | None, odds: bool
) -> str:
    """The mart's quadrant with what it means for this driver: 'keep up' next to a harmful
    driver means most accounts are already clear of it, not that the harm should go on."""
    if performance is None or quadrant in ("not significant", "respondent trait"):
        return quadrant
    harmful = effect > 1 if odds else effect < 0
    if kind == "numeric":
        side = "lower" if harmful else "higher"
        where = f"{performance:.0f}% of accounts at or {'below' if harmful else 'above'} the median"
        return f"{quadrant}: {where} ({side} is better)"
    clear = "clear of it" if harmful else "with it"
    return f"{quadrant}: {performance:.0f}% of accounts {clear}"


def _direction(effect: float, odds: bool) -> str:
    if odds:
        return "raises churn" if effect > 1 else "lowers churn"
    return "raises NPS" if effect > 0 else "lowers NPS"


def _drivers(con: duckdb.DuckDBPyConnection, mart: str, unit: str) -> str:
    """A driver mart: significant effects as bars, every driver in a table (the not
    significant greyed and unranked), and the importance-performance grid. The table shows the
    p-values the mart's `significant` flag is made of, and the footnote is worded from its column
    docs, so the greying can never contradict the numbers."""
    if not _exists(con, mart):
        return '<p class="muted">No driver analysis yet.</p>'
    rows = _rows(
        con,
        f"SELECT term, effect, ci_low, ci_high, p_value, significant, importance_rank, "
        f"importance, performance_pct, quadrant, observations, driver_p_value, "
        f"driver_p_value_holm, kind, (SELECT count(DISTINCT driver) FROM marts.{mart}) "
        f"FROM marts.{mart} "
        "ORDER BY importance_rank NULLS LAST, driver_p_value_holm, driver_p_value, term",
    )
    if not rows:
        return '<p class="muted">Too few answers or losses for a driver analysis yet.</p>'
    odds = unit == "odds ratio"
    significant = [r for r in rows if r[5]]
    if odds:
        bars = charts.ratio_hbars(
            [r[0] for r in significant],
            [r[1] for r in significant],
            "Significant drivers of churn: odds ratio of being lost next month (\u00d7), "
            "net of the others",
            legend="right of \u00d71 = raises the odds of churning",
        )
    else:
        bars = charts.hbars(
            [r[0] for r in significant],
            [r[1] for r in significant],
            "Significant drivers of NPS: NPS points per unit of the driver, net of the others",
            " pts",
            legend="right = raises NPS",
        )
    grid = charts.quadrants(
        [(r[0], r[7], r[8]) for r in significant if r[8] is not None],
        "Importance against performance",
        "importance: effect of one standard deviation",
        "performance: % of accounts on the good side",
    )
    table = _table(
        [
            "term",
            unit,
            "direction",
            "95% CI",
            "term p",
            "driver p",
            "driver p, Holm",
            "rank",
            "quadrant",
        ],
        [
            [
                r[0],
                f"\u00d7{r[1]:.2f}" if odds else _number(r[1]),
                _direction(r[1], odds),
                f"{_number(r[2])} to {_number(r[3])}",
                _p(r[4]),
                _p(r[11]),
                _p(r[12]),
                "" if r[6] is None else str(r[6]),
                _quadrant_label(r[9], r[1], r[13], r[8], odds),
            ]
            for r in rows
        ],
        muted=[not r[5] for r in rows],
    )
    level = f"{SIGNIFICANCE_LEVEL:g}"
    rule = _rows(
        con,
        "SELECT comment FROM duckdb_columns() WHERE schema_name = 'marts' "
        "AND table_name = $mart AND column_name = 'significant'",
        mart=mart,
    )
    quoted = f' (marts.{mart}.significant: "{escape(rule[0][0])}")' if rule and rule[0][0] else ""
    note = (
        f'<p class="muted drivers-note">One regression over {rows[0][10]:,} '
        f"{'account-months' if odds else 'answers'}; confidence intervals clustered by "
        f"account. Driver p is the driver's p-value (its own, or the joint test of a "
        f"category's levels); driver p, Holm, is that p adjusted for testing {rows[0][14]} "
        f"drivers at once. A term is significant when its driver p, Holm is below {level} and, "
        f"for a category's level, its term p (its own test) too{quoted}; greyed rows are not, "
        "and are not ranked, even when an unadjusted p is below it: among that many drivers "
        "one passes by luck. Quadrant: importance and "
        "performance against the means of the significant terms.</p>"
    )
    source = _source(
        f"marts.{mart} (effect, ci_low, ci_high, p_value, driver_p_value, driver_p_value_holm, "
        "significant, importance, performance_pct, quadrant)"
    )
    return bars + grid + table + note + source


_REASONS = (
    ("usage_component", 0.35),
    ("nps_component", 0.30),
    ("support_component", 0.20),
    ("csat_component", 0.15),
)


def _reason(health: dict) -> str:
    """The health component that costs the account the most weighted points, in plain words."""
    if not health:
        return ""
    if health.get("cancels_on"):
        return f"cancellation recorded in the CRM: ends {health['cancels_on']:%d %b %Y}"
    worst = max(_REASONS, key=lambda c: c[1] * (100 - float(health[c[0]] or 0)))[0]
    if worst == "usage_component":
        if not health["events_last_30d"]:
            return "dormant: no product events in the last 30 days"
        return (
            f"usage: {health['events_last_30d']:,} events in 30 days against "
            f"{health['events_previous_30d']:,} the 30 before"
        )
    if worst == "nps_component":
        if health["detractor_last_30d"]:
            return "a detractor answer in the last 30 days"
        score = health["last_nps_score"]
        return "no NPS answer in 180 days" if score is None else f"latest NPS answer {score}"
    if worst == "support_component":
        return (
            f"support: {health['open_escalations']} open escalations, "
            f"{health['tickets_last_90d']} tickets in 90 days"
        )
    csat = health["avg_csat_180d"]
    return "no CSAT in 180 days" if csat is None else f"average CSAT {csat:.1f} of 5 in 180 days"


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
    return (
        f"<p>Out of time over {months} months ({record[0][1]:,} account-months, "
        f"{record[0][2]} losses): {escape(verdict)}.</p>{table}"
        + _source("marts.churn_model_track_record (auc, riskiest_decile_lift, verdict)")
        + "<h3>Accounts to call this week</h3>"
        + _call_list(con)
    )


def _call_list(con: duckdb.DuckDBPyConnection) -> str:
    """The ten riskiest accounts by name, with what they are worth and why to call them."""
    cur = con.execute(
        "SELECT p.risk_rank, p.name, p.mrr, h.health_band, p.churn_probability_pct, "
        "p.health_score, h.* FROM marts.churn_predictions AS p "
        "LEFT JOIN marts.account_health AS h USING (account_id) ORDER BY p.risk_rank LIMIT 10"
    )
    names = [d[0] for d in cur.description]
    top = [(r[:6], dict(zip(names[6:], r[6:], strict=True))) for r in cur.fetchall()]
    calls = _table(
        [
            "rank",
            "account",
            "MRR",
            "health band",
            "model churn probability",
            "health score",
            "top reason",
        ],
        [
            [
                str(r[0]),
                r[1] or "",
                "" if r[2] is None else f"{float(r[2]):,.0f}",
                (r[3] or "").replace("_", " "),
                f"{_number(r[4], 1)}%",
                _number(r[5], 1),
                _reason(h if h.get("account_id") else {}),
            ]
            for r, h in top
        ],
    )
    return calls + _source(
        "marts.churn_predictions (risk_rank, name, mrr, churn_probability_pct, health_score) "
        "with marts.account_health (health_band; top reason = a recorded cancellation "
        "(cancels_on), else the component of the health score losing the most weighted points)"
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
    """The whole page; its header says when the data ends, each chart where it comes from."""
    sections = [
        ("How we are doing", _kpis(con, as_of) + _skipped(con)),
        ("NPS trend", _nps_trend(con)),
        ("Churn", _churn(con)),
        ("Revenue retention", _revenue_retention(con)),
        ("Revenue movements", _revenue_movements(con)),
        ("Survey program", _survey_program(con)),
        ("Support and SLAs", _support(con)),
        ("Segments", _segments(con)),
        ("Benchmarks", _benchmarks(con)),
        ("Top detractor themes", _detractor_themes(con)),
        ("Detractors to follow up", _detractor_followup(con)),
        ("CSAT, CES and product-market fit", _survey_metrics(con)),
        ("Personas", _personas(con)),
        ("Onboarding moments", _onboarding(con)),
        ("What drives NPS", _drivers(con, "nps_drivers", "NPS points")),
        ("What drives churn", _drivers(con, "churn_drivers", "odds ratio")),
        ("Who will churn: the model and its track record", _churn_model(con)),
    ]
    body = "".join(f"<section><h2>{escape(t)}</h2>{html}</section>" for t, html in sections)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>CX report, data up to {as_of}</title><style>{STYLE}</style></head><body>"
        f"<h1>Customer experience report</h1><p class='muted as-of'>Data up to {as_of}; built "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by cx-pipeline from the marts. Each "
        "chart names its source: the mart and its columns.</p>"
        f"{body}</body></html>"
    )
