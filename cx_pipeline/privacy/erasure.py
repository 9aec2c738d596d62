"""Erasing a person: every row about them, in every table and file the pipeline writes.

A request names a contact id or an e-mail address (the contacts behind either are found in every
CRM snapshot). Their CRM rows are deleted; rows they are in elsewhere (answers, tickets, events,
interviews, follow-ups) lose the link to them and their free text, so company-level counts stay
right. The request is remembered only as SHA-256 hashes of the identifiers in audit.erasures,
never the values, and the loader applies it again to any file loaded later: reloading an old
extract does not bring the person back. Staging, the marts and the serving file are then rebuilt
(cx_rebuild).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from pathlib import Path
from typing import Any

import duckdb

from cx_pipeline.contract import ENTITIES, Entity
from cx_pipeline.sql import execute, literal, quote, scalar, table_exists

ERASED = "[erased]"
ERASURES_DDL = """
CREATE TABLE IF NOT EXISTS audit.erasures (
    erasure_id VARCHAR,
    requested_at TIMESTAMPTZ,
    reason VARCHAR,
    identifier_hashes VARCHAR[],
    rows_erased JSON
)
"""
# Columns that identify a person; e-mails also match with their +tag dropped (jo+x@ = jo@).
PERSON_COLUMNS = ("contact_id", "email", "requester_email", "respondent_email", "anonymous_id")
EMAIL_COLUMNS = ("email", "requester_email", "respondent_email")


# Maintained marts (marts/incremental.py) keep a snapshot of the identity links they were built
# with, as audit.<mart>_identity: contact and device ids. An erasure drops them; the next build
# of such a mart is a full one anyway (raw was rewritten), which takes a new snapshot.
IDENTITY_SNAPSHOT_SUFFIX = "_identity"


def identifier_hash(value: str) -> str:
    """How an identifier is remembered: trimmed, lower-cased, SHA-256 (as sha256() in SQL)."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def holds_people(entity: Entity) -> bool:
    return any(c in entity.column_names for c in PERSON_COLUMNS)


def _matches(entity: Entity, value: Any) -> str:
    """SQL: this row is about an erased person. `value(column)` reads a column's text."""
    erased = "(SELECT unnest(identifier_hashes) FROM audit.erasures)"
    tests = [
        f"sha256(lower(trim({value(c)}))) IN {erased}"
        for c in PERSON_COLUMNS
        if c in entity.column_names
    ] + [
        f"sha256(normal_email({value(c)}, true)) IN {erased}"
        for c in EMAIL_COLUMNS
        if c in entity.column_names
    ]
    return "(" + " OR ".join(tests) + ")"


def _masked_record(entity: Entity) -> str:
    """The quarantine's copy of a row, with the person taken out."""
    fields = [("contact_id", "NULL")] + [
        (c.name, f"'{ERASED}'") for c in entity.columns if c.personal
    ]
    pairs = ", ".join(f"'{name}', {value}" for name, value in fields)
    return f"json_merge_patch(record, json_object({pairs}))"


def erase_rows(
    con: duckdb.DuckDBPyConnection, entity: Entity, scope: str = "TRUE", **params: Any
) -> int:
    """Apply every recorded erasure to the raw and quarantine rows in `scope` (SQL over the
    lineage columns). Returns how many raw rows were deleted (the person's own CRM rows)."""
    if not holds_people(entity):
        return 0
    con.execute(ERASURES_DDL)
    if not scalar(con, "SELECT count(*) FROM audit.erasures"):
        return 0  # nobody to erase: no need to hash every row of a large load
    in_raw = _matches(entity, quote)
    in_record = _matches(entity, lambda c: f"(record ->> '{c}')")
    if entity.name == "contacts":
        deleted = scalar(
            con, f"SELECT count(*) FROM raw.contacts WHERE {scope} AND {in_raw}", **params
        )
        execute(con, f"DELETE FROM raw.contacts WHERE {scope} AND {in_raw}", **params)
        execute(con, f"DELETE FROM quarantine.contacts WHERE {scope} AND {in_record}", **params)
        return deleted
    personal = [c.name for c in entity.columns if c.personal]
    assignments = ", ".join(
        ["contact_id = NULL", "_extra = NULL"]
        + [f"{quote(c)} = CASE WHEN {quote(c)} IS NOT NULL THEN '{ERASED}' END" for c in personal]
    )
    execute(con, f"UPDATE raw.{entity.name} SET {assignments} WHERE {scope} AND {in_raw}", **params)
    execute(
        con,
        f"UPDATE quarantine.{entity.name} SET record = {_masked_record(entity)} "
        f"WHERE {scope} AND {in_record}",
        **params,
    )
    return 0


