"""Great Expectations suites, derived from the extract contract for each layer.

Every expectation carries `meta.rule` (the same `<kind>:<column>` name the quarantine uses) and
`meta.severity`: "hard" expectations fail a blocking check, "soft" ones warn. Great Expectations
is imported here and in `validation.py` only, when a check runs: importing it costs seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cx_pipeline.contract import Column, Entity
from cx_pipeline.quality.validation import gx_context

if TYPE_CHECKING:
    import great_expectations as gx

HARD, SOFT = "hard", "soft"
# The column the validation query adds beside staging rows: the end of the row's delivery day.
DELIVERED_BY = "_delivered_by"

# What a raw (text) value must look like to cast; DuckDB's casts are the authority (quarantine),
# these let Great Expectations report the same faults independently, with file and row.
TEXT_PATTERNS = {
    "integer": r"^\s*[+-]?\d+\s*$",
    "decimal": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$",
    "timestamp": (
        r"^\s*\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?"
        r"\s*(Z|[+-]\d{2}(:?\d{2})?)?\s*$"
    ),
    "boolean": r"^\s*(?i:true|false|t|f|yes|no|y|n|1|0)\s*$",
}


def _meta(rule: str, severity: str) -> dict[str, str]:
    return {"rule": rule, "severity": severity}


def raw_suite(entity: Entity) -> gx.ExpectationSuite:
    """Rows as delivered (text): the contract's row rules, all soft, because the quarantine
    already holds the rows that break them and its share decides whether to block."""
    gx_context()
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=f"raw.{entity.name}")
    for c in entity.columns:
        if c.required:
            suite.add_expectation(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=c.name, meta=_meta(f"required:{c.name}", SOFT)
                )
            )
        if c.type == "json":
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeJsonParseable(
                    column=c.name, meta=_meta(f"type:{c.name}", SOFT)
                )
            )
        elif c.type in TEXT_PATTERNS:
            suite.add_expectation(
                gxe.ExpectColumnValuesToMatchRegex(
                    column=c.name, regex=TEXT_PATTERNS[c.type], meta=_meta(f"type:{c.name}", SOFT)
                )
            )
        if c.allowed:
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeInSet(
                    column=c.name, value_set=list(c.allowed), meta=_meta(f"allowed:{c.name}", SOFT)
                )
            )
    return suite


def _range(c: Column) -> gx.expectations.Expectation:
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnValuesToBeBetween(
        column=c.name,
        min_value=c.minimum,
        max_value=c.maximum,
        meta=_meta(f"range:{c.name}", HARD),
    )


def staging_suite(entity: Entity) -> gx.ExpectationSuite:
    """Typed rows that passed the quarantine: every contract rule must hold (hard), and no
    timestamp may lie after its delivery day unless the contract allows it (soft)."""
    gx_context()
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=f"staging.{entity.name}")
    for c in entity.columns:
        if c.required:
            suite.add_expectation(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=c.name, meta=_meta(f"required:{c.name}", HARD)
                )
            )
        if c.allowed:
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeInSet(
                    column=c.name, value_set=list(c.allowed), meta=_meta(f"allowed:{c.name}", HARD)
                )
            )
        if c.minimum is not None or c.maximum is not None:
            suite.add_expectation(_range(c))
        if c.not_before:
            suite.add_expectation(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=c.name,
                    column_B=c.not_before,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                    meta=_meta(f"order:{c.name}", HARD),
                )
            )
        if c.type == "timestamp" and not c.may_be_future:
            suite.add_expectation(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=DELIVERED_BY,
                    column_B=c.name,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                    meta=_meta(f"future:{c.name}", SOFT),
                )
            )
    return suite


def columns_read(suite: gx.ExpectationSuite) -> set[str]:
    """The columns the suite's expectations name: a validation query need fetch no others
    (an events row's properties JSON, never checked, was half the cost of its batches)."""
    return {
        value
        for e in suite.expectations
        for name in ("column", "column_A", "column_B")
        if isinstance(value := getattr(e, name, None), str)
    }
