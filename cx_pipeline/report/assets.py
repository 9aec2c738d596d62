"""The report asset: the HTML page, written aside and renamed into place on every run.

It is built after the serving file is published and names the snapshot it describes (the run
id and time in the serving file's `marts._snapshot`): after a crash between the two, the report
and the serving file can disagree, and the footer of the page says so plainly."""

import os
from html import escape
from pathlib import Path

import dagster as dg
import duckdb

from cx_pipeline import catalog
from cx_pipeline.marts.assets import ALL_MART_SPECS
from cx_pipeline.marts.builder import resolve_as_of
from cx_pipeline.report.page import render
from cx_pipeline.resources import CxSettings, Serving, Warehouse


@dg.asset(
    key=catalog.key("serving", "cx_report"),
    deps=[
        *(catalog.key("marts", spec.name) for spec in ALL_MART_SPECS),
        catalog.key("serving", "marts_snapshot"),
    ],
    group_name="serving",
    kinds={"html"},
    owners=catalog.OWNERS,
    pool=catalog.warehouse_pool(),
    description=(
        "One self-contained HTML page (CX_REPORT_PATH): headlines with their base and mart, NPS "
        "trend with its 95% confidence interval, churn and revenue retention (GRR/NRR), the MRR "
        "movements of the last six months (new, expansion, reactivation, contraction, churned; "
        "quick ratio, ARPA, LTV estimate), survey response rates and NPS weighted to the customer "
        "base, SLA attainment and reply times of the last six months, segments against the "
        "company, benchmark gaps, what detractors talk about and how many await follow-up, the "
        "drivers of NPS and churn, the churn model's track record and the accounts to call, and "
        "which marts were skipped for lack of a source. Every chart names its mart. Aggregates "
        "only (no person's name, e-mail or words), inline charts, no network needed."
    ),
)
def cx_report(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    serving: Serving,
    cx_settings: CxSettings,
) -> dg.MaterializeResult:
    path = Path(serving.report_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warehouse.get_connection() as con:
        page = render(con, resolve_as_of(con, cx_settings))
    run_id, published_at = served_snapshot(Path(serving.path))
    footer = (
        f"<p class='muted'>Serving snapshot: run {escape(run_id)}, published {published_at} "
        "UTC.</p>"
        if run_id
        else "<p class='muted'>Serving snapshot: none published by a run yet.</p>"
    )
    page = page.replace("</body>", f"{footer}</body>", 1)
    aside = path.with_name(f".{path.name}.tmp")
    aside.write_text(page, encoding="utf-8")
    os.replace(aside, path)
    context.log.info(f"report written to {path.resolve()}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path.resolve())),
            "open": dg.MetadataValue.url(path.resolve().as_uri()),
            "bytes": len(page.encode()),
            "snapshot_run_id": run_id or "(none)",
        }
    )


def served_snapshot(path: Path) -> tuple[str | None, str | None]:
    """The run id and publication time of the snapshot in the serving file, if it has one."""
    if not path.is_file():
        return None, None
    with duckdb.connect(str(path), read_only=True) as con:
        has_run = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'marts' "
            "AND table_name = '_snapshot' AND column_name = 'run_id'"
        ).fetchone()[0]
        if not has_run:
            return None, None
        row = con.execute(
            "SELECT run_id, strftime(published_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') "
            "FROM marts._snapshot"
        ).fetchone()
    return (row[0], row[1]) if row else (None, None)
