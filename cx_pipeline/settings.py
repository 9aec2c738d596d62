"""Every setting cx-pipeline reads from the environment, with its default, in one place.

Resources are built from these (see `resources.py`); nothing else reads `os.environ`. Each
setting knows the form it expects, so a typo stops a run before anything is written instead of
surfacing in the marts, or in a retry loop, minutes later.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

# Parses a value; raises ValueError with the form it expected.
Parse = Callable[[str], object]


class SettingsError(ValueError):
    """One or more settings hold values cx-pipeline cannot use; the message names each."""


def _anything(value: str) -> str:
    return value


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    description: str
    parse: Parse = _anything

    def value(self) -> str:
        return os.environ.get(self.env) or self.default

    def is_set(self) -> bool:
        return bool(os.environ.get(self.env))

    def problem(self) -> str | None:
        """One line naming the setting, its bad value and the form expected; None if valid."""
        value = self.value()
        try:
            self.parse(value)
        except ValueError as e:
            return f"{self.env}={value!r}: {e}"
        return None


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("expected a date as YYYY-MM-DD, e.g. 2026-10-31") from None


def _optional_date(value: str) -> dt.date | None:
    return _date(value) if value else None


def _partitions_start(value: str) -> dt.date | None:
    if value == "auto":
        return None
    try:
        return _date(value)
    except ValueError:
        raise ValueError("expected 'auto' or a date as YYYY-MM-DD") from None


def _count(value: str) -> int:
    if not re.fullmatch(r"\d+", value.strip()):
        raise ValueError("expected a whole number, 0 or more")
    return int(value)


def _positive(value: str) -> int:
    if _count(value) < 1:
        raise ValueError("expected a whole number, 1 or more")
    return int(value)


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise ValueError("expected a share between 0 and 1, e.g. 0.05")
    return share


def _amount(value: str) -> float:
    try:
        amount = float(value)
    except ValueError:
        amount = -1.0
    if amount < 0:
        raise ValueError("expected an amount, 0 or more, e.g. 10000")
    return amount


def _flag(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueError("expected 'true' or 'false'")
    return value.lower() == "true"


def _one_of(*options: str) -> Parse:
    def parse(value: str) -> str:
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return value

    return parse


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("expected an ISO 4217 currency code of three capital letters, e.g. USD")
    return value


# DuckDB's units: K(B), M(B), G(B), T(B) are powers of 1000, KiB, MiB, GiB, TiB of 1024.
_MEMORY = re.compile(r"\s*(\d+\.?\d*|\.\d+)\s*(bytes?|b|[kmgt]ib|[kmgt]b?)\s*", re.IGNORECASE)
_UNITS = {"b": 1, "byte": 1, "bytes": 1}
_UNITS |= {f"{u}{b}": 1000 ** (i + 1) for i, u in enumerate("kmgt") for b in ("", "b")}
_UNITS |= {f"{u}ib": 1024 ** (i + 1) for i, u in enumerate("kmgt")}
# Less is no run at all: DuckDB needs some memory for each thread (and gets half, see resources).
MIN_MEMORY_LIMIT = 256 * 1000**2


def memory_bytes(value: str) -> int | None:
    """An amount of memory as DuckDB writes it (4GB, 2500MB, 3GiB, 4G) in bytes; None for
    DuckDB's "no limit" ('none', '-1')."""
    if value.strip().lower() in ("none", "-1"):
        return None
    match = _MEMORY.fullmatch(value)
    if not match:
        raise ValueError("expected an amount of memory, e.g. 4GB, 2500MB or 3GiB")
    return int(float(match[1]) * _UNITS[match[2].lower()])


def _memory(value: str) -> str:
    """DuckDB's own parser decides what is valid; the process's share needs the bytes too."""
    import duckdb

    try:
        duckdb.connect(":memory:", config={"memory_limit": value}).close()
        amount = memory_bytes(value)
    except (duckdb.Error, ValueError):
        raise ValueError(
            "expected an amount of memory as DuckDB reads it, e.g. 4GB, 2500MB or 3GiB"
        ) from None
    if amount is not None and amount < MIN_MEMORY_LIMIT:
        raise ValueError("expected at least 256MB: a run needs more than that")
    return value


