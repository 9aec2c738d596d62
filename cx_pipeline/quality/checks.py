"""Asset checks on the raw and staging tables: their specs, and the results a run yields.

Hard rules are blocking checks: when one fails the asset's step fails, so nothing downstream
(staging, marts) is rebuilt on bad data and yesterday's tables stay. Soft rules warn. Row rules
run through Great Expectations on bounded batches; table-wide rules (uniqueness, references,
counts) are SQL in DuckDB, where they cost one scan.
"""

from __future__ import annotations

import dagster as dg
import duckdb

from cx_pipeline import catalog
from cx_pipeline.contract import Entity
from cx_pipeline.ingest.loader import DeliveryLoad
from cx_pipeline.privacy.masking import PERSON_IDENTIFIERS
from cx_pipeline.quality.suites import (
    DELIVERED_BY,
    HARD,
    SOFT,
    columns_read,
    raw_suite,
    staging_suite,
)
from cx_pipeline.quality.validation import SuiteOutcome, validate_query
from cx_pipeline.resources import CxSettings
from cx_pipeline.sql import execute, quote, scalar, table_exists

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
SAMPLE_ROWS = 5
# Snapshot deliveries outside these bounds, relative to the previous one, are worth a look.
SNAPSHOT_SHRINK, SNAPSHOT_GROWTH = 0.9, 1.5

RAW_CHECKS: tuple[tuple[str, bool, str], ...] = (
    (
        "quarantine_share",
        True,
        "Blocks staging when a delivery's quarantined share of rows passes the threshold "
        "(CX_QUARANTINE_BLOCK_SHARE, default 5%). Shows the broken rules and sample rows.",
    ),
    (
        "reconciliation",
        True,
        "Every file of this load: rows read = rows loaded + rows quarantined (+ rows of people "
        "erased on request), and the raw and "
        "quarantine tables hold exactly those counts.",
    ),
    (
        "contract_rules",
        False,
        "Great Expectations suite of the contract's row rules on the rows as delivered (text): "
        "every quarantined row and a sample of the rest (CX_RAW_VALIDATION_SAMPLE_ROWS); warns "
        "with the file and row of offending values. The quarantine already holds them.",
    ),
    (
        "delivery_volume",
        False,
        "Warns when a CRM snapshot shrinks by over 10% or grows by over 50% from the previous "
        "delivery, or when the latest delivery of an event source is empty.",
    ),
)

STAGING_CHECKS: tuple[tuple[str, bool, str], ...] = (
    (
        "contract_rules",
        True,
        "Great Expectations suite on the typed rows: keys and required values present, allowed "
        "values, ranges (scores 0-10, CSAT 1-5), ordering (solved_at >= created_at, ended_at >= "
        "started_at). Blocks the marts.",
    ),
    ("unique_key", True, "One row per business key. Blocks the marts."),
    ("not_empty", True, "The table has rows (optional entities may be empty). Blocks the marts."),
    (
        "timestamps_not_in_future",
        False,
        "Warns about timestamps more than a day after the row's delivery day (a scheduled "
        "ended_at is allowed).",
    ),
    (
        "references",
        False,
        "Warns about ids that point at no row of the referenced table (e.g. a ticket's "
        "contact_id that is not in staging.contacts).",
    ),
)


def check_specs(layer: str, entity: Entity) -> list[dg.AssetCheckSpec]:
    checks = RAW_CHECKS if layer == "raw" else STAGING_CHECKS
    return [
        dg.AssetCheckSpec(
            name,
            asset=catalog.key(layer, entity.name),
            blocking=blocking,
            description=("Hard rule. " if blocking else "Soft rule. ") + description,
        )
        for name, blocking, description in checks
    ]


# Metadata that says how a check ran rather than what failed: left out of its summary line.
_NOT_IN_SUMMARY = frozenset({"suite", "batches", "validation_seconds", "rows_validated"})


def _summary(metadata: dict[str, object]) -> str:
    """A failed check's rule, counts and first offender in one line, so the UI's check list and
    the run summary show them without opening the Markdown tables."""
    return "; ".join(
        f"{name.replace('_', ' ')}: {value}"
        for name, value in metadata.items()
        if name not in _NOT_IN_SUMMARY and isinstance(value, str | int | float)
    )