def record_erasure(
    con: duckdb.DuckDBPyConnection, contact_id: str | None, email: str | None, reason: str
) -> dict[str, Any]:
    """Find the person's identifiers, remember their hashes, erase them from raw and
    quarantine. Returns what was done, without any erased value."""
    if not (contact_id or email):
        raise ValueError("name the person to erase: a contact id, an e-mail address, or both")
    con.execute(ERASURES_DDL)
    ids = {contact_id.strip().lower()} if contact_id else set()
    emails = {email.strip().lower()} if email else set()
    if table_exists(con, "raw", "contacts"):
        # Every snapshot: a contact id that once had this e-mail, and every e-mail it had.
        rows = execute(
            con,
            "SELECT DISTINCT lower(trim(contact_id)), lower(trim(email)) FROM raw.contacts "
            "WHERE list_contains($ids, lower(trim(contact_id))) "
            "OR list_contains($emails, lower(trim(email)))",
            ids=sorted(ids),
            emails=sorted(emails),
        ).fetchall()
        ids |= {i for i, _ in rows if i}
        emails |= {e for _, e in rows if e}
    emails |= {scalar(con, "SELECT normal_email($e, true)", e=e) or e for e in emails}
    if ids and table_exists(con, "raw", "events"):
        # The person's devices: their anonymous events (before login) are theirs too.
        devices = execute(
            con,
            "SELECT DISTINCT lower(trim(anonymous_id)) FROM raw.events "
            "WHERE anonymous_id IS NOT NULL AND list_contains($ids, lower(trim(contact_id)))",
            ids=sorted(ids),
        ).fetchall()
        ids |= {d for (d,) in devices}
    hashes = sorted(identifier_hash(v) for v in ids | emails)
    erasure_id = uuid.uuid4().hex
    con.execute("BEGIN TRANSACTION")
    try:
        execute(
            con,
            "INSERT INTO audit.erasures VALUES ($id, $at, $reason, $hashes, NULL)",
            id=erasure_id,
            at=dt.datetime.now(dt.UTC),
            reason=reason,
            hashes=hashes,
        )
        counts = {}
        for entity in ENTITIES:
            if not table_exists(con, "raw", entity.name) or not holds_people(entity):
                continue
            before = _person_rows(con, entity)
            deleted = erase_rows(con, entity)
            counts[entity.name] = {"rows_deleted": deleted, "rows_unlinked": before - deleted}
        for (snapshot,) in execute(
            con,
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'audit' "
            "AND suffix(table_name, $suffix)",
            suffix=IDENTITY_SNAPSHOT_SUFFIX,
        ).fetchall():
            con.execute(f"DROP TABLE audit.{quote(snapshot)}")
        execute(
            con,
            "UPDATE audit.erasures SET rows_erased = $counts::JSON WHERE erasure_id = $id",
            counts=counts,
            id=erasure_id,
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"erasure_id": erasure_id, "identifiers": len(hashes), "rows": counts}


def _person_rows(con: duckdb.DuckDBPyConnection, entity: Entity) -> int:
    return scalar(con, f"SELECT count(*) FROM raw.{entity.name} WHERE {_matches(entity, quote)}")


def compact(path: Path) -> tuple[int, int]:
    """Rewrite the warehouse file without its free blocks: DuckDB reuses the space of deleted
    and updated rows but does not wipe it, so an erased value could linger on disk until then.
    Needs the file to itself (no run, no other connection). Returns (bytes before, after)."""
    before = path.stat().st_size
    fresh = path.with_name(f".{path.name}.{uuid.uuid4().hex}.compact")
    with duckdb.connect(str(path)) as con:
        con.execute(f"ATTACH {literal(str(fresh))} AS compacted")
        (name,) = con.execute("SELECT current_database()").fetchone()
        con.execute(f"COPY FROM DATABASE {quote(name)} TO compacted")
        con.execute("DETACH compacted")
    os.replace(fresh, path)
    return before, path.stat().st_size
