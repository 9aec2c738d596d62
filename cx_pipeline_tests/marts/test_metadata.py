"""Every mart is sql/<name>.toml plus sql/<name>.sql (or a registered compute function): each
TOML parses, names only documented keys, and no SQL file goes without its documentation."""

from __future__ import annotations

import tomllib
from importlib import resources as package_files

import pytest

from cx_pipeline.marts import assets, builder
from cx_pipeline.marts.builder import (
    COLUMN_KEYS,
    REFERENCE_KEYS,
    SPEC_KEYS,
    load_spec,
    mart_names,
    read_metadata,
)

SQL_DIR = package_files.files("cx_pipeline.marts").joinpath("sql")


@pytest.mark.parametrize("name", mart_names(".toml"))
def test_every_metadata_file_parses_with_documented_keys_only(name: str) -> None:
    metadata = tomllib.loads(SQL_DIR.joinpath(f"{name}.toml").read_text())
    assert set(metadata) <= SPEC_KEYS, f"{name}.toml: unknown {set(metadata) - SPEC_KEYS}"
    assert {"description", "family", "columns"} <= set(metadata)
    for column in metadata["columns"]:
        assert set(column) == COLUMN_KEYS or {"columns_from"} <= set(column) <= REFERENCE_KEYS
    spec = load_spec(name)
    documented = [c[0] for c in spec.columns]
    assert len(documented) == len(set(documented)), f"{name}: a column documented twice"
    for key in ("grain", "grain_nulls", "free_text", "personal_identifiers"):
        assert set(getattr(spec, key)) <= set(documented), f"{name}.{key}"


def test_every_sql_mart_has_metadata_and_every_metadata_a_builder() -> None:
    sql, toml = set(mart_names(".sql")), set(mart_names(".toml"))
    computed = {s.name for s, _ in assets.COMPUTED_MARTS}
    assert sql <= toml, f"SQL without metadata: {sql - toml}"
    assert toml - sql == computed, "a TOML without SQL must have a registered compute function"
    assert not sql & computed
    assert {s.name for s in assets.ALL_MART_SPECS} == toml


def test_columns_from_takes_another_marts_columns_in_the_order_named() -> None:
    quarter = dict((c, (t, d)) for c, t, d in load_spec("nps_by_quarter").columns)
    month = dict((c, (t, d)) for c, t, d in load_spec("nps_by_month").columns)
    assert quarter["nps_low_95"] == month["nps_low_95"]
    features = load_spec("account_features").columns
    assert load_spec("churn_examples").columns[-len(features) :] == features


def test_a_misspelt_key_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    read_metadata.cache_clear()
    real = tomllib.loads
    monkeypatch.setattr(builder.tomllib, "loads", lambda text: {**real(text), "gran": ["oops"]})
    try:
        with pytest.raises(ValueError, match="unknown keys \\['gran'\\]"):
            read_metadata("churn_by_month")
    finally:
        read_metadata.cache_clear()


@pytest.mark.parametrize(
    ("name", "changed"),
    [
        ("ticket_metrics", {"key": []}),  # kind keys without a key
        ("ticket_metrics", {"key": ["created_at"]}),  # not the grain's first column
        ("ticket_metrics", {"key": ["ticket_id"], "grain_nulls": ["ticket_id"]}),  # may be null
        ("churn_by_month", {"key": ["month"]}),  # a key on a mart not kept by key
    ],
)
def test_a_key_that_cannot_rebuild_its_rows_fails_loudly(
    monkeypatch: pytest.MonkeyPatch, name: str, changed: dict
) -> None:
    read_metadata.cache_clear()
    real = tomllib.loads
    monkeypatch.setattr(builder.tomllib, "loads", lambda text: {**real(text), **changed})
    try:
        with pytest.raises(ValueError, match="a mart with incremental = 'keys' names its key"):
            read_metadata(name)
    finally:
        read_metadata.cache_clear()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((".toml", "orphan"), "sql/orphan.toml has neither orphan.sql nor a registered compute"),
        ((".sql", "lonely"), "sql/lonely.sql has no lonely.toml"),
    ],
)
def test_a_mart_file_without_its_pair_fails_when_the_marts_load(
    monkeypatch: pytest.MonkeyPatch, extra: tuple[str, str], message: str
) -> None:
    real = assets.mart_names
    suffix, name = extra
    monkeypatch.setattr(
        assets, "mart_names", lambda s=".toml": real(s) + ([name] if s == suffix else [])
    )
    with pytest.raises(ValueError, match=message):
        assets._specs()