def _memory_reserve(value: str) -> str:
    if memory_bytes(value) is None:
        raise ValueError("expected an amount of memory, e.g. 1GB or 800MB")
    return value


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str:
    if value not in _timezones():
        close = difflib.get_close_matches(value, sorted(_timezones()), n=3)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        raise ValueError(f"expected an IANA timezone name such as UTC or Europe/Berlin{hint}")
    return value


def _cron(value: str) -> str:
    fields = value.split()
    if len(fields) != 5 or not all(re.fullmatch(r"[0-9A-Za-z*/,?-]+", f) for f in fields):
        raise ValueError("expected a cron expression of 5 fields, e.g. '0 6 * * *'")
    return value


def _names(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names or not all(re.fullmatch(r"[\w.:/ -]+", n) for n in names):
        raise ValueError(
            "expected event names (letters, digits, spaces and _ . : / -), comma-separated"
        )
    return names


def _regions(value: str) -> list[str]:
    """Country codes; whether libphonenumber knows each is checked where it is first used
    (privacy/contact_details.py), so reading the settings imports no phone library."""
    codes = [c.strip().upper() for c in value.split(",") if c.strip()]
    if not codes or not all(re.fullmatch(r"[A-Z]{2}", c) for c in codes):
        raise ValueError(
            "expected ISO 3166 two-letter country codes, comma-separated, e.g. US,GB,DE"
        )
    return codes


def _persona_count(value: str) -> int:
    """'auto' is 0."""
    if value == "auto":
        return 0
    if not re.fullmatch(r"\d+", value.strip()) or int(value) < 2:
        raise ValueError("expected 'auto' or a whole number, 2 or more")
    return int(value)


def _milestones(value: str) -> list[str]:
    names = _names(value)
    bad = [n for n in names if ":" in n and not re.fullmatch(r"active_users:[1-9]\d*", n)]
    if bad:
        raise ValueError(f"expected active_users:N with N 1 or more, not {', '.join(bad)}")
    return names


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
    "auto",
    "First delivery day (YYYY-MM-DD) that exists as a daily partition; 'auto' (default) starts "
    "at the oldest delivery folder under the extract root, so the partitions cover the data.",
    parse=_partitions_start,
)
SENSOR_SETTLE_SECONDS = Setting(
    "CX_SENSOR_SETTLE_SECONDS",
    "60",
    "The delivery sensor waits until a day's newest file is this old (still being copied?).",
    parse=_count,
)
RUN_SETTLE_SECONDS = Setting(
    "CX_RUN_SETTLE_SECONDS",
    "5",
    "`cx-pipeline run` starts once the files of the days it loads have not changed for this "
    "long (a copy still in progress would load half a row); 0 starts at once.",
    parse=_count,
)
RUN_SETTLE_WAIT_SECONDS = Setting(
    "CX_RUN_SETTLE_WAIT_SECONDS",
    "300",
    "How long `cx-pipeline run` waits for files that keep changing before it refuses to run, "
    "naming them (exit 2).",
    parse=_count,
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
    parse=_one_of("in_process", "multiprocess", "celery", "dask"),
)
WORKERS = Setting(
    "CX_WORKERS",
    "2",
    "Steps at once for multiprocess, and worker processes of the local Dask cluster.",
    parse=_positive,
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
    parse=_one_of("masked", "clear"),
)
LOCK_WAIT_SECONDS = Setting(
    "CX_LOCK_WAIT_SECONDS",
    "900",
    "How long a writer waits for another process to release the DuckDB file (or DuckDB-file "
    "catalog) before failing; the cx_warehouse pool normally keeps writers apart already.",
    parse=_count,
)
MEMORY_LIMIT = Setting(
    "CX_MEMORY_LIMIT",
    "4GB",
    "The memory a pipeline process may use: DuckDB's memory_limit is this less "
    "CX_MEMORY_RESERVE (at least half of it), over 1.25 for what DuckDB holds past its limit.",
    parse=_memory,
)
MEMORY_RESERVE = Setting(
    "CX_MEMORY_RESERVE",
    "1GB",
    "What a pipeline process keeps of CX_MEMORY_LIMIT outside DuckDB: Python, Dagster, Great "
    "Expectations and the model fits (benchmarks/RESULTS.md measures them per step).",
    parse=_memory_reserve,
)
TEMP_DIRECTORY = Setting(
    "CX_TEMP_DIRECTORY",
    "",
    "Where DuckDB spills; default: '<warehouse>.tmp' beside the file.",
)
TIMEZONE = Setting(
    "CX_TIMEZONE",
    "UTC",
    "Reporting timezone: days, months and quarters are calendar periods in it.",
    parse=_timezone,
)
AS_OF = Setting(
    "CX_AS_OF",
    "",
    "As-of date (YYYY-MM-DD) for churn and segments; default: the latest delivery day loaded.",
    parse=_optional_date,
)
LOW_SAMPLE = Setting(
    "CX_LOW_SAMPLE_RESPONSES",
    "30",
    "NPS cells with fewer responses are flagged low_sample.",
    parse=_count,
)
BENCHMARK_AUDIENCE = Setting(
    "CX_BENCHMARK_AUDIENCE",
    "B2B",
    "Who the company sells to: its NPS and churn are compared like for like only with "
    "reference figures of this audience (B2B or B2C).",
    parse=_one_of("B2B", "B2C"),
)
BENCHMARK_SURVEY_TYPE = Setting(
    "CX_BENCHMARK_SURVEY_TYPE",
    "relationship",
    "Which NPS is compared with the benchmarks: 'relationship' (the answers to relationship "
    "surveys, touchpoint 'relationship') or 'transactional' (the answers at every other "
    "touchpoint); NPS references of the other type are not compared.",
    parse=_one_of("relationship", "transactional"),
)
BENCHMARK_INDUSTRY = Setting(
    "CX_BENCHMARK_INDUSTRY",
    "Technology",
    "The company's own industry as named in the reference file: the company-wide figures are "
    "compared with cross-industry references ('all') and with references for this industry.",
)
MID_MARKET_FROM = Setting(
    "CX_TIER_MID_MARKET_FROM",
    "10000",
    "ARR at which an account becomes mid-market.",
    parse=_amount,
)
ENTERPRISE_FROM = Setting(
    "CX_TIER_ENTERPRISE_FROM",
    "100000",
    "ARR at which an account becomes enterprise.",
    parse=_amount,
)
REPORTING_CURRENCY = Setting(
    "CX_REPORTING_CURRENCY",
    "USD",
    "Currency (ISO 4217) the revenue marts report in: subscriptions in another currency are "
    "converted with <reference_root>/exchange_rates.csv.",
    parse=_currency,
)
FUNNEL_STEPS = Setting(
    "CX_FUNNEL_STEPS",
    "signup,onboarding_completed,first_report_created,report_created",
    "The journey funnel: event names in order, comma-separated.",
    parse=_names,
)
PERSONAS = Setting(
    "CX_PERSONAS",
    "auto",
    "How many behavioural personas marts.contact_personas finds: 'auto' (default) picks 2-8 by "
    "the mean silhouette, or a whole number of 2 or more.",
    parse=_persona_count,
)
ONBOARDING_MILESTONES = Setting(
    "CX_ONBOARDING_MILESTONES",
    "any_event,onboarding_completed,first_report_created,user_invited,integration_connected,"
    "active_users:3",
    "The product's onboarding milestones, comma-separated: an event name (the account's first "
    "such event), any_event (its first event of any kind: the first login) or active_users:N "
    "(the day its N-th user was first seen).",
    parse=_milestones,
)
ONBOARDING_VALUE_MILESTONE = Setting(
    "CX_ONBOARDING_VALUE_MILESTONE",
    "first_report_created",
    "The milestone whose days from the account's start are its time to value (one of "
    "CX_ONBOARDING_MILESTONES).",
)
ONBOARDING_WINDOW_DAYS = Setting(
    "CX_ONBOARDING_WINDOW_DAYS",
    "14",
    "A milestone counts as reached early when reached within this many days of the account's "
    "start.",
    parse=_positive,
)
ONBOARDING_RETENTION_DAYS = Setting(
    "CX_ONBOARDING_RETENTION_DAYS",
    "180",
    "An account is retained when it is still a customer this many days after its start.",
    parse=_positive,
)
FOLLOWUP_REACH_DAYS = Setting(
    "CX_FOLLOWUP_REACH_DAYS",
    "2",
    "Closed loop: a detractor counts as reached in time when first reached within this many "
    "days (24-hour days) of their answer.",
    parse=_positive,
)
FOLLOWUP_RETENTION_DAYS = Setting(
    "CX_FOLLOWUP_RETENTION_DAYS",
    "90",
    "Closed loop: a followed-up account stayed when it is still a customer this many days after "
    "the answer followed up.",
    parse=_positive,
)
QUARANTINE_BLOCK_SHARE = Setting(
    "CX_QUARANTINE_BLOCK_SHARE",
    "0.05",
    "A delivery with a larger share of quarantined rows fails its raw check and blocks staging "
    "(if it also has CX_QUARANTINE_BLOCK_MIN_ROWS quarantined rows).",
    parse=_share,
)
QUARANTINE_BLOCK_MIN_ROWS = Setting(
    "CX_QUARANTINE_BLOCK_MIN_ROWS",
    "10",
    "A delivery blocks staging only with at least this many quarantined rows: one junk row in a "
    "delivery of nine warns instead of blocking.",
    parse=_count,
)
VALIDATION_BATCH_ROWS = Setting(
    "CX_VALIDATION_BATCH_ROWS",
    "200000",
    "Rows per batch handed to Great Expectations (bounds validation memory).",
    parse=_positive,
)
RAW_VALIDATION_SAMPLE_ROWS = Setting(
    "CX_RAW_VALIDATION_SAMPLE_ROWS",
    "100000",
    "Rows of each raw load that Great Expectations re-checks besides every quarantined row "
    "(the quarantine has applied the rules to all rows in SQL); 0 re-checks every row.",
    parse=_count,
)
RETENTION_DAYS = Setting(
    "CX_RETENTION_DAYS",
    "0",
    "Raw rows delivered more than this many days ago are purged by purge_expired; 0 keeps all.",
    parse=_count,
)
RETENTION_DELETE_EXTRACTS = Setting(
    "CX_RETENTION_DELETE_EXTRACTS",
    "false",
    "'true' also deletes expired delivery folders under the extract root.",
    parse=_flag,
)
SCHEDULE_CRON = Setting(
    "CX_SCHEDULE_CRON", "0 6 * * *", "When the daily run starts (cron).", parse=_cron
)
SCHEDULE_TIMEZONE = Setting(
    "CX_SCHEDULE_TIMEZONE",
    "UTC",
    "Timezone the daily schedule's cron is read in.",
    parse=_timezone,
)
PHONE_REGIONS = Setting(
    "CX_PHONE_REGIONS",
    "US,GB,DE,FR,ES,BR",
    "Countries whose national phone numbers (written without '+' or '00') are masked in free "
    "text, comma-separated ISO codes; default: the largest countries of the reporting data and "
    "of the languages the text analysis reads. A number with '+' or '00' is masked whatever its "
    "country; each region added costs time on texts with long numbers.",
    parse=_regions,
)
IDENTITY_PLUS_ADDRESSING = Setting(
    "CX_IDENTITY_PLUS_ADDRESSING",
    "true",
    "'true' matches jo+support@acme.com to jo@acme.com when resolving identities (RFC 5233 "
    "subaddressing); 'false' compares whole addresses.",
    parse=_flag,
)
IDENTITY_MATCH_FLOOR = Setting(
    "CX_IDENTITY_MATCH_FLOOR",
    "0.9",
    "Share of each entity's rows that must link to a contact; below it the "
    "identity_match_rates check fails (a broken join is seen the day it happens).",
    parse=_share,
)
FULL_REBUILD = Setting(
    "CX_FULL_REBUILD",
    "false",
    "'true' rebuilds what is otherwise maintained incrementally (staging of the event entities, "
    "marts.usage_daily, account_features and ticket_metrics, the serving file) in full from raw, "
    "recording that reason; 'false' (default): only what "
    "changed, and in full by itself after an erasure, a purge or a changed query or setting.",
    parse=_flag,
)

