"""How one delivered file reads as rows of the contract.

A reader turns a file into a SQL relation plus, for every contract column it can fill, a text
expression over that relation. The loader does the rest the same way for every reader: raw gets
the text, the row rules quarantine what does not fit, and whatever the contract has no column
for is kept in raw's `_extra`. The canonical format is one reader (the identity); vendor exports
and custom mappings are others (cx_pipeline.adapters).
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import duckdb

from cx_pipeline.contract import Entity
from cx_pipeline.sql import execute, literal, quote


class ExtractError(Exception):
    """A file that cannot be loaded at all; the message names the file and the problem."""

    def __init__(self, source_file: str, problem: str) -> None:
        super().__init__(f"{source_file}: {problem}")
        self.source_file = source_file
        self.problem = problem


@dataclass(frozen=True)
class SourceRelation:
    """A file as rows: `sql` is a FROM-clause item that reads `$path` (and `params`)."""

    sql: str
    values: dict[str, str]  # contract column -> SQL expression of its text
    row_number_sql: str
    extra_sql: str = "CAST(NULL AS JSON)"  # what the contract does not hold, as JSON
    extra_columns: tuple[str, ...] = ()  # names of the delivered fields nothing maps
    params: dict[str, str] = field(default_factory=dict)
    is_text: bool = True  # CSV-like: DuckDB's errors name a line
    # (rule name, SQL over the raw row that is true to leave it out): an adapter's row filter.
    row_filters: tuple[tuple[str, str], ...] = ()


class Reader(Protocol):
    """Reads one source's files: which files hold an entity, and how one of them reads."""

    name: str

    def file_patterns(self, entity: Entity) -> tuple[str, ...]: ...

    def relation(
        self, con: duckdb.DuckDBPyConnection, entity: Entity, path: Path, source_file: str
    ) -> SourceRelation: ...


# What a DuckDB error quotes of what it read: a line of the file, or a value in quotes. Cut, since
# a delivered file may hold personal data (and a file outside the extract root anything).
QUOTED_LINE = re.compile(r"^\s*(Original Line|Line content|Input)\s*:.*$", re.IGNORECASE)
QUOTED_VALUE = re.compile(r"'[^'\n]*'")


def first_error_lines(error: Exception, lines: int = 3) -> str:
    """The first lines of an error, without a line or a value of the input it quotes."""
    kept = [
        QUOTED_VALUE.sub("'...'", QUOTED_LINE.sub("", line)).strip()
        for line in str(error).splitlines()
    ]
    return " | ".join([line for line in kept if line][:lines])


def confined(path: Path, source_file: str) -> Path:
    """`path`, refused when it resolves (symlinks followed) outside its delivery folder: a link
    in a delivery folder must not bring a file from elsewhere on the machine into raw."""
    folder = path.parent.resolve()
    if not path.resolve().is_relative_to(folder):
        raise ExtractError(
            source_file, "a symbolic link to a file outside the delivery folder: refused, not read"
        )
    return path


# A header cell as column names are written ("Response ID", "¿Por qué?"): errors list the header
# only when every cell looks so. A first line that is data (a file with no header, or not a CSV at
# all) is never quoted: an e-mail, a time, a number or a phone number is not a column name.
def _looks_like_a_name(cell: str) -> bool:
    return (
        0 < len(cell) <= 200
        and cell.isprintable()
        and not cell[0].isdigit()
        and not cell.startswith("+")
        and not any(c in cell for c in "@:")
    )


def header_names(names: list[str]) -> str:
    """The header's names for an error message, or only how many there are when the first
    line does not look like column names (it would quote the file's content)."""
    if names and all(_looks_like_a_name(n) for n in names):
        return ", ".join(names)
    return f"{len(names)} field(s) that do not look like column names (not quoted)"


def is_gzip(path: Path) -> bool:
    """A file named `*.gz`, in any case (`TICKETS.CSV.GZ` from a Windows export)."""
    return path.suffix.lower() == ".gz"


def open_binary(path: Path) -> BinaryIO:
    """A delivered file's bytes, gunzipped on the way when it ends in .gz."""
    return gzip.open(path, "rb") if is_gzip(path) else path.open("rb")  # type: ignore[return-value]


def open_text(path: Path) -> Any:
    """A delivered text file, gunzipped on the way when it ends in .gz (DuckDB's readers do the
    same by the extension)."""
    if is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def content_suffix(path: Path) -> str:
    """The extension of what is inside: `.jsonl` for `tickets.jsonl.gz`."""
    return Path(path.stem).suffix.lower() if is_gzip(path) else path.suffix.lower()