def _result(
    name: str, passed: bool, hard: bool, metadata: dict[str, object]
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=name,
        passed=passed,
        severity=ERROR if hard else WARN,
        metadata=metadata,
        description=None if passed else _summary(metadata),
    )


def _shown(column: str, expression: str) -> str:
    """A sample value as a check shows it: Dagster keeps check metadata in its event log, which
    an erasure cannot rewrite, so a value that names a person (a contact id, an e-mail) is hashed
    as the serving file hashes it."""
    if column in PERSON_IDENTIFIERS:
        return f"'hash:' || left(sha256({expression}), 16)"
    return expression


def _masked(entity: Entity) -> frozenset[str]:
    return frozenset(c.name for c in entity.columns if c.personal or c.name in PERSON_IDENTIFIERS)


def suite_metadata(outcome: SuiteOutcome, severity: str) -> dict[str, object]:
    """Per expectation: rule, unexpected count and percent, and where the first offenders are."""
    rows = []
    for e in outcome.expectations:
        if e.severity != severity:
            continue
        where = "; ".join(
            f"{s.get('_source_file')}:{s.get('_row_number')} "
            + ", ".join(f"{k}={v}" for k, v in s.items() if not k.startswith("_"))
            for s in e.samples
        )
        rows.append(
            (
                e.rule,
                e.expectation,
                e.unexpected,
                f"{e.unexpected_percent:.3f}",
                e.error or where,
            )
        )
    failed = outcome.failures(severity)
    first = next((e.samples[0] for e in failed if e.samples), None)
    return {
        "suite": outcome.suite,
        "rows_validated": outcome.rows,
        "batches": outcome.batches,
        "validation_seconds": round(outcome.seconds, 3),
        "failed_expectations": len(failed),
        "unexpected_values": sum(e.unexpected for e in failed),
        "failed_rules": ", ".join(f"{e.rule} ({e.unexpected})" for e in failed) or "none",
        "first_offender": (
            f"{first.get('_source_file')}:{first.get('_row_number')}" if first else "none"
        ),
        "expectations": dg.MetadataValue.md(
            catalog.markdown_table(
                ["rule", "expectation", "unexpected", "unexpected %", "sample (file:row value)"],
                rows,
            )
        ),
    }


# ---- raw -------------------------------------------------------------------------------------


def raw_check_results(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    loads: list[DeliveryLoad],
    loaded_at: object,
    cx_settings: CxSettings,
) -> list[dg.AssetCheckResult]:
    return [
        _quarantine_share(con, entity, loads, loaded_at, cx_settings),
        _reconciliation(con, entity, loads, loaded_at),
        _raw_contract_rules(con, entity, loaded_at, cx_settings),
        _delivery_volume(con, entity),
    ]