ALERTS_CONFIG = Setting(
    "CX_ALERTS_CONFIG",
    "",
    "TOML file naming who is told when a run fails, a check blocks, a quarantine share jumps, "
    "marts go stale or a metric moves (e-mail, Slack, JSON webhook; docs/alerts.md); empty "
    "(default): alerts are off.",
)
ALERTS_REPEAT_HOURS = Setting(
    "CX_ALERTS_REPEAT_HOURS",
    "24",
    "The same alert (same kind and subject) is sent at most once in this many hours.",
    parse=_positive,
)

ALL_SETTINGS: tuple[Setting, ...] = (
    EXTRACT_ROOT,
    SOURCES_FILE,
    PARTITIONS_START,
    SENSOR_SETTLE_SECONDS,
    RUN_SETTLE_SECONDS,
    RUN_SETTLE_WAIT_SECONDS,
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
    LOCK_WAIT_SECONDS,
    MEMORY_LIMIT,
    MEMORY_RESERVE,
    TEMP_DIRECTORY,
    TIMEZONE,
    AS_OF,
    LOW_SAMPLE,
    BENCHMARK_AUDIENCE,
    BENCHMARK_SURVEY_TYPE,
    BENCHMARK_INDUSTRY,
    MID_MARKET_FROM,
    ENTERPRISE_FROM,
    REPORTING_CURRENCY,
    FUNNEL_STEPS,
    PERSONAS,
    ONBOARDING_MILESTONES,
    ONBOARDING_VALUE_MILESTONE,
    ONBOARDING_WINDOW_DAYS,
    ONBOARDING_RETENTION_DAYS,
    FOLLOWUP_REACH_DAYS,
    FOLLOWUP_RETENTION_DAYS,
    QUARANTINE_BLOCK_SHARE,
    QUARANTINE_BLOCK_MIN_ROWS,
    VALIDATION_BATCH_ROWS,
    RAW_VALIDATION_SAMPLE_ROWS,
    RETENTION_DAYS,
    RETENTION_DELETE_EXTRACTS,
    PHONE_REGIONS,
    IDENTITY_PLUS_ADDRESSING,
    IDENTITY_MATCH_FLOOR,
    FULL_REBUILD,
    SCHEDULE_CRON,
    SCHEDULE_TIMEZONE,
    ALERTS_CONFIG,
    ALERTS_REPEAT_HOURS,
)


def problems() -> list[str]:
    """Every setting whose value cannot be used, one line each."""
    found = [p for s in ALL_SETTINGS if (p := s.problem()) is not None]
    if not found and ONBOARDING_VALUE_MILESTONE.value() not in _milestones(
        ONBOARDING_MILESTONES.value()
    ):
        found.append(
            f"{ONBOARDING_VALUE_MILESTONE.env}={ONBOARDING_VALUE_MILESTONE.value()!r}: expected "
            f"one of {ONBOARDING_MILESTONES.env} ({ONBOARDING_MILESTONES.value()})"
        )
    if not found and _amount(MID_MARKET_FROM.value()) > _amount(ENTERPRISE_FROM.value()):
        found.append(
            f"{ENTERPRISE_FROM.env}={ENTERPRISE_FROM.value()!r}: expected at least "
            f"{MID_MARKET_FROM.env} ({MID_MARKET_FROM.value()})"
        )
    return found


def require_valid() -> None:
    """Stop before anything is written when a setting is unusable."""
    found = problems()
    if found:
        raise SettingsError("invalid setting(s), nothing was run:\n  " + "\n  ".join(found))
