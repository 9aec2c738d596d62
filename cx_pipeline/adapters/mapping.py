"""Declarative mappings: an export that is not in the contract's format, read as if it were.

A mapping says, for each entity of one source, which files in a delivery folder hold it, how to
read them (CSV, JSON lines, a JSON document, Parquet) and where each contract column comes from:
a column or JSON path (or the first of several that holds a value), with value maps, country
names as ISO codes, timestamp parsing and timezones. The vendor adapters
shipped in `vendors/` are mappings, and so is a company's own (docs/sources.md). Everything the
mapping leaves out is kept in raw's `_extra`; a value it cannot translate stays as delivered, so
the contract's rules quarantine the row with the reason.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import duckdb

from cx_pipeline.adapters.countries import NORMALIZE_SQL, alpha_2_codes, country_table
from cx_pipeline.contract import ENTITIES, Entity, entity
from cx_pipeline.readers import (
    ExtractError,
    SourceRelation,
    confined,
    content_suffix,
    csv_header,
    csv_relation,
    header_names,
    unmapped_as_json,
)
from cx_pipeline.sql import literal, quote

FORMATS = ("csv", "jsonl", "json", "parquet")
EPOCHS = {"epoch_s": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000}
# GA4's key/value lists hold each value under one of these (BigQuery export schema).
KEY_VALUE_FIELDS = ("string_value", "int_value", "float_value", "double_value")
COLUMN_KEYS = {
    "field",
    "concat",
    "separator",
    "value",
    "values",
    "parse",
    "date_format",
    "timezone",
    "as_json",
    "key_value",
    "key_values",
    "divide_by",
    "minutes_after",
    "when",
    "coalesce",
    "country",
}
COUNTRY_FORMATS = ("iso2",)
ENTITY_KEYS = {
    "files",
    "format",
    "records",
    "skip_rows",
    "delimiter",
    "columns",
    "lookups",
    "keep",
}


class MappingError(ValueError):
    """A mapping that cannot work; the message says which mapping, entity and column."""


@dataclass(frozen=True)
class ListItem:
    """`field` of the first element of the list at `list` whose `where` fields have one of the
    values given (HubSpot: the id of a deal's company association of the primary type)."""

    list: str
    field: str
    where: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class ColumnSource:
    field: str | None = None  # a CSV column, or a JSON path ("$.via.channel", "lookup:$.x")
    concat: tuple[str, ...] = ()  # fields joined by `separator` (first + last name)
    separator: str = " "
    value: str | None = None  # a constant
    values: dict[str, str] = dataclasses.field(
        default_factory=dict
    )  # delivered value -> contract value
    parse: str | None = None  # epoch_s, epoch_ms or epoch_us
    date_format: str | None = None  # strptime format of the delivered timestamp
    timezone: str | None = None  # the timezone of timestamps delivered without an offset
    as_json: bool = False  # the field is an object or a list: keep it as JSON text
    key_value: str | None = None  # [{key, value: {string_value...}}]: the value of this key
    key_values: str | None = None  # ... or the whole list at this path as one JSON object
    divide_by: float | None = None  # a number delivered per another unit (annual amount / 12)
    minutes_after: str | None = None  # the value is minutes after this timestamp field
    # Only when these fields have one of these values, else null (Intercom: the author's e-mail
    # only when the author is a contact, not an admin).
    when: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    # The first of these that holds a value (not null, not empty, not an object or a list): a
    # field, or an element picked from a list (HubSpot: a deal's company property, else its
    # primary company association; Delighted: the expanded person's id, else the bare id).
    coalesce: tuple[str | ListItem, ...] = ()
    # "iso2": a country as typed ("United States", "Deutschland", "UK") as its ISO 3166-1
    # alpha-2 code; a value that names no country stays as delivered and the row is quarantined.
    country: str | None = None

    def fields(self) -> list[str]:
        """The delivered fields (CSV columns, JSON paths) the value is read from."""
        if self.concat:
            return list(self.concat)
        if self.coalesce:
            return [c for c in self.coalesce if isinstance(c, str)]
        return [self.field] if self.field else []


@dataclass(frozen=True)
class Lookup:
    """A second file of the same delivery joined in by id (Zendesk's ticket metrics)."""

    name: str
    files: tuple[str, ...]
    format: str
    key: str  # JSON path of the id in the lookup's records
    on: str  # JSON path of the same id in the main records
    records: str | None = None


@dataclass(frozen=True)
class EntityMapping:
    entity: str
    files: tuple[str, ...]
    format: str
    columns: dict[str, ColumnSource]
    records: str | None = None  # JSON path of the record list inside a JSON document
    skip_rows: int = 0  # rows after the CSV header that are not data (Qualtrics: 2)
    delimiter: str = ","
    lookups: tuple[Lookup, ...] = ()
    # Rows to load: field -> the values that keep a row (Segment: only track calls). The others
    # are quarantined as 'filtered:<field>', counted, and do not count as faults.
    keep: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    name: str
    source: str
    description: str
    entities: dict[str, EntityMapping]


def _fail(origin: str, where: str, problem: str) -> MappingError:
    return MappingError(f"mapping {origin}, {where}: {problem}")


def _column(origin: str, where: str, spec: Any) -> ColumnSource:
    if isinstance(spec, str):
        return ColumnSource(field=spec)
    if not isinstance(spec, dict):
        raise _fail(origin, where, "give a field name (or JSON path) or a table of options")
    unknown = set(spec) - COLUMN_KEYS
    if unknown:
        raise _fail(origin, where, f"unknown option(s) {', '.join(sorted(unknown))}")
    kinds = ("field", "concat", "value", "key_value", "key_values", "coalesce")
    sources = [k for k in kinds if k in spec]
    if len(sources) != 1:
        raise _fail(origin, where, "give exactly one of field, concat, value, key_value, coalesce")
    parse = spec.get("parse")
    if parse is not None and parse not in EPOCHS:
        raise _fail(origin, where, f"parse must be one of {', '.join(EPOCHS)}")
    key_value = spec.get("key_value")
    when = spec.get("when", {})
    if not isinstance(when, dict) or not all(isinstance(v, list) for v in when.values()):
        raise _fail(origin, where, 'when takes fields and value lists: { "$.type" = ["user"] }')
    country = spec.get("country")
    if country is not None and country not in COUNTRY_FORMATS:
        raise _fail(origin, where, f"country must be one of {', '.join(COUNTRY_FORMATS)}")
    return ColumnSource(
        field=spec.get("field")
        or (key_value.get("field") if isinstance(key_value, dict) else None),
        concat=tuple(spec.get("concat", ())),
        separator=spec.get("separator", " "),
        value=spec.get("value"),
        values={str(k): str(v) for k, v in spec.get("values", {}).items()},
        parse=parse,
        date_format=spec.get("date_format"),
        timezone=spec.get("timezone"),
        as_json=bool(spec.get("as_json", False)),
        key_value=key_value.get("key") if isinstance(key_value, dict) else None,
        key_values=spec.get("key_values"),
        divide_by=float(spec["divide_by"]) if "divide_by" in spec else None,
        minutes_after=spec.get("minutes_after"),
        when={str(k): tuple(str(v) for v in vs) for k, vs in when.items()},
        coalesce=_coalesce(origin, where, spec["coalesce"]) if "coalesce" in spec else (),
        country=country,
    )


def _coalesce(origin: str, where: str, items: Any) -> tuple[str | ListItem, ...]:
    """The alternatives of a `coalesce`: fields, or { list, where, field } tables."""
    if not isinstance(items, list) or not items:
        raise _fail(
            origin,
            where,
            "coalesce takes a list of fields (or list items), the preferred one first",
        )
    parsed: list[str | ListItem] = []
    for item in items:
        if isinstance(item, str):
            parsed.append(item)
            continue
        conditions = item.get("where", {}) if isinstance(item, dict) else None
        if (
            not isinstance(item, dict)
            or set(item) - {"list", "where", "field"}
            or not all(isinstance(item.get(k), str) for k in ("list", "field"))
            or not isinstance(conditions, dict)
            or not all(isinstance(v, list) for v in conditions.values())
        ):
            raise _fail(
                origin,
                where,
                "a coalesce item is a field or "
                '{ list = "$.items", where = { "$.type" = ["primary"] }, field = "$.id" }',
            )
        parsed.append(
            ListItem(
                list=item["list"],
                field=item["field"],
                where={str(k): tuple(str(v) for v in vs) for k, vs in conditions.items()},
            )
        )
    return tuple(parsed)


def _patterns(origin: str, where: str, files: Any) -> tuple[str, ...]:
    """File patterns name files directly in a delivery folder, never a path: a mapping must not
    reach outside the extract root (`../../etc/group`, `/etc/group`) nor into a subfolder."""
    if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
        raise _fail(origin, where, "files takes a list of file name patterns")
    for pattern in files:
        if (
            PureWindowsPath(pattern).is_absolute()
            or PurePosixPath(pattern).is_absolute()
            or PureWindowsPath(pattern).drive
        ):
            problem = "is an absolute path"
        elif ".." in PureWindowsPath(pattern).parts:
            problem = "contains '..'"
        elif "/" in pattern or "\\" in pattern:
            problem = "names a subfolder"
        else:
            continue
        raise _fail(
            origin,
            where,
            f"file pattern {pattern!r} {problem}: patterns name files directly in each "
            "delivery folder (refused: nothing outside the extract root is read)",
        )
    return tuple(files)


def _lookup(origin: str, where: str, name: str, spec: dict) -> Lookup:
    for required in ("files", "key", "on"):
        if required not in spec:
            raise _fail(origin, f"{where}, lookup {name}", f"'{required}' is missing")
    fmt = spec.get("format", "jsonl")
    if fmt not in ("jsonl", "json"):
        raise _fail(origin, f"{where}, lookup {name}", "lookups read jsonl or json files")
    files = _patterns(origin, f"{where}, lookup {name}", spec["files"])
    return Lookup(name, files, fmt, spec["key"], spec["on"], spec.get("records"))


def parse_mapping(data: dict[str, Any], origin: str) -> Mapping:
    """Validate a mapping document (as read from TOML); every error names where it is."""
    source = data.get("source")
    sources = sorted({e.source for e in ENTITIES})
    if source not in sources:
        raise _fail(origin, "source", f"must be one of {', '.join(sources)}, not {source!r}")
    entities: dict[str, EntityMapping] = {}
    for name, spec in data.get("entities", {}).items():
        where = f"{source}.{name}"
        try:
            target = entity(name)
        except KeyError as e:
            raise _fail(origin, where, str(e)) from None
        if target.source != source:
            raise _fail(origin, where, f"{name} belongs to source {target.source}")
        unknown = set(spec) - ENTITY_KEYS
        if unknown:
            raise _fail(origin, where, f"unknown option(s) {', '.join(sorted(unknown))}")
        fmt = spec.get("format")
        if fmt not in FORMATS:
            raise _fail(origin, where, f"format must be one of {', '.join(FORMATS)}")
        columns = {}
        for column, column_spec in spec.get("columns", {}).items():
            if column not in target.column_names:
                raise _fail(
                    origin,
                    where,
                    f"{column!r} is not a column of the contract; it has "
                    f"{', '.join(target.column_names)}",
                )
            columns[column] = _column(origin, f"{where}.{column}", column_spec)
        unmapped = [c for c in target.required_columns if c not in columns]
        if unmapped:
            raise _fail(origin, where, f"required column(s) {', '.join(unmapped)} not mapped")
        named = [f for c in columns.values() for f in (c.field or "", *c.fields(), *c.when)]
        if fmt == "csv" and any(f.startswith("$") for f in named):
            raise _fail(origin, where, "CSV columns are named, not addressed by JSON path")
        delimiter = spec.get("delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
            raise _fail(origin, where, "delimiter must be one character (not a quote or newline)")
        items = [i for c in columns.values() for i in c.coalesce]
        if fmt == "csv" and any(isinstance(i, ListItem) for i in items):
            raise _fail(origin, where, "CSV columns hold no lists: coalesce takes column names")
        files = _patterns(origin, where, spec["files"]) if "files" in spec else (f"{name}.{fmt}",)
        entities[name] = EntityMapping(
            entity=name,
            files=files,
            format=fmt,
            columns=columns,
            records=spec.get("records"),
            skip_rows=int(spec.get("skip_rows", 0)),
            delimiter=delimiter,
            lookups=tuple(_lookup(origin, where, n, s) for n, s in spec.get("lookups", {}).items()),
            keep={str(k): tuple(str(v) for v in vs) for k, vs in spec.get("keep", {}).items()},
        )
    return Mapping(
        name=data.get("name", Path(origin).stem),
        source=source,
        description=data.get("description", ""),
        entities=entities,
    )


def load_mapping(path: Path) -> Mapping:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise MappingError(f"mapping {path}: cannot be read: {e}") from e
    return parse_mapping(data, str(path))


# ---- SQL ---------------------------------------------------------------------------------------


def _json_path(path: str) -> tuple[str, str]:
    """(record column, JSON path): 'metrics:$.solved_at' reads the lookup 'metrics'."""
    if ":" in path and not path.startswith("$"):
        lookup, inner = path.split(":", 1)
        return f"{quote(lookup + '_record')}", inner
    return "_record", path


def _field(mapping: EntityMapping, name: str, as_json: bool = False) -> str:
    if mapping.format == "csv":
        return quote(name)
    record, path = _json_path(name)
    return f"({record} {'->' if as_json else '->>'} {literal(path)})"


def _scalar(mapping: EntityMapping, name: str) -> str:
    """A field's text only when it holds a value: null for a missing field, JSON null, an empty
    string, an object or a list (so a coalesce moves on to its next alternative)."""
    if mapping.format == "csv":
        return f"nullif({quote(name)}, '')"
    record, path = _json_path(name)
    kind = f"json_type({record}, {literal(path)})"
    return (
        f"CASE WHEN {kind} NOT IN ('OBJECT', 'ARRAY') THEN nullif({_field(mapping, name)}, '') END"
    )


def _list_item(mapping: EntityMapping, item: ListItem) -> str:
    """`item.field` of the first element of a JSON list whose `where` fields match."""
    record, path = _json_path(item.list)
    matches = " AND ".join(
        f"(e ->> {literal(f)}) IN ({', '.join(literal(v) for v in vs)})"
        for f, vs in item.where.items()
    )
    elements = f"CAST({record} -> {literal(path)} AS JSON[])"
    if matches:
        elements = f"list_filter({elements}, e -> {matches})"
    first = f"nullif({elements}[1] ->> {literal(item.field)}, '')"
    return f"CASE WHEN json_type({record}, {literal(path)}) = 'ARRAY' THEN {first} END"


def _country(text: str) -> str:
    """The ISO alpha-2 code the text names, else the text as delivered (so the row is
    quarantined as allowed:<column>). The names are bound ($country_names, $country_codes)."""
    value = f"nullif(trim({text}), '')"
    names = "SELECT unnest($country_names) AS name, unnest($country_codes) AS code"
    lookup = (
        f"(SELECT c.code FROM ({names}) AS c WHERE c.name = {NORMALIZE_SQL.format(text=value)})"
    )
    return f"coalesce({lookup}, {value})"


def _key_value(item: str) -> str:
    return "coalesce(" + ", ".join(f"{item} ->> '$.value.{f}'" for f in KEY_VALUE_FIELDS) + ")"


def column_sql(mapping: EntityMapping, source: ColumnSource) -> str:
    """The text of one contract column, from the delivered record."""
    if source.value is not None:
        text = literal(source.value)
    elif source.coalesce:
        parts = ", ".join(
            _list_item(mapping, c) if isinstance(c, ListItem) else _scalar(mapping, c)
            for c in source.coalesce
        )
        text = f"coalesce({parts})"
    elif source.concat:
        parts = ", ".join(_field(mapping, f) for f in source.concat)
        text = f"nullif(trim(concat_ws({literal(source.separator)}, {parts})), '')"
    elif source.key_values:
        items = f"CAST({_field(mapping, source.key_values, as_json=True)} AS JSON[])"
        pairs = f"list_transform({items}, p -> {{'k': p ->> '$.key', 'v': {_key_value('p')}}})"
        text = f"CAST(to_json(map_from_entries({pairs})) AS VARCHAR)"
    elif source.key_value:
        items = f"CAST({_field(mapping, source.field or '', as_json=True)} AS JSON[])"
        match = f"list_filter({items}, p -> (p ->> '$.key') = {literal(source.key_value)})[1]"
        text = _key_value(f"({match})")
    elif source.as_json:
        text = f"CAST({_field(mapping, source.field or '', as_json=True)} AS VARCHAR)"
    else:
        text = _field(mapping, source.field or "")
    if source.values:
        cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in source.values.items())
        text = f"CASE {text} {cases} ELSE {text} END"
    if source.country:
        text = _country(text)
    # A number or timestamp that does not parse stays as delivered, so the type rule
    # quarantines the row.
    if source.divide_by:
        number = f"round(TRY_CAST({text} AS DOUBLE) / {source.divide_by!r}, 2)"
        text = f"coalesce(CAST({number} AS VARCHAR), {text})"
    if source.minutes_after:
        start = f"TRY_CAST({_field(mapping, source.minutes_after)} AS TIMESTAMPTZ)"
        minutes = f"to_microseconds(CAST(TRY_CAST({text} AS DOUBLE) * 60e6 AS BIGINT))"
        later = f"coalesce(CAST({start} + {minutes} AS VARCHAR), {text})"
        text = f"CASE WHEN {text} IS NOT NULL THEN {later} END"
    if source.parse:
        seconds = f"TRY_CAST({text} AS DOUBLE) / {EPOCHS[source.parse]}"
        text = f"coalesce(CAST(to_timestamp({seconds}) AS VARCHAR), {text})"
    elif source.date_format or source.timezone:
        parsed = (
            f"try_strptime({text}, {literal(source.date_format)})"
            if source.date_format
            else f"TRY_CAST({text} AS TIMESTAMP)"
        )
        if source.timezone:
            parsed = f"timezone({literal(source.timezone)}, {parsed})"
        text = f"coalesce(CAST({parsed} AS VARCHAR), {text})"
    if source.when:
        conditions = " AND ".join(
            f"{_field(mapping, f)} IN ({', '.join(literal(v) for v in vs)})"
            for f, vs in source.when.items()
        )
        text = f"CASE WHEN {conditions} THEN {text} END"
    return text


def _json_records(fmt: str, records: str | None, param: str) -> str:
    """Rows of one JSON column `_record`, numbered as delivered."""
    if fmt == "jsonl":
        body = (
            f"SELECT json AS _record FROM read_json_objects(${param}, format = 'newline_delimited')"
        )
    elif fmt == "parquet":
        body = f"SELECT to_json(t) AS _record FROM read_parquet(${param}) AS t"
    elif records:
        body = (
            f"SELECT unnest(CAST(json -> {literal(records)} AS JSON[])) AS _record "
            f"FROM read_json_objects(${param}, format = 'auto')"
        )
    else:
        body = f"SELECT json AS _record FROM read_json_objects(${param}, format = 'array')"
    return f"(SELECT row_number() OVER () AS _row, _record FROM ({body}))"


def _row_filters(mapping: EntityMapping) -> tuple[tuple[str, str], ...]:
    """Rules over the raw row: the filtered field is read back from `_extra`, which holds the
    whole JSON record, or the CSV column (kept there, see `_csv`); and that a mapped country
    is an ISO code."""
    rules = []
    for field_name, values in mapping.keep.items():
        path = field_name if mapping.format != "csv" else f"$.{quote(field_name)}"
        allowed = ", ".join(literal(v) for v in values)
        rules.append(
            (
                f"filtered:{field_name}",
                f"coalesce((_extra ->> {literal(path)}) NOT IN ({allowed}), true)",
            )
        )
    # A country the table does not know stays as delivered: quarantined, as a value map's
    # unknown value is by the contract's allowed values.
    codes = ", ".join(literal(c) for c in alpha_2_codes())
    for column, source in mapping.columns.items():
        if source.country:
            rules.append((f"allowed:{column}", f"{quote(column)} NOT IN ({codes})"))
    return tuple(rules)


def _bound(mapping: EntityMapping) -> dict[str, Any]:
    """The values the column expressions bind: the country names table, when one maps a country."""
    if not any(s.country for s in mapping.columns.values()):
        return {}
    names, codes = country_table()
    return {"country_names": list(names), "country_codes": list(codes)}


def _copies(source: ColumnSource) -> bool:
    """Whether the contract column is the delivered field as it is (no translation)."""
    return bool(source.field) and not (
        source.values
        or source.parse
        or source.date_format
        or source.timezone
        or source.divide_by
        or source.minutes_after
        or source.key_value
        or source.as_json
        or source.when
        or source.coalesce
        or source.country
    )


def _with_lookups(record: str, lookups: str) -> str:
    """The record with `_lookups` added as its last key, every value kept. A JSON merge patch
    (RFC 7386) would drop the lookup records' null fields, so the object is spliced in as text
    into the record (a `_lookups` key the vendor delivered is removed first)."""
    text = f"CAST(json_merge_patch({record}, '{{\"_lookups\": null}}'::JSON) AS VARCHAR)"
    member = f"'\"_lookups\":' || CAST({lookups} AS VARCHAR)"
    return (
        f"CAST(CASE WHEN {text} = '{{}}' THEN '{{' || {member} || '}}' "
        f"ELSE substr({text}, 1, length({text}) - 1) || ',' || {member} || '}}' END AS JSON)"
    )


class MappingReader:
    """A Reader for one source, from its mapping."""

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.name = mapping.name

    def file_patterns(self, entity: Entity) -> tuple[str, ...]:
        found = self.mapping.entities.get(entity.name)
        return found.files if found else ()

    def relation(
        self, con: duckdb.DuckDBPyConnection, entity: Entity, path: Path, source_file: str
    ) -> SourceRelation:
        mapping = self.mapping.entities[entity.name]
        confined(path, source_file)
        if mapping.format == "csv":
            return self._csv(entity, mapping, path, source_file)
        return self._json(mapping, path)

    def _csv(
        self, entity: Entity, mapping: EntityMapping, path: Path, source_file: str
    ) -> SourceRelation:
        names = csv_header(path, source_file, mapping.delimiter)
        values, verbatim = {}, set()
        for column, source in mapping.columns.items():
            fields = source.fields()
            if source.coalesce:
                # Alternatives the file lacks are left out (Salesforce: BillingCountryCode exists
                # only with country picklists); the column is absent only when all are.
                present = tuple(c for c in source.coalesce if c in names)
                source = dataclasses.replace(source, coalesce=present)
                fields = [f for f in fields if f in names] or fields
            absent = [f for f in [*fields, *source.when] if f not in names]
            if absent and column in entity.required_columns:
                raise ExtractError(
                    source_file,
                    f"column(s) {', '.join(absent)} (mapped to {column} by {self.name}) not in "
                    f"the file; it has: {header_names(names)}",
                )
            if absent:
                continue
            if _copies(source):
                verbatim.update(f for f in fields if f not in mapping.keep)
            values[column] = column_sql(mapping, source)
        # A column is only left out of _extra when raw holds it exactly as delivered.
        extra = [n for n in names if n not in verbatim]
        relation = (
            f"(SELECT *, row_number() OVER () AS _row "
            f"FROM {csv_relation(names, mapping.delimiter)})"
        )
        if mapping.skip_rows:
            relation = f"(SELECT * FROM {relation} WHERE _row > {mapping.skip_rows})"
        return SourceRelation(
            sql=relation,
            values=values,
            row_number_sql="_row",
            extra_sql=unmapped_as_json(extra),
            extra_columns=tuple(extra),
            params=_bound(mapping),
            row_filters=_row_filters(mapping),
        )

    def _json(self, mapping: EntityMapping, path: Path) -> SourceRelation:
        # A JSON-lines file holds one record a line, whatever the mapping's format says: the
        # same vendor objects come as API pages (.json) or exports (.jsonl, .ndjson).
        lines = content_suffix(path) in (".jsonl", ".ndjson")
        fmt = "jsonl" if lines else mapping.format
        relation = f"{_json_records(fmt, mapping.records, 'path')} AS main"
        params: dict[str, Any] = {}
        for lookup in mapping.lookups:
            patterns = [q for p in lookup.files for q in (p, f"{p}.gz")]
            files = sorted(
                {confined(f, f.name) for p in patterns for f in path.parent.glob(p) if f.is_file()}
            )
            param = f"lookup_{lookup.name}"
            if files:
                params[param] = [str(f) for f in files]
                as_lines = all(content_suffix(f) in (".jsonl", ".ndjson") for f in files)
                rows = _json_records("jsonl" if as_lines else lookup.format, lookup.records, param)
                joined = (
                    f"SELECT _record ->> {literal(lookup.key)} AS _key, "
                    f"_record AS {quote(lookup.name + '_record')} FROM {rows} "
                    "QUALIFY row_number() OVER (PARTITION BY _key ORDER BY _row DESC) = 1"
                )
            else:
                joined = (
                    f"SELECT NULL::VARCHAR AS _key, NULL::JSON AS {quote(lookup.name + '_record')}"
                )
            relation += (
                f" LEFT JOIN ({joined}) AS {quote(lookup.name)} "
                f"ON {quote(lookup.name)}._key = (main._record ->> {literal(lookup.on)})"
            )
        # The whole delivered record, and the lookups' under `_lookups`: nothing is dropped.
        extra = "main._record"
        if mapping.lookups:
            joined = ", ".join(
                f"{literal(lk.name)}, {quote(lk.name + '_record')}" for lk in mapping.lookups
            )
            extra = _with_lookups("main._record", f"json_object({joined})")
        return SourceRelation(
            sql=relation,
            values={c: column_sql(mapping, s) for c, s in mapping.columns.items()},
            row_number_sql="main._row",
            extra_sql=extra,
            params={**params, **_bound(mapping)},
            is_text=False,
            row_filters=_row_filters(mapping),
        )
