"""Mart previews: Dagster keeps them in its event log, which no erasure reaches, so they must
carry nobody's identifiers or words; the serving file's rule is the same one."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cx_pipeline.marts.builder import MartSpec, _preview, load_spec, write_empty
from cx_pipeline.privacy.masking import WITHHELD, masked
from cx_pipeline.serving import publish

NOTE = "Two outages hurt trust; call me on +44 20 7946 0958 or jo.smith@example.com"


def _mart(tmp_path: Path, spec: MartSpec, rows: list[dict]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "cx.duckdb"))
    con.execute("CREATE SCHEMA marts")
    write_empty(con, spec)
    for row in rows:
        names = ", ".join(row)
        values = ", ".join(f"${n}" for n in row)
        con.execute(f"INSERT INTO marts.{spec.name} ({names}) VALUES ({values})", row)
    return con


def test_a_preview_hashes_who_and_withholds_what_they_said(tmp_path: Path) -> None:
    row = {"source": "interview", "item_id": "I9", "contact_id": "C0000040", "text": NOTE}
    with _mart(tmp_path, load_spec("feedback_themes"), [row]) as con:
        preview = _preview(con, load_spec("feedback_themes"))
    assert "C0000040" not in preview  # not declared personal by the mart: hashed all the same
    assert "hash:" in preview and "I9" in preview
    assert "outages" not in preview and "jo.smith" not in preview
    assert WITHHELD in preview


def test_a_list_of_quotes_is_withheld_in_a_preview(tmp_path: Path) -> None:
    text_columns = {
        c: t
        for c, t, _ in load_spec("segment_tracker").columns
        if c in load_spec("segment_tracker").free_text
    }
    assert any(t.endswith("[]") for t in text_columns.values())
    with _mart(tmp_path, load_spec("segment_tracker"), [{c: [NOTE] for c in text_columns}]) as con:
        preview = _preview(con, load_spec("segment_tracker"))
    assert "outages" not in preview and WITHHELD in preview


def test_the_serving_file_uses_the_same_rule() -> None:
    assert publish.masked is masked
    # Unchanged for the serving file: free text keeps its words, contact details masked.
    assert "mask_contact_details" in masked("text", load_spec("feedback_themes"))
    assert masked("contact_id", load_spec("feedback_themes")) == '"contact_id"'
