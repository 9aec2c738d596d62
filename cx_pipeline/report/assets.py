"""The report asset: the HTML page, written aside and renamed into place on every run."""

import os
from pathlib import Path

import dagster as dg

from cx_pipeline import catalog
from cx_pipeline.marts.assets import ALL_MART_SPECS
from cx_pipeline.marts.builder import resolve_as_of
from cx_pipeline.report.page import render
from cx_pipeline.resources import CxSettings, Serving, Warehouse


@dg.asset(
    key=catalog.key("serving", "cx_report"),
    deps=[catalog.key("marts", spec.name) for spec in ALL_MART_SPECS],
    group_name="serving",
    kinds={"html"},
    owners=catalog.OWNERS,
    pool=catalog.WAREHOUSE_POOL,
    description=(
        "One self-contained HTML page (CX_REPORT_PATH): NPS trend with its margin of error, "
        "churn by month, segments against the company, benchmark gaps and what detractors talk "
        "about. Aggregates only, inline charts, no network needed to open it."
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
    aside = path.with_name(f".{path.name}.tmp")
    aside.write_text(page, encoding="utf-8")
    os.replace(aside, path)
    context.log.info(f"report written to {path.resolve()}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path.resolve())),
            "open": dg.MetadataValue.url(path.resolve().as_uri()),
            "bytes": len(page.encode()),
        }
    )
