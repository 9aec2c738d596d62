"""What the adapter tests share: every adapter test delivers files and loads them the way the raw
asset does (the real finder and loader, with the reader a sources file selects), then read the
warehouse it wrote."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Mapping
from pathlib import Path

import duckdb

from cx_pipeline.adapters.mapping import MappingReader
from cx_pipeline.adapters.sources import readers
from cx_pipeline.contract import entity
from cx_pipeline.contract_sql import staging_select
from cx_pipeline.ingest.extracts import find_deliveries
from cx_pipeline.ingest.loader import DeliveryLoad, load_delivery
from cx_pipeline.resources import Warehouse, install_rules
from cx_pipeline_tests.tiny_extracts import DELIVERY


def sources_file(folder: Path, source: str, adapter: str) -> Path:
    """folder/cx_sources.toml, naming the shipped `adapter` for `source`."""
    path = folder / "cx_sources.toml"
    path.write_text(f'[sources]\n{source} = "{adapter}"\n', encoding="utf-8")
    return path


def shipped_reader(folder: Path, source: str, adapter: str) -> MappingReader:
    """The adapter exactly as a company selects it: by name, in a sources file."""
    reader = readers(str(sources_file(folder, source, adapter)))[source]
    assert isinstance(reader, MappingReader)
    return reader


def deliver(
    tmp_path: Path,
    source: str,
    *files: Path,
    texts: Mapping[str, str] | None = None,
    day: str = DELIVERY,
) -> Path:
    """Put `files` (a folder: everything in it) and then `texts` (file name -> content, so one
    can replace a delivered file) in tmp_path/extracts/<source>/<day>/; return the root."""
    root = tmp_path / "extracts"
    folder = root / source / day
    folder.mkdir(parents=True, exist_ok=True)
    for file in files:
        if file.is_dir():
            shutil.copytree(file, folder, dirs_exist_ok=True)
        else:
            shutil.copy(file, folder / file.name)
    for name, text in (texts or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return root


def load(
    tmp_path: Path,
    reader: MappingReader,
    entity_name: str,
    *files: Path,
    texts: Mapping[str, str] | None = None,
) -> DeliveryLoad:
    """Deliver `files` and `texts` as one day of the entity's source and load `entity_name` from
    it into tmp_path/cx.duckdb as the raw asset does (rows read must equal loaded + quarantined)."""
    e = entity(entity_name)
    root = deliver(tmp_path, e.source, *files, texts=texts)
    with Warehouse(database=str(tmp_path / "cx.duckdb")).get_connection() as con:
        (delivery,) = find_deliveries(root, e, reader)
        result = load_delivery(con, e, delivery, root, dt.datetime.now(dt.UTC), reader)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    return result


def connect(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the test's warehouse (tmp_path/cx.duckdb), in UTC, with the
    business-rule macros (staging's SQL uses them)."""
    con = duckdb.connect(str(tmp_path / "cx.duckdb"), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    install_rules(con)
    return con


def query(tmp_path: Path, sql: str, params: object = None) -> list[tuple]:
    """The rows of one read-only query against the test's warehouse."""
    with connect(tmp_path) as con:
        return con.execute(sql, params).fetchall()


def staged(tmp_path: Path, entity_name: str) -> list[tuple]:
    """The typed contract columns of the rows that passed, as staging types them, by key."""
    e = entity(entity_name)
    columns = ", ".join(e.column_names)
    return query(tmp_path, f"SELECT {columns} FROM ({staging_select(e)}) ORDER BY 1")


def quarantined(tmp_path: Path, entity_name: str, key: str) -> dict[str, list[str]]:
    """The quarantined records of `entity_name`: their `key`, and the rules each broke."""
    rows = query(
        tmp_path,
        f"SELECT record->>'{key}', list_sort(broken_rules) FROM quarantine.{entity_name}",
    )
    return dict(rows)
