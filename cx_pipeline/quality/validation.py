"""Running a Great Expectations suite over a DuckDB query, one bounded batch at a time.

GX 1.x validates pandas frames reliably (its SQL datasource fails on DuckDB), so the query's
result streams out of DuckDB as Arrow record batches of `batch_rows` rows, each becomes a small
pandas frame, and the per-batch results are summed. Memory stays bounded by the batch size
whatever the table's size. The GX context is ephemeral: no `gx/` folder, no analytics calls.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import great_expectations as gx

SAMPLE_SIZE = 5
INDEX_COLUMNS = ["_source_file", "_row_number"]


@dataclass
class ExpectationOutcome:
    rule: str
    severity: str
    expectation: str
    checked: int = 0
    unexpected: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def success(self) -> bool:
        return self.unexpected == 0 and self.error is None

    @property
    def unexpected_percent(self) -> float:
        return 100.0 * self.unexpected / self.checked if self.checked else 0.0


@dataclass
class SuiteOutcome:
    suite: str
    rows: int
    batches: int
    seconds: float
    expectations: list[ExpectationOutcome]

    def failures(self, severity: str) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if e.severity == severity and not e.success]


@functools.cache
def gx_context() -> Any:
    """The process's ephemeral GX context; suites can only be built once it exists."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@functools.cache
def _batch_definition() -> Any:
    asset = gx_context().data_sources.add_pandas("cx_pipeline").add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("whole batch")


def _raised(exception_info: Any) -> str | None:
    """The first exception message in a GX result's exception info (its shape varies)."""
    if not isinstance(exception_info, dict):
        return None
    if exception_info.get("raised_exception"):
        return str(exception_info.get("exception_message") or "expectation raised")
    for value in exception_info.values():
        message = _raised(value)
        if message:
            return message
    return None


def _sample(row: dict[str, Any], masked: set[str]) -> dict[str, Any]:
    out = {}
    for name, value in row.items():
        if name in masked and value is not None:
            value = "***"
        out[name] = value.item() if hasattr(value, "item") else str(value)
    return out


def validate_query(
    con: duckdb.DuckDBPyConnection,
    suite: gx.ExpectationSuite,
    sql: str,
    params: dict[str, Any] | None = None,
    batch_rows: int = 200_000,
    masked_columns: frozenset[str] = frozenset(),
) -> SuiteOutcome:
    """Validate every row `sql` returns (it must include `_source_file` and `_row_number`)."""
    started = time.perf_counter()
    batch_definition = _batch_definition()
    outcomes = [
        ExpectationOutcome(
            rule=e.meta["rule"], severity=e.meta["severity"], expectation=e.expectation_type
        )
        for e in suite.expectations
    ]
    reader = con.execute(sql, params).fetch_record_batch(batch_rows)
    rows = batches = 0
    for record_batch in reader:
        if record_batch.num_rows == 0:
            continue
        frame = record_batch.to_pandas()
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            suite,
            result_format={
                "result_format": "SUMMARY",
                "unexpected_index_column_names": INDEX_COLUMNS,
                "partial_unexpected_count": SAMPLE_SIZE,
            },
        )
        for outcome, r in zip(outcomes, result.results, strict=True):
            outcome.checked += int(r.result.get("element_count") or len(frame))
            outcome.unexpected += int(r.result.get("unexpected_count") or 0)
            error = _raised(r.exception_info)
            if error and outcome.error is None:
                outcome.error = error
            room = SAMPLE_SIZE - len(outcome.samples)
            for row in (r.result.get("partial_unexpected_index_list") or [])[:room]:
                outcome.samples.append(_sample(row, set(masked_columns)))
        rows += record_batch.num_rows
        batches += 1
    return SuiteOutcome(suite.name, rows, batches, time.perf_counter() - started, outcomes)
