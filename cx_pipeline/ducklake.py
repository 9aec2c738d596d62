"""DuckLake as the warehouse: which catalog, where its Parquet files go, and how to attach it.

`CX_WAREHOUSE` is either the path of the DuckDB warehouse file (the default) or DuckLake's own
attach string, `ducklake:<catalog>`: `ducklake:path/cx.ducklake` keeps the catalog in a DuckDB
file (one machine, one writing process, like the plain file), `ducklake:postgres:dbname=cx
host=...` keeps it in PostgreSQL, which many processes and machines write at once. Either way
the tables' data is Parquet under `CX_DUCKLAKE_DATA_PATH` (a folder here, object storage in
production). The lake is attached as the catalog `cx` and made the default, so every asset's SQL
(`raw.x`, `marts.y`) runs unchanged.

The extensions are loaded from the files of the PyPI wheels `duckdb-extension-ducklake` and
`duckdb-extension-postgres-scanner` (built for exactly this DuckDB version), with DuckDB's
auto-install switched off: nothing is ever downloaded at run time.
"""

from __future__ import annotations

import importlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cx_pipeline.sql import literal

PREFIX = "ducklake:"
CATALOG = "cx"
# Erased values must not outlive an erasure in the catalog database: no rows are inlined into
# it, every row is in a Parquet file that compaction can rewrite (see `purge_history`).
ATTACH_OPTIONS = "DATA_INLINING_ROW_LIMIT 0"
INIT_ATTEMPTS = 5
EXTENSION_PACKAGES = {
    "ducklake": "duckdb_extension_ducklake",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
}
# The wheels hold the extension binaries; DuckDB must never fetch one itself.
OFFLINE = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


@dataclass(frozen=True)
class Lake:
    """A DuckLake warehouse: `catalog` is what follows `ducklake:` in CX_WAREHOUSE."""

    catalog: str
    data_path: str = ""

    @property
    def on_postgres(self) -> bool:
        return self.catalog.startswith("postgres:")

    @property
    def catalog_file(self) -> Path | None:
        """The DuckDB file holding the catalog; None when it lives in PostgreSQL."""
        return None if self.on_postgres else Path(self.catalog)

    @property
    def single_writer(self) -> bool:
        """A DuckDB-file catalog is locked by one process, as a DuckDB warehouse file is."""
        return not self.on_postgres

    def files(self) -> str:
        """Where the Parquet files go: the setting, else `<catalog file>.files/` beside it."""
        if self.data_path:
            return self.data_path
        if self.catalog_file is None:
            raise ValueError(
                "a DuckLake on a PostgreSQL catalog needs CX_DUCKLAKE_DATA_PATH "
                "(a folder every worker sees, or an object-storage URL)"
            )
        return f"{self.catalog_file.resolve()}.files/"

    def temp_directory(self) -> str:
        if self.catalog_file is not None:
            return f"{self.catalog_file}.tmp"
        return os.path.join(tempfile.gettempdir(), "cx-ducklake.tmp")


def parse(warehouse: str, data_path: str = "") -> Lake | None:
    """The lake CX_WAREHOUSE names, or None when it names a DuckDB file."""
    if not warehouse.startswith(PREFIX):
        return None
    catalog = warehouse[len(PREFIX) :].strip()
    if not catalog:
        raise ValueError("CX_WAREHOUSE=ducklake:<catalog> needs a catalog (a file or postgres:...)")
    return Lake(catalog, data_path)


def extension_file(name: str) -> Path:
    """The extension binary shipped in its PyPI wheel, for this exact DuckDB version."""
    package = importlib.import_module(EXTENSION_PACKAGES[name])
    path = (
        Path(package.__file__).parent
        / "extensions"
        / f"v{duckdb.__version__}"
        / f"{name}.duckdb_extension"
    )
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: install {EXTENSION_PACKAGES[name].replace('_', '-')}"
            f"=={duckdb.__version__}"
        )
    return path


def attach(con: duckdb.DuckDBPyConnection, lake: Lake, read_only: bool = False) -> None:
    """Load the extensions from their wheels, attach the lake as `cx` and make it the default."""
    names = ["postgres_scanner", "ducklake"] if lake.on_postgres else ["ducklake"]
    for name in names:
        con.execute(f"LOAD {literal(str(extension_file(name)))}")
    files = lake.files()  # fails early when a PostgreSQL catalog has no data path
    if lake.catalog_file is not None and not read_only:
        lake.catalog_file.parent.mkdir(parents=True, exist_ok=True)
    options = [ATTACH_OPTIONS]
    # Without a configured data path DuckLake uses (and remembers) `<catalog file>.files/`.
    if lake.data_path:
        if "://" not in files and not read_only:
            Path(files).mkdir(parents=True, exist_ok=True)
        options.insert(0, f"DATA_PATH {literal(files)}")
    if read_only:
        options.append("READ_ONLY")
    statement = f"ATTACH {literal(PREFIX + lake.catalog)} AS {CATALOG} ({', '.join(options)})"
    for attempt in range(INIT_ATTEMPTS):
        try:
            con.execute(statement)
            break
        except duckdb.Error as e:
            # Two workers opening a new catalog at once both create its metadata tables; the
            # loser finds them made on the next try.
            if "Failed to initialize DuckLake" not in str(e) or attempt == INIT_ATTEMPTS - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
    con.execute(f"USE {CATALOG}")


def purge_history(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Make deleted and updated rows physically gone. DuckLake keeps every old snapshot (time
    travel), records deletes in delete files beside the original Parquet, and keeps each
    table's min/max statistics across deletes, so an erased value could survive in all three.
    Every table with a deleted row is rebuilt (new files, fresh statistics), every snapshot but
    the current one expires, and the files nothing references any more are deleted. Returns the
    tables rebuilt."""
    metadata = f"__ducklake_metadata_{CATALOG}"
    tables = [
        f"{schema}.{table}"
        for schema, table in con.execute(
            f"""
            SELECT DISTINCT s.schema_name, t.table_name
            FROM {metadata}.ducklake_delete_file AS d
            JOIN {metadata}.ducklake_table AS t USING (table_id)
            JOIN {metadata}.ducklake_schema AS s USING (schema_id)
            WHERE d.end_snapshot IS NULL AND t.end_snapshot IS NULL AND s.end_snapshot IS NULL
            ORDER BY ALL
            """
        ).fetchall()
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        for table in tables:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS FROM {table}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute(f"CALL ducklake_flush_inlined_data({literal(CATALOG)})")
    con.execute(f"CALL ducklake_expire_snapshots({literal(CATALOG)}, older_than => now())")
    con.execute(f"CALL ducklake_cleanup_old_files({literal(CATALOG)}, cleanup_all => true)")
    return tables
