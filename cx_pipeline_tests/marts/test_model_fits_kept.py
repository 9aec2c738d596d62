"""The churn model's out-of-time fits are kept between builds: month M's model is trained on
the months before M, so a build refits only the months whose training rows changed, and its
table equals a build that refits them all."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from cx_pipeline.marts.builder import sql_parameters
from cx_pipeline.marts.prediction import MODEL, FitCache, churn_model_track_record
from cx_pipeline.resources import CxSettings, Warehouse


def digests(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {d for (d,) in con.execute(f"SELECT training_digest FROM {FitCache.TABLE}").fetchall()}


def fitted_months(record: pl.DataFrame) -> list:
    return sorted(
        record.filter(pl.col("scorer") == MODEL, pl.col("outcome_month").is_not_null())[
            "outcome_month"
        ].to_list()
    )


def test_a_build_refits_only_the_months_whose_training_rows_changed(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "cx.duckdb"
    shutil.copy(sample_warehouse, copy)
    with Warehouse(database=str(copy), memory_limit="1GB").get_connection() as con:
        # The session's run (through Dagster) kept one fit per fitted month.
        months = fitted_months(con.execute("SELECT * FROM marts.churn_model_track_record").pl())
        assert len(months) >= 3
        assert len(digests(con)) == len(months)

        parameters = sql_parameters(con, CxSettings())
        con.execute(f"DROP TABLE {FitCache.TABLE}")
        first = churn_model_track_record(con, parameters)
        kept = digests(con)
        assert fitted_months(first) == months and len(kept) == len(months)
        # Nothing changed: every fit is taken from the table, and the result is the same.
        assert_frame_equal(churn_model_track_record(con, parameters), first)
        assert digests(con) == kept

        # One outcome changed in a middle month X: the fits of the months after X trained on
        # it; those up to X did not (X's own rows are only scored by X's model).
        changed = months[len(months) // 2]
        con.execute(
            "UPDATE marts.churn_examples SET lost = NOT lost WHERE (prediction_date, account_id) "
            "= (SELECT (prediction_date, account_id) FROM marts.churn_examples "
            "   WHERE outcome_month = $month ORDER BY ALL LIMIT 1)",
            {"month": changed},
        )
        again = churn_model_track_record(con, parameters)
        now = digests(con)
        assert len(now & kept) == sum(m <= changed for m in months)
        assert len(now - kept) == sum(m > changed for m in months) > 0
        assert len(now) == len(months)  # the fits no build uses are gone

        # The same table as refitting every month (CX_FULL_REBUILD).
        refit = churn_model_track_record(con, {**parameters, "full_rebuild": True})
        assert_frame_equal(again, refit, check_exact=False, rtol=0, atol=1e-9)
