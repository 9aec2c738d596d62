"""The resources every asset gets: the warehouse, the extract store and the business settings.

The warehouse is the one place that opens DuckDB: assets ask it for a connection and never open
paths themselves, so the same SQL runs against the DuckDB file or a DuckLake catalog
(`CX_WAREHOUSE`, see ducklake.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources as package_files
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field, PrivateAttr

from cx_pipeline import ducklake, migrations, settings, text
from cx_pipeline.contract import Entity
from cx_pipeline.privacy.contact_details import register as register_contact_details
from cx_pipeline.readers import Reader
from cx_pipeline.sql import literal, quote, table_exists

SCHEMAS = ("raw", "quarantine", "audit", "staging", "marts")
# DuckDB's message when another process holds the file; the only error worth waiting out.
FILE_LOCKED = "Could not set lock on file"
# Warehouses this process has already brought to this release's schema version.
_UPGRADED: set[str] = set()
RULES_SQL = package_files.files("cx_pipeline").joinpath("rules.sql").read_text()


# The same rules kept in a DuckDB file: creating the 54 macros took as long as opening the
# file, and every step of a run opens one. One more macro says which rules the file holds: their
# digest, and their names (so a later release drops only the macros it wrote, never a user's).
RULES_DIGEST = hashlib.sha256(RULES_SQL.encode()).hexdigest()[:16]
RULE_NAMES = tuple(re.findall(r"CREATE OR REPLACE TEMP MACRO (\w+)", RULES_SQL))
STORED_RULES_SQL = RULES_SQL.replace("CREATE OR REPLACE TEMP MACRO", "CREATE OR REPLACE MACRO")
STORED_RULES_MACRO = "cx_rules_stored"


def install_rules(
    con: duckdb.DuckDBPyConnection,
    phone_regions: str = settings.PHONE_REGIONS.default,
    store: bool = False,
    functions: bool = True,
) -> None:
    """The business rules on a connection: the Python functions some macros call (which must
    exist before the macros are created; `functions=False` where a longer-lived connection to
    the same database created them), then rules.sql's macros. Where the file already holds
    this release's macros they are used as they are; `store` (a DuckDB file opened for
    writing) writes them into the file for the next connections, else they are temporary."""
    if functions:
        register_contact_details(con, phone_regions)
        text.register(con)
    stored = stored_rules(con)
    if stored is not None and stored[0] == RULES_DIGEST:
        return
    if not store:
        con.execute(RULES_SQL)
        return
    con.execute("BEGIN TRANSACTION")
    try:
        # A rule an earlier release stored and this one dropped must not linger.
        for name in set(stored[1] if stored else ()) - set(RULE_NAMES):
            con.execute(f"DROP MACRO IF EXISTS main.{quote(name)}")
        con.execute(STORED_RULES_SQL)
        names = ", ".join(literal(name) for name in RULE_NAMES)
        con.execute(
            f"CREATE OR REPLACE MACRO main.{STORED_RULES_MACRO}() AS "
            f"{{'digest': {literal(RULES_DIGEST)}, 'macros': [{names}]}}"
        )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")  # a failed commit leaves nothing to roll back


def stored_rules(con: duckdb.DuckDBPyConnection) -> tuple[str, list[str]] | None:
    """The digest and names of the rules the file holds as macros; None when it holds none (a
    file of a release before they were kept, or a lake, whose catalog keeps no macros)."""
    try:
        (stored,) = con.execute(f"SELECT {STORED_RULES_MACRO}()").fetchone()
    except duckdb.CatalogException:
        return None
    return stored["digest"], stored["macros"]


# DuckDB's resident memory runs past its memory_limit by about a fifth (allocations outside
# its buffer pool): at large and large2x, steps under a 3 GB limit rose 3.37 GiB, 1.21 times it.
DUCKDB_OVERSHOOT = 1.25


def duckdb_memory_limit(limit: str, reserve: str) -> str:
    """DuckDB's share of the process's memory: DuckDB bounds only its own buffers, and not
    quite, so the setting is a ceiling for the whole process only once the rest is set aside
    and DuckDB's overshoot allowed for."""
    total = settings.memory_bytes(limit)
    if total is None:  # no limit: nothing to share
        return limit
    set_aside = settings.memory_bytes(reserve) or 0
    share = max(total - set_aside, total // 2) / DUCKDB_OVERSHOOT
    return f"{int(share) // 2**20}MiB"


def setting_field(setting: settings.Setting, kind: type = str) -> Any:
    """A resource field with the setting's default and description: one source for both."""
    default = setting.default if kind is str else kind(setting.parse(setting.default))
    return Field(default=default, description=setting.description)


class Warehouse(DuckDBResource):
    """The warehouse: a DuckDB file, or a DuckLake catalog (`database="ducklake:<catalog>"`),
    opened with bounded memory and the business-rule macros."""

    memory_limit: str = setting_field(settings.MEMORY_LIMIT)
    memory_reserve: str = setting_field(settings.MEMORY_RESERVE)
    temp_directory: str = setting_field(settings.TEMP_DIRECTORY)
    data_path: str = setting_field(settings.DUCKLAKE_DATA_PATH)
    lock_wait_seconds: int = setting_field(settings.LOCK_WAIT_SECONDS, int)
    phone_regions: str = setting_field(settings.PHONE_REGIONS)

    @property
    def lake(self) -> ducklake.Lake | None:
        """The DuckLake this warehouse is, or None for a DuckDB file."""
        return ducklake.parse(self.database, self.data_path)

    @property
    def single_writer(self) -> bool:
        """Only one process may write at a time (a DuckDB file or a DuckDB-file catalog)."""
        lake = self.lake
        return lake is None or lake.single_writer

    @property
    def location(self) -> str:
        """Where the warehouse is, for people (never with a PostgreSQL password in it)."""
        lake = self.lake
        if lake is None:
            return str(Path(self.database).resolve())
        if lake.catalog_file is not None:
            return f"DuckLake, catalog {lake.catalog_file.resolve()}, data {lake.files()}"
        return f"DuckLake, PostgreSQL catalog, data {lake.files()}"

    @contextmanager
    def get_connection(
        self, read_only: bool = False, wait: bool = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection; `wait=False` raises at once while another process holds the file
        (a sensor tries again at its next tick instead of stalling, or stalling a run)."""
        lake = self.lake
        config: dict[str, Any] = {
            "memory_limit": duckdb_memory_limit(self.memory_limit, self.memory_reserve),
            # Row order is never relied on by the marts; dropping it bounds memory on big loads.
            "preserve_insertion_order": False,
            **self.connection_config,
        }
        con = self._open(lake, config, read_only, wait)
        try:
            # Naive timestamps in extracts are UTC; ICU is built in and loaded on first use.
            con.execute("SET TimeZone = 'UTC'")
            if not read_only:
                # Only the missing ones: on a shared lake, a write is a snapshot to commit.
                existing = {
                    name
                    for (name,) in con.execute(
                        "SELECT schema_name FROM duckdb_schemas() "
                        "WHERE database_name = current_database()"
                    ).fetchall()
                }
                for schema in SCHEMAS:
                    if schema not in existing:
                        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                self._upgrade_once(con)
            else:
                migrations.refuse_newer(con)
            install_rules(
                con,
                self.phone_regions,
                store=lake is None and not read_only,
                functions=self._own_functions(),
            )
            yield con
        finally:
            con.close()

    def _own_functions(self) -> bool:
        """Does each connection create the Python functions it calls? Yes, since each step's
        connection is the only one open on the database."""
        return True

    def _upgrade_once(self, con: duckdb.DuckDBPyConnection) -> None:
        """Bring the warehouse to this release's schema version, the first time this process
        writes to it (migrations/)."""
        # Once a process has upgraded the warehouse, the version table is all there is to check
        # (a test or a run may have deleted the file and started a new one since).
        if self.database in _UPGRADED and table_exists(con, "audit", "schema_versions"):
            return
        applied = migrations.upgrade(con)
        if applied:
            dg.get_dagster_logger().info(
                f"warehouse {self.location} upgraded to schema version {applied[-1].version}: "
                + ", ".join(f"{m.version:04d}_{m.name}" for m in applied)
            )
        _UPGRADED.add(self.database)

    def _lock_marker(self, lake: ducklake.Lake | None) -> Path | None:
        """Beside a one-writer file: the time a process last gave up waiting for its lock."""
        locked = Path(self.database) if lake is None else lake.catalog_file
        return None if locked is None else locked.with_name(f"{locked.name}.lock-gave-up")

    def _open(
        self, lake: ducklake.Lake | None, config: dict[str, Any], read_only: bool, wait: bool
    ) -> duckdb.DuckDBPyConnection:
        """Connect, waiting while another process holds the file. The pool keeps a project's
        own runs apart, but Dagster's SQLite run storage can hand two runs started in the same
        instant a slot each, and a person may have the file open in a SQL client.

        Once one step has waited the full time in vain, the steps after it (in any process)
        fail at once for the next `lock_wait_seconds` instead of each waiting in turn: a SQL
        client left open would otherwise hold a run for hours before its first failure."""
        marker = self._lock_marker(lake)
        deadline = time.monotonic() + self.lock_wait_seconds
        if marker is not None and marker.exists():
            gave_up_at = marker.stat().st_mtime
            if time.time() - gave_up_at < self.lock_wait_seconds:
                deadline = time.monotonic()
        waited = False
        while True:
            try:
                con = self._connect(lake, config, read_only)
            except duckdb.IOException as e:
                if FILE_LOCKED not in str(e) or not wait:
                    raise
                if time.monotonic() >= deadline:
                    if marker is not None:
                        marker.touch()
                    raise duckdb.IOException(
                        f"the warehouse ({self.location}) is still held by another process "
                        f"after waiting up to {self.lock_wait_seconds} s (CX_LOCK_WAIT_SECONDS); "
                        f"close the program named here, then run again: {e}"
                    ) from e
                if not waited:
                    dg.get_dagster_logger().warning(
                        f"waiting for the warehouse ({self.location}), held by another "
                        f"process, for up to {self.lock_wait_seconds} s: {e}"
                    )
                    waited = True
                time.sleep(1)
                continue
            if marker is not None:
                marker.unlink(missing_ok=True)
            if waited:
                dg.get_dagster_logger().info("the warehouse is free again: going on")
            return con

    def _connect(
        self, lake: ducklake.Lake | None, config: dict[str, Any], read_only: bool
    ) -> duckdb.DuckDBPyConnection:
        if lake is None:
            path = Path(self.database)
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            config["temp_directory"] = self.temp_directory or f"{path}.tmp"
            return duckdb.connect(str(path), read_only=read_only, config=config)
        config["temp_directory"] = self.temp_directory or lake.temp_directory()
        con = duckdb.connect(":memory:", config={**config, **ducklake.OFFLINE})
        try:
            ducklake.attach(con, lake, read_only=read_only)
        except BaseException:
            con.close()
            raise
        return con

    def compact(self) -> tuple[int, int]:
        """Leave no deleted or updated value on disk (after an erasure or a purge); needs the
        warehouse to itself. Returns the bytes on disk (file, or catalog file) before and after;
        (0, 0) for a PostgreSQL catalog, whose own VACUUM reclaims its space."""
        from cx_pipeline.privacy.erasure import compact

        lake = self.lake
        if lake is None:
            return compact(Path(self.database))
        with self.get_connection() as con:
            ducklake.purge_history(con)
        if lake.catalog_file is None:
            return 0, 0
        return compact(lake.catalog_file)


class HeldWarehouse(Warehouse):
    """A warehouse held open from a run's first step to its end: each step gets a new
    connection to the open database (a cursor) instead of loading the file's catalog again and
    checkpointing as it closes (about 50 ms a step, 40% of a whole-graph run on small
    extracts), or attaching a lake again (about 200 ms). For many short in-process runs, as the
    tests make. The file stays locked for the whole run, so two runs at once would take turns
    by run rather than step by step: not for runs the daemon starts, whose pool hands out slots
    a step at a time. Outside a run it is a Warehouse. A setting a step changes for the whole
    database (SET GLOBAL) lasts until the run ends."""

    _in_run: bool = PrivateAttr(default=False)
    _held: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._in_run = True

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.release()
        self._in_run = False

    def release(self) -> None:
        """Close the database held open (at the end of a run, before a compaction), once no
        step's connection is open."""
        if self._held is not None:
            self._held.close()
            self._held = None

    def _connect(
        self, lake: ducklake.Lake | None, config: dict[str, Any], read_only: bool
    ) -> duckdb.DuckDBPyConnection:
        if read_only or not self._in_run:
            return super()._connect(lake, config, read_only)
        if self._held is None:
            held = super()._connect(lake, config, read_only)
            try:
                # Python functions belong to the database, but live only as long as the
                # connection that created them: created here, they outlive every step's
                # connection.
                register_contact_details(held, self.phone_regions)
                text.register(held)
            except BaseException:
                held.close()
                raise
            self._held = held
        con = self._held.cursor()
        if lake is not None:  # a new connection starts in DuckDB's own in-memory database
            con.execute(f"USE {ducklake.CATALOG}")
        return con

    def _own_functions(self) -> bool:
        return self._held is None

    def compact(self) -> tuple[int, int]:
        self.release()
        return super().compact()


class ExtractStore(dg.ConfigurableResource):
    """Where the extracts are delivered: `<root>/<source>/<YYYY-MM-DD>/<entity>.<ext>`."""

    root: str = Field(description="Folder that holds one folder per source.")
    reference_root: str = setting_field(settings.REFERENCE_ROOT)
    sources_file: str = setting_field(settings.SOURCES_FILE)

    def reader(self, entity: Entity) -> Reader:
        """How this entity's files are read: the canonical format, a vendor adapter or a
        custom mapping (adapters/sources.py)."""
        from cx_pipeline.adapters.sources import readers

        return readers(self.sources_file)[entity.source]

    @property
    def path(self) -> Path:
        return Path(self.root)

    @property
    def reference_path(self) -> Path:
        return Path(self.reference_root)


class Serving(dg.ConfigurableResource):
    """Where the BI copy of the marts goes, and whether personal data reaches it in clear."""

    path: str = Field(description="The serving DuckDB file BI tools open read-only.")
    report_path: str = setting_field(settings.REPORT_PATH)
    parquet_dir: str = setting_field(settings.SERVING_PARQUET_DIR)
    personal_data: str = setting_field(settings.SERVING_PERSONAL_DATA)
    full_rebuild: bool = setting_field(settings.FULL_REBUILD, bool)


class CxSettings(dg.ConfigurableResource):
    """Business settings: reporting timezone, as-of date, thresholds and cut-offs."""

    timezone: str = setting_field(settings.TIMEZONE)
    as_of: str = setting_field(settings.AS_OF)
    low_sample_responses: int = setting_field(settings.LOW_SAMPLE, int)
    benchmark_audience: str = setting_field(settings.BENCHMARK_AUDIENCE)
    benchmark_survey_type: str = setting_field(settings.BENCHMARK_SURVEY_TYPE)
    benchmark_industry: str = setting_field(settings.BENCHMARK_INDUSTRY)
    mid_market_from: float = setting_field(settings.MID_MARKET_FROM, float)
    enterprise_from: float = setting_field(settings.ENTERPRISE_FROM, float)
    reporting_currency: str = setting_field(settings.REPORTING_CURRENCY)
    funnel_steps: str = setting_field(settings.FUNNEL_STEPS)
    personas: str = setting_field(settings.PERSONAS)
    onboarding_milestones: str = setting_field(settings.ONBOARDING_MILESTONES)
    onboarding_value_milestone: str = setting_field(settings.ONBOARDING_VALUE_MILESTONE)
    onboarding_window_days: int = setting_field(settings.ONBOARDING_WINDOW_DAYS, int)
    onboarding_retention_days: int = setting_field(settings.ONBOARDING_RETENTION_DAYS, int)
    followup_reach_days: int = setting_field(settings.FOLLOWUP_REACH_DAYS, int)
    followup_retention_days: int = setting_field(settings.FOLLOWUP_RETENTION_DAYS, int)
    quarantine_block_share: float = setting_field(settings.QUARANTINE_BLOCK_SHARE, float)
    quarantine_block_min_rows: int = setting_field(settings.QUARANTINE_BLOCK_MIN_ROWS, int)
    raw_validation_sample_rows: int = setting_field(settings.RAW_VALIDATION_SAMPLE_ROWS, int)
    retention_days: int = setting_field(settings.RETENTION_DAYS, int)
    retention_delete_extracts: bool = setting_field(settings.RETENTION_DELETE_EXTRACTS, bool)
    identity_plus_addressing: bool = setting_field(settings.IDENTITY_PLUS_ADDRESSING, bool)
    identity_match_floor: float = setting_field(settings.IDENTITY_MATCH_FLOOR, float)
    validation_batch_rows: int = setting_field(settings.VALIDATION_BATCH_ROWS, int)
    full_rebuild: bool = setting_field(settings.FULL_REBUILD, bool)

    def funnel_step_list(self) -> list[str]:
        return [step.strip() for step in self.funnel_steps.split(",") if step.strip()]

    def milestone_list(self) -> list[str]:
        return [m.strip() for m in self.onboarding_milestones.split(",") if m.strip()]

    def persona_count(self) -> int:
        """0 = pick by the silhouette."""
        return 0 if self.personas == "auto" else int(self.personas)

    def as_of_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.as_of) if self.as_of else None


def _env_or(setting: settings.Setting) -> Any:
    """An EnvVar when the variable is set (so the UI shows where it came from), else the default."""
    return dg.EnvVar(setting.env) if setting.is_set() else setting.default


def _env_int_or(setting: settings.Setting) -> Any:
    return dg.EnvVar.int(setting.env) if setting.is_set() else int(setting.default)


def warehouse_from_settings() -> Warehouse:
    """The warehouse the settings name, for the command line (outside a Dagster run)."""
    return Warehouse(
        database=settings.WAREHOUSE_PATH.value(),
        memory_limit=settings.MEMORY_LIMIT.value(),
        memory_reserve=settings.MEMORY_RESERVE.value(),
        temp_directory=settings.TEMP_DIRECTORY.value(),
        data_path=settings.DUCKLAKE_DATA_PATH.value(),
        lock_wait_seconds=int(settings.LOCK_WAIT_SECONDS.value()),
        phone_regions=settings.PHONE_REGIONS.value(),
    )


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": Warehouse(
            database=_env_or(settings.WAREHOUSE_PATH),
            memory_limit=_env_or(settings.MEMORY_LIMIT),
            memory_reserve=_env_or(settings.MEMORY_RESERVE),
            temp_directory=_env_or(settings.TEMP_DIRECTORY),
            data_path=_env_or(settings.DUCKLAKE_DATA_PATH),
            lock_wait_seconds=_env_int_or(settings.LOCK_WAIT_SECONDS),
            phone_regions=_env_or(settings.PHONE_REGIONS),
        ),
        "extracts": ExtractStore(
            root=_env_or(settings.EXTRACT_ROOT),
            reference_root=_env_or(settings.REFERENCE_ROOT),
            sources_file=_env_or(settings.SOURCES_FILE),
        ),
        "serving": Serving(
            path=_env_or(settings.SERVING_PATH),
            report_path=_env_or(settings.REPORT_PATH),
            parquet_dir=_env_or(settings.SERVING_PARQUET_DIR),
            personal_data=_env_or(settings.SERVING_PERSONAL_DATA),
            full_rebuild=settings.FULL_REBUILD.value().lower() == "true",
        ),
        "cx_settings": CxSettings(
            timezone=_env_or(settings.TIMEZONE),
            as_of=_env_or(settings.AS_OF),
            low_sample_responses=_env_int_or(settings.LOW_SAMPLE),
            benchmark_audience=_env_or(settings.BENCHMARK_AUDIENCE),
            benchmark_survey_type=_env_or(settings.BENCHMARK_SURVEY_TYPE),
            benchmark_industry=_env_or(settings.BENCHMARK_INDUSTRY),
            mid_market_from=float(settings.MID_MARKET_FROM.value()),
            enterprise_from=float(settings.ENTERPRISE_FROM.value()),
            reporting_currency=_env_or(settings.REPORTING_CURRENCY),
            funnel_steps=_env_or(settings.FUNNEL_STEPS),
            personas=_env_or(settings.PERSONAS),
            onboarding_milestones=_env_or(settings.ONBOARDING_MILESTONES),
            onboarding_value_milestone=_env_or(settings.ONBOARDING_VALUE_MILESTONE),
            onboarding_window_days=_env_int_or(settings.ONBOARDING_WINDOW_DAYS),
            onboarding_retention_days=_env_int_or(settings.ONBOARDING_RETENTION_DAYS),
            followup_reach_days=_env_int_or(settings.FOLLOWUP_REACH_DAYS),
            followup_retention_days=_env_int_or(settings.FOLLOWUP_RETENTION_DAYS),
            quarantine_block_share=float(settings.QUARANTINE_BLOCK_SHARE.value()),
            quarantine_block_min_rows=_env_int_or(settings.QUARANTINE_BLOCK_MIN_ROWS),
            validation_batch_rows=_env_int_or(settings.VALIDATION_BATCH_ROWS),
            raw_validation_sample_rows=_env_int_or(settings.RAW_VALIDATION_SAMPLE_ROWS),
            retention_days=_env_int_or(settings.RETENTION_DAYS),
            retention_delete_extracts=settings.RETENTION_DELETE_EXTRACTS.value().lower() == "true",
            identity_plus_addressing=settings.IDENTITY_PLUS_ADDRESSING.value().lower() == "true",
            identity_match_floor=float(settings.IDENTITY_MATCH_FLOOR.value()),
            full_rebuild=settings.FULL_REBUILD.value().lower() == "true",
        ),
    }