def _quarantine_share(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    loads: list[DeliveryLoad],
    loaded_at: object,
    cx_settings: CxSettings,
) -> dg.AssetCheckResult:
    # Rows an adapter's filter leaves out on purpose (rules 'filtered:...') are not faults.
    threshold = cx_settings.quarantine_block_share
    rows = [
        (
            str(d.day),
            d.rows_read,
            d.rows_quarantined,
            (d.rows_quarantined - d.rows_filtered) / d.rows_read,
            d.rows_quarantined - d.rows_filtered,
        )
        for d in loads
        if d.rows_read
    ]
    over = [r for r in rows if r[3] > threshold]
    # A share over the threshold blocks only with enough rows behind it: one junk row in a
    # delivery of nine is a warning, not a reason to stop the day.
    blocking = [r for r in over if r[4] >= cx_settings.quarantine_block_min_rows]
    rules = execute(
        con,
        f"""
        SELECT rule, count(*) AS rows FROM (
            SELECT unnest(broken_rules) AS rule FROM quarantine.{entity.name}
            WHERE _loaded_at = $loaded_at
        ) GROUP BY rule ORDER BY rows DESC, rule
        """,
        loaded_at=loaded_at,
    ).fetchall()
    sample = execute(
        con,
        f"""
        SELECT _source_file, _row_number, array_to_string(broken_rules, ', '),
               {_shown(entity.key, "record->>$key")}
        FROM quarantine.{entity.name} WHERE _loaded_at = $loaded_at
        ORDER BY _source_file, _row_number LIMIT {SAMPLE_ROWS}
        """,
        loaded_at=loaded_at,
        key=entity.key,
    ).fetchall()
    return _result(
        "quarantine_share",
        not over,
        hard=bool(blocking) or not over,
        metadata={
            "threshold_pct": round(100 * threshold, 3),
            "block_min_rows": cx_settings.quarantine_block_min_rows,
            "deliveries_over_threshold": len(over),
            "deliveries_blocking": len(blocking),
            "rules": ", ".join(f"{rule} ({n})" for rule, n in rules) or "none",
            "rows_quarantined": sum(r[2] for r in rows),
            "deliveries": dg.MetadataValue.md(
                catalog.markdown_table(
                    ["delivery", "rows read", "quarantined", "share %"],
                    [(d, n, q, f"{100 * s:.2f}") for d, n, q, s, _ in rows],
                )
            ),
            "broken_rules": dg.MetadataValue.md(
                catalog.markdown_table(["rule", "rows"], rules) if rules else "none"
            ),
            "sample": dg.MetadataValue.md(
                catalog.markdown_table(["file", "row", "rules", entity.key], sample)
                if sample
                else "none"
            ),
        },
    )


def _reconciliation(
    con: duckdb.DuckDBPyConnection, entity: Entity, loads: list[DeliveryLoad], loaded_at: object
) -> dg.AssetCheckResult:
    rows = execute(
        con,
        f"""
        WITH in_raw AS (
            SELECT _source_file, count(*) AS n FROM raw.{entity.name}
            WHERE _loaded_at = $loaded_at GROUP BY ALL
        ),
        in_quarantine AS (
            SELECT _source_file, count(*) AS n FROM quarantine.{entity.name}
            WHERE _loaded_at = $loaded_at GROUP BY ALL
        )
        SELECT a.source_file, a.rows_read, a.rows_loaded, a.rows_quarantined,
               coalesce(a.rows_erased, 0) AS rows_erased,
               coalesce(r.n, 0) AS in_raw, coalesce(q.n, 0) AS in_quarantine
        FROM audit.loads AS a
        LEFT JOIN in_raw AS r ON r._source_file = a.source_file
        LEFT JOIN in_quarantine AS q ON q._source_file = a.source_file
        WHERE list_contains($load_ids, a.load_id)
        ORDER BY a.source_file
        """,
        loaded_at=loaded_at,
        load_ids=[d.load_id for d in loads],
    ).fetchall()
    # read = loaded + quarantined + erased; raw keeps all but the erased; quarantine its share.
    broken = [r for r in rows if r[1] != r[2] + r[3] + r[4] or r[5] != r[1] - r[4] or r[6] != r[3]]
    files_expected = sum(len(d.files) for d in loads)
    return _result(
        "reconciliation",
        not broken and len(rows) == files_expected,
        hard=True,
        metadata={
            "files": len(rows),
            "rows_read": sum(r[1] for r in rows),
            "rows_loaded": sum(r[2] for r in rows),
            "rows_quarantined": sum(r[3] for r in rows),
            "rows_erased": sum(r[4] for r in rows),
            "files_not_reconciled": len(broken) + files_expected - len(rows),
            "per_file": dg.MetadataValue.md(
                catalog.markdown_table(
                    ["file", "read", "loaded", "quarantined", "erased", "in raw", "in quarantine"],
                    rows,
                )
            ),
        },
    )


