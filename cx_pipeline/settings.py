"""Every setting cx-pipeline reads from the environment, with its default, in one place.

Resources are built from these (see `resources.py`); nothing else reads `os.environ`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    description: str

    def value(self) -> str:
        return os.environ.get(self.env) or self.default

    def is_set(self) -> bool:
        return bool(os.environ.get(self.env))


EXTRACT_ROOT = Setting(
    "CX_EXTRACT_ROOT",
    "data/sample",
    "Folder holding the extracts as <source>/<YYYY-MM-DD>/<entity>.<ext>.",
)
SOURCES_FILE = Setting(
    "CX_SOURCES_FILE",
    "",
    "TOML file choosing each source's adapter (hubspot, zendesk...) or custom mapping; "
    "default: every source in the canonical format (docs/sources.md).",
)
PARTITIONS_START = Setting(
    "CX_PARTITIONS_START",
    "2024-01-01",
    "First delivery day (YYYY-MM-DD) that exists as a daily partition.",
)
SENSOR_SETTLE_SECONDS = Setting(
    "CX_SENSOR_SETTLE_SECONDS",
    "60",
    "The delivery sensor waits until a day's newest file is this old (still being copied?).",
)
REFERENCE_ROOT = Setting(
    "CX_REFERENCE_ROOT",
    "data/reference",
    "Folder of the reference tables (industry benchmarks).",
)
WAREHOUSE_PATH = Setting(
    "CX_WAREHOUSE",
    "data/warehouse/cx.duckdb",
    "The warehouse the pipeline writes: a DuckDB file (the default), or a DuckLake catalog as "
    "'ducklake:<catalog file>' (one writing process) or 'ducklake:postgres:dbname=... host=...' "
    "(many writers at once; docs/scale-out.md).",
)
DUCKLAKE_DATA_PATH = Setting(
    "CX_DUCKLAKE_DATA_PATH",
    "",
    "DuckLake only: the folder (or object-storage URL) its Parquet files go to; default "
    "'<catalog file>.files/', required with a PostgreSQL catalog.",
)
EXECUTOR = Setting(
    "CX_EXECUTOR",
    "in_process",
    "Where a run's steps execute: in_process (default), multiprocess, celery or dask "
    "(celery and dask need a DuckLake on a PostgreSQL catalog; docs/scale-out.md).",
)
WORKERS = Setting(
    "CX_WORKERS",
    "2",
    "Steps at once for multiprocess, and worker processes of the local Dask cluster.",
)
CELERY_BROKER = Setting(
    "CX_CELERY_BROKER",
    "redis://127.0.0.1:6379/0",
    "The Celery broker the celery executor and its workers share.",
)
CELERY_BACKEND = Setting(
    "CX_CELERY_BACKEND",
    "redis://127.0.0.1:6379/1",
    "The Celery result backend.",
)
DASK_SCHEDULER = Setting(
    "CX_DASK_SCHEDULER",
    "",
    "Address of a running Dask scheduler (tcp://host:8786); empty starts a local cluster of "
    "CX_WORKERS processes for each run.",
)
SERVING_PATH = Setting(
    "CX_SERVING_PATH",
    "data/warehouse/cx_serving.duckdb",
    "The read-only copy of the marts that BI tools open, replaced atomically on every run.",
)
REPORT_PATH = Setting(
    "CX_REPORT_PATH",
    "data/warehouse/cx_report.html",
    "The self-contained HTML CX report, rebuilt on every run.",
)
SERVING_PARQUET_DIR = Setting(
    "CX_SERVING_PARQUET_DIR",
    "",
    "If set, the marts are also exported there as Parquet, one file per table.",
)
SERVING_PERSONAL_DATA = Setting(
    "CX_SERVING_PERSONAL_DATA",
    "masked",
    "'masked' (default) hashes names and e-mails and masks them in free text in the serving "
    "file; 'clear' copies them as they are.",
)
LOCK_WAIT_SECONDS = Setting(
    "CX_LOCK_WAIT_SECONDS",
    "900",
    "How long a writer waits for another process to release the DuckDB file (or DuckDB-file "
    "catalog) before failing; the cx_warehouse pool normally keeps writers apart already.",
)
MEMORY_LIMIT = Setting("CX_MEMORY_LIMIT", "4GB", "DuckDB memory_limit for pipeline connections.")
TEMP_DIRECTORY = Setting(
    "CX_TEMP_DIRECTORY",
    "",
    "Where DuckDB spills; default: '<warehouse>.tmp' beside the file.",
)
TIMEZONE = Setting(
    "CX_TIMEZONE",
    "UTC",
    "Reporting timezone: days, months and quarters are calendar periods in it.",
)
AS_OF = Setting(
    "CX_AS_OF",
    "",
    "As-of date (YYYY-MM-DD) for churn and segments; default: the latest delivery day loaded.",
)
LOW_SAMPLE = Setting(
    "CX_LOW_SAMPLE_RESPONSES",
    "30",
    "NPS cells with fewer responses are flagged low_sample.",
)
MID_MARKET_FROM = Setting(
    "CX_TIER_MID_MARKET_FROM",
    "10000",
    "ARR at which an account becomes mid-market.",
)
ENTERPRISE_FROM = Setting(
    "CX_TIER_ENTERPRISE_FROM",
    "100000",
    "ARR at which an account becomes enterprise.",
)
FUNNEL_STEPS = Setting(
    "CX_FUNNEL_STEPS",
    "signup,onboarding_completed,first_report_created,report_created",
    "The journey funnel: event names in order, comma-separated.",
)
QUARANTINE_BLOCK_SHARE = Setting(
    "CX_QUARANTINE_BLOCK_SHARE",
    "0.05",
    "A delivery with a larger share of quarantined rows fails its raw check and blocks staging.",
)
VALIDATION_BATCH_ROWS = Setting(
    "CX_VALIDATION_BATCH_ROWS",
    "200000",
    "Rows per batch handed to Great Expectations (bounds validation memory).",
)
RAW_VALIDATION_SAMPLE_ROWS = Setting(
    "CX_RAW_VALIDATION_SAMPLE_ROWS",
    "100000",
    "Rows of each raw load that Great Expectations re-checks besides every quarantined row "
    "(the quarantine has applied the rules to all rows in SQL); 0 re-checks every row.",
)
RETENTION_DAYS = Setting(
    "CX_RETENTION_DAYS",
    "0",
    "Raw rows delivered more than this many days ago are purged by purge_expired; 0 keeps all.",
)
RETENTION_DELETE_EXTRACTS = Setting(
    "CX_RETENTION_DELETE_EXTRACTS",
    "false",
    "'true' also deletes expired delivery folders under the extract root.",
)
SCHEDULE_CRON = Setting("CX_SCHEDULE_CRON", "0 6 * * *", "When the daily run starts (cron).")
SCHEDULE_TIMEZONE = Setting(
    "CX_SCHEDULE_TIMEZONE",
    "UTC",
    "Timezone the daily schedule's cron is read in.",
)
IDENTITY_PLUS_ADDRESSING = Setting(
    "CX_IDENTITY_PLUS_ADDRESSING",
    "true",
    "'true' matches jo+support@acme.com to jo@acme.com when resolving identities (RFC 5233 "
    "subaddressing); 'false' compares whole addresses.",
)
IDENTITY_MATCH_FLOOR = Setting(
    "CX_IDENTITY_MATCH_FLOOR",
    "0.9",
    "Share of each entity's rows that must link to a contact; below it the "
    "identity_match_rates check fails (a broken join is seen the day it happens).",
)

ALL_SETTINGS: tuple[Setting, ...] = (
    EXTRACT_ROOT,
    SOURCES_FILE,
    PARTITIONS_START,
    SENSOR_SETTLE_SECONDS,
    REFERENCE_ROOT,
    WAREHOUSE_PATH,
    DUCKLAKE_DATA_PATH,
    EXECUTOR,
    WORKERS,
    CELERY_BROKER,
    CELERY_BACKEND,
    DASK_SCHEDULER,
    SERVING_PATH,
    REPORT_PATH,
    SERVING_PARQUET_DIR,
    SERVING_PERSONAL_DATA,
    MEMORY_LIMIT,
    TEMP_DIRECTORY,
    TIMEZONE,
    AS_OF,
    LOW_SAMPLE,
    MID_MARKET_FROM,
    ENTERPRISE_FROM,
    FUNNEL_STEPS,
    QUARANTINE_BLOCK_SHARE,
    VALIDATION_BATCH_ROWS,
    RAW_VALIDATION_SAMPLE_ROWS,
    RETENTION_DAYS,
    RETENTION_DELETE_EXTRACTS,
    IDENTITY_PLUS_ADDRESSING,
    IDENTITY_MATCH_FLOOR,
    SCHEDULE_CRON,
    SCHEDULE_TIMEZONE,
)
