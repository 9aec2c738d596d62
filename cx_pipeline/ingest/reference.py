"""Reference tables shipped with the project (industry benchmarks), loaded as they are."""

import dagster as dg

from cx_pipeline import catalog
from cx_pipeline.resources import ExtractStore, Warehouse

BENCHMARK_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("metric", "VARCHAR", "'nps' or 'monthly_logo_churn_pct'."),
    (
        "industry",
        "VARCHAR",
        "Industry the figure is for; 'all', 'B2B' and 'B2C' are cross-industry.",
    ),
    ("statistic", "VARCHAR", "average, median, top_quartile, industry_average or target."),
    ("value", "DOUBLE", "The figure."),
    ("unit", "VARCHAR", "Unit of the figure."),
    ("higher_is_better", "BOOLEAN", "Direction in which the metric improves."),
    ("kind", "VARCHAR", "'reference' (published figure) or 'target' (a goal you set)."),
    ("source", "VARCHAR", "Who published the figure, and the study."),
    ("year", "INTEGER", "Year of the data or publication; empty when the source is undated."),
    ("notes", "VARCHAR", "Caveats."),
)


@dg.asset(
    key=catalog.key("raw", "industry_benchmarks"),
    group_name="raw",
    kinds={"duckdb"},
    owners=catalog.OWNERS,
    pool=catalog.WAREHOUSE_POOL,
    description=(
        "Industry NPS and churn reference figures and the seed targets, each with its source and "
        "year, from <reference_root>/industry_benchmarks.csv."
    ),
    metadata=catalog.table_metadata("raw", "industry_benchmarks", list(BENCHMARK_COLUMNS)),
)
def industry_benchmarks(warehouse: Warehouse, extracts: ExtractStore) -> dg.MaterializeResult:
    path = extracts.reference_path / "industry_benchmarks.csv"
    if not path.is_file():
        raise dg.Failure(f"reference table not found: {path.resolve()}")
    columns = ", ".join(f"'{name}': '{sql_type}'" for name, sql_type, _ in BENCHMARK_COLUMNS)
    with warehouse.get_connection() as con:
        con.execute(
            "CREATE OR REPLACE TABLE raw.industry_benchmarks AS SELECT * FROM read_csv($path, "
            f"header = true, auto_detect = false, columns = {{{columns}}})",
            {"path": str(path)},
        )
        rows = con.execute("SELECT count(*) FROM raw.industry_benchmarks").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "source_file": str(path)})