def _raw_contract_rules(
    con: duckdb.DuckDBPyConnection, entity: Entity, loaded_at: object, cx_settings: CxSettings
) -> dg.AssetCheckResult:
    """GX re-reads the delivered text as an independent second opinion on the quarantine. The
    quarantine has already applied the same rules in SQL to every row, so GX reads every
    quarantined row and every stride-th row of each file besides (CX_RAW_VALIDATION_SAMPLE_ROWS;
    0 = all rows), which keeps its cost flat however big a delivery is. The sample is a filter
    on the row number and the quarantined rows a second, joined query: DuckDB then reads the
    other columns of the chosen rows only (a hash of the row, or an OR with the quarantine,
    made it read every column of every row: 10 s of 4 M events, against 0.4 s)."""
    columns = ", ".join(quote(c.name) for c in entity.columns)
    loaded = scalar(
        con,
        f"SELECT count(*) FROM raw.{entity.name} WHERE _loaded_at = $loaded_at",
        loaded_at=loaded_at,
    )
    sample = cx_settings.raw_validation_sample_rows
    stride = max(1, -(-loaded // sample)) if sample else 1
    outcome = validate_query(
        con,
        raw_suite(entity),
        f"""
        SELECT {columns}, r._source_file, r._row_number FROM raw.{entity.name} AS r
        WHERE r._loaded_at = $loaded_at AND r._row_number % $stride = 0
        UNION ALL
        SELECT {columns}, r._source_file, r._row_number FROM raw.{entity.name} AS r
        SEMI JOIN quarantine.{entity.name} AS q
            ON q._source_file = r._source_file AND q._row_number = r._row_number
        WHERE r._loaded_at = $loaded_at AND r._row_number % $stride <> 0
        """,
        {"loaded_at": loaded_at, "stride": stride},
        batch_rows=cx_settings.validation_batch_rows,
        masked_columns=_masked(entity),
    )
    metadata = suite_metadata(outcome, SOFT)
    metadata["rows_loaded"] = loaded
    metadata["sampled"] = stride > 1
    return _result(
        "contract_rules",
        not outcome.failures(SOFT),
        hard=False,
        metadata=metadata,
    )


def _delivery_volume(con: duckdb.DuckDBPyConnection, entity: Entity) -> dg.AssetCheckResult:
    """Rows of the latest load of each of the last seven deliveries, from audit.loads (an empty
    delivery has no raw rows, but it has its audit row)."""
    per_delivery = execute(
        con,
        """
        SELECT delivery_date, rows FROM (
            SELECT delivery_date, load_id, sum(rows_read) AS rows, max(finished_at) AS finished
            FROM audit.loads WHERE entity = $entity GROUP BY ALL
        )
        QUALIFY row_number() OVER (PARTITION BY delivery_date ORDER BY finished DESC) = 1
        ORDER BY delivery_date DESC LIMIT 7
        """,
        entity=entity.qualified_name,
    ).fetchall()
    problem = None
    if entity.delivery == "snapshot" and len(per_delivery) >= 2:
        (_, latest), (_, previous) = per_delivery[0], per_delivery[1]
        if previous and not SNAPSHOT_SHRINK <= latest / previous <= SNAPSHOT_GROWTH:
            problem = f"latest snapshot has {latest} rows, the previous one {previous}"
    elif entity.delivery == "events" and not entity.optional and per_delivery[:1]:
        problem = "the latest delivery is empty" if per_delivery[0][1] == 0 else None
    return _result(
        "delivery_volume",
        problem is None,
        hard=False,
        metadata={
            "problem": problem or "none",
            "rows_per_delivery": dg.MetadataValue.md(
                catalog.markdown_table(["delivery", "rows"], per_delivery)
            ),
        },
    )


# ---- staging ---------------------------------------------------------------------------------


def staging_check_results(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    table: str,
    cx_settings: CxSettings,
    rows_after: int | None = None,
) -> list[dg.AssetCheckResult]:
    """Checks of a staging candidate `table` (schema.name), before it replaces staging. For an
    incremental build the candidate holds the changed keys only, and `rows_after` is what the
    table will hold once they are merged in."""
    suite = staging_suite(entity)
    outcome = validate_query(
        con,
        suite,
        _staging_validation_sql(entity, table, columns_read(suite)),
        batch_rows=cx_settings.validation_batch_rows,
        masked_columns=_masked(entity),
    )
    return [
        _result(
            "contract_rules",
            not outcome.failures(HARD),
            hard=True,
            metadata=suite_metadata(outcome, HARD),
        ),
        _unique_key(con, entity, table),
        _not_empty(con, entity, table, rows_after),
        _result(
            "timestamps_not_in_future",
            not outcome.failures(SOFT),
            hard=False,
            metadata=suite_metadata(outcome, SOFT),
        ),
        _references(con, entity, table),
    ]


def _staging_validation_sql(entity: Entity, table: str, read: set[str]) -> str:
    """The rows with the columns the suite reads (`read`), and the index columns."""
    # Decimals go to pandas as DOUBLE: GX compares them with float bounds.
    columns = [
        f"CAST({quote(c.name)} AS DOUBLE) AS {quote(c.name)}"
        if c.type == "decimal"
        else quote(c.name)
        for c in entity.columns
        if c.name in read
    ]
    # "The future" allows a day past the delivery day, for extracts cut in another timezone.
    if DELIVERED_BY in read:
        columns.append(f"CAST(_delivery_date AS TIMESTAMPTZ) + INTERVAL 2 DAY AS {DELIVERED_BY}")
    return f"SELECT {', '.join([*columns, '_source_file', '_row_number'])} FROM {table}"


def _unique_key(con: duckdb.DuckDBPyConnection, entity: Entity, table: str) -> dg.AssetCheckResult:
    key = quote(entity.key)
    duplicates = con.execute(
        f"""
        SELECT {_shown(entity.key, key)}, count(*) AS rows FROM {table}
        GROUP BY {key} HAVING count(*) > 1 ORDER BY rows DESC LIMIT {SAMPLE_ROWS}
        """
    ).fetchall()
    count = scalar(
        con,
        f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY ALL HAVING count(*) > 1)",
    )
    nulls = scalar(con, f"SELECT count(*) FROM {table} WHERE {key} IS NULL")
    return _result(
        "unique_key",
        count == 0 and nulls == 0,
        hard=True,
        metadata={
            "key": entity.key,
            "duplicated_keys": count,
            "null_keys": nulls,
            "sample": dg.MetadataValue.md(
                catalog.markdown_table([entity.key, "rows"], duplicates) if duplicates else "none"
            ),
        },
    )


def _not_empty(
    con: duckdb.DuckDBPyConnection, entity: Entity, table: str, rows_after: int | None
) -> dg.AssetCheckResult:
    rows = scalar(con, f"SELECT count(*) FROM {table}") if rows_after is None else rows_after
    return _result(
        "not_empty",
        rows > 0 or entity.optional,
        hard=True,
        metadata={"rows": rows, "optional_entity": entity.optional},
    )


def referenced_entities(entity: Entity) -> list[str]:
    """Entities whose staging table this one's references point at (its staging deps)."""
    names = {c.references.split(".")[0] for c in entity.columns if c.references}
    return sorted(n for n in names if n != entity.name)


def _references(con: duckdb.DuckDBPyConnection, entity: Entity, table: str) -> dg.AssetCheckResult:
    rows = []
    for c in entity.columns:
        if not c.references:
            continue
        parent, parent_column = c.references.split(".")
        if not table_exists(con, "staging", parent):
            rows.append((c.name, c.references, 0, f"not checked: staging.{parent} not built yet"))
            continue
        orphans, sample = con.execute(
            f"""
            SELECT count(*), list(DISTINCT {_shown(c.name, f"t.{quote(c.name)}")})[:{SAMPLE_ROWS}]
            FROM {table} AS t
            WHERE t.{quote(c.name)} IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM staging.{parent} AS p
                WHERE p.{quote(parent_column)} = t.{quote(c.name)}
            )
            """
        ).fetchone()
        rows.append((c.name, c.references, orphans, ", ".join(sample or [])))
    return _result(
        "references",
        all(r[2] == 0 for r in rows),
        hard=False,
        metadata={
            "orphan_rows": sum(r[2] for r in rows),
            "per_reference": dg.MetadataValue.md(
                catalog.markdown_table(["column", "refers to", "orphan rows", "sample ids"], rows)
                if rows
                else "no references"
            ),
        },
    )