def csv_header(path: Path, source_file: str, delimiter: str = ",") -> list[str]:
    """The header row's names, split on the same delimiter as the rows; a file with no usable
    header is rejected here."""
    try:
        with open_text(path) as f:
            header = next(csv.reader(f, delimiter=delimiter), None)
    except UnicodeDecodeError as e:
        raise ExtractError(source_file, f"not UTF-8: {e.reason} in the header") from e
    if not header or not any(h.strip() for h in header):
        raise ExtractError(source_file, "empty file: no header row")
    names = _name_blank_cells([h.strip() for h in header])
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ExtractError(source_file, f"duplicate column(s) in header: {', '.join(duplicates)}")
    return names


def _name_blank_cells(names: list[str]) -> list[str]:
    """A blank header cell (SurveyMonkey's 'Other (please specify)' column, a spreadsheet's
    trailing column) is named after the column before it, '<name> [2]', so its values are kept
    in `_extra` instead of failing the file."""
    named, previous, count = [], "column", 1
    for name in names:
        if name:
            previous, count = name, 1
            named.append(name)
        else:
            count += 1
            named.append(f"{previous} [{count}]")
    return named


# The longest line (one row, its quoted line breaks included) a CSV may have: DuckDB's default of
# 2 MB rejects a real ticket with a pasted log. DuckDB sizes its read buffers at 16 lines unless
# told, so the buffer stays at its default 32 MiB: memory per read is what it was.
MAX_CSV_LINE_BYTES = 16 * 1024 * 1024
CSV_BUFFER_BYTES = 32 * 1024 * 1024


def csv_relation(
    names: list[str], delimiter: str = ",", max_line_bytes: int = MAX_CSV_LINE_BYTES
) -> str:
    """Every column as text, strictly parsed: a ragged line fails the file, never shifts."""
    columns = ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names)
    return (
        "read_csv($path, header = true, auto_detect = false, "
        f"columns = {{{columns}}}, delim = {literal(delimiter)}, quote = '\"', escape = '\"', "
        f"strict_mode = true, max_line_size = {int(max_line_bytes)}, "
        f"buffer_size = {max(CSV_BUFFER_BYTES, 2 * int(max_line_bytes))})"
    )


def unmapped_as_json(names: list[str]) -> str:
    if not names:
        return "CAST(NULL AS JSON)"
    fields = ", ".join(f"{quote(n)} := {quote(n)}" for n in names)
    return f"to_json(struct_pack({fields}))"


def parquet_columns(con: duckdb.DuckDBPyConnection, path: Path, source_file: str) -> list[str]:
    try:
        described = execute(
            con,
            "DESCRIBE SELECT * FROM read_parquet($path, file_row_number = true)",
            path=str(path),
        )
        return [row[0] for row in described.fetchall() if row[0] != "file_row_number"]
    except duckdb.Error as e:
        raise ExtractError(source_file, f"cannot be read as Parquet: {first_error_lines(e)}") from e


class CanonicalReader:
    """The contract's own format: `<entity>.csv` (or `.parquet`) with the contract's columns."""

    name = "canonical"

    def file_patterns(self, entity: Entity) -> tuple[str, ...]:
        return entity.file_patterns()

    def relation(
        self, con: duckdb.DuckDBPyConnection, entity: Entity, path: Path, source_file: str
    ) -> SourceRelation:
        confined(path, source_file)
        if entity.file_format == "csv":
            names = csv_header(path, source_file)
            sql = csv_relation(names)
            # Insertion order is preserved while loading: this numbers rows as in the file.
            row_number = "row_number() OVER ()"
        else:
            names = parquet_columns(con, path, source_file)
            sql = "read_parquet($path, file_row_number = true)"
            row_number = "file_row_number + 1"
        missing = [c for c in entity.required_columns if c not in names]
        if missing:
            raise ExtractError(
                source_file,
                f"missing required column(s) {', '.join(missing)}; the file has: "
                f"{header_names(names) if names else '(none)'}",
            )
        extra = [n for n in names if n not in entity.column_names]
        return SourceRelation(
            sql=sql,
            values={c: f"CAST({quote(c)} AS VARCHAR)" for c in entity.column_names if c in names},
            row_number_sql=row_number,
            extra_sql=unmapped_as_json(extra),
            extra_columns=tuple(extra),
            is_text=entity.file_format == "csv",
        )


CANONICAL = CanonicalReader()
