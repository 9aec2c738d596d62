"""Identity resolution: every rule on hand-made extracts, precision and recall on planted truth."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from cx_pipeline import catalog
from cx_pipeline.marts.identity import MATCH_FLOOR_CHECK
from cx_pipeline_tests.conftest import (
    RAW_AND_STAGING,
    REPO_ROOT,
    SAMPLE_ROOT,
    materialize_all,
    up_to,
)
from cx_pipeline_tests.staging.identity_extracts import write_identity_extracts
from cx_pipeline_tests.tiny_extracts import AS_OF

MAP = catalog.key("staging", "identity_map")
RATES = catalog.key("marts", "identity_match_rates")


@pytest.fixture(scope="module")
def hand_made_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made extracts, materialized once (under root.parent / cx.duckdb)."""
    base = tmp_path_factory.mktemp("identity")
    root = write_identity_extracts(base / "extracts")
    materialize_all(
        root,
        base / "cx.duckdb",
        as_of=AS_OF.isoformat(),
        selection=RAW_AND_STAGING | up_to("marts.nps_by_month", "marts.identity_match_rates"),
    )
    return root


@pytest.fixture
def hand_made(hand_made_root: Path) -> Callable[..., list[tuple]]:
    def run(sql: str) -> list[tuple]:
        with duckdb.connect(str(hand_made_root.parent / "cx.duckdb"), read_only=True) as con:
            return con.execute(sql).fetchall()

    return run


def test_each_rule_links_what_it_should_and_nothing_else(hand_made: Callable) -> None:
    tickets = hand_made(
        "SELECT ticket_id, contact_id, account_id, identity_rule, identity_status "
        "FROM staging.resolved_tickets ORDER BY ticket_id"
    )
    assert tickets == [
        ("T1", "C2", "A1", "contact_id", "linked"),
        ("T2", "C2", "A1", "email", "linked"),
        ("T3", "C2", "A1", "email", "linked"),
        ("T4", None, None, None, "ambiguous"),
        ("T5", None, "A3", "account_domain", "account_only"),
        ("T6", None, "A6", "account_id", "account_only"),
        ("T7", None, None, None, "ambiguous"),
        ("T8", None, None, None, "unlinked"),
        ("T9", None, None, None, "unlinked"),
    ]
    events = hand_made(
        "SELECT event_id, contact_id, account_id, identity_rule, identity_status "
        "FROM staging.resolved_events ORDER BY event_id"
    )
    assert events == [
        ("E1", "C1", "A1", "contact_id", "linked"),
        ("E2", "C1", "A1", "anonymous_id", "linked"),
        ("E3", "C2", "A1", "contact_id", "linked"),
        ("E4", "C4", "A3", "contact_id", "linked"),
        ("E5", None, None, None, "ambiguous"),
        ("E6", None, None, None, "unlinked"),
        ("E7", "C4", "A3", "contact_id", "linked"),
    ]
    # The source id stays visible beside the resolved one.
    assert hand_made(
        "SELECT source_contact_id FROM staging.resolved_tickets WHERE ticket_id = 'T8'"
    ) == [("C99",)]


def test_unlinked_answers_count_for_the_company_not_for_segments(hand_made: Callable) -> None:
    answers = hand_made(
        "SELECT response_id, contact_id, account_id, region, influence_level "
        "FROM marts.nps_answers ORDER BY response_id"
    )
    assert answers == [
        ("R1", "C1", "A1", "North America", "c_level"),
        ("R2", "C3", "A2", "EMEA", "senior_manager"),
        ("R3", "C3", "A2", "EMEA", "senior_manager"),
        ("R4", None, "A3", "APAC", "unknown"),
        ("R5", None, "A1", "North America", "unknown"),
        ("R6", None, None, "unknown", "unknown"),
    ]
    # 2 promoters (9, 10), 1 passive (8), 3 detractors (6, 3, 0): NPS = (2 - 3) / 6.
    assert hand_made(
        "SELECT responses, nps FROM marts.nps_by_month WHERE month = DATE '2026-03-01'"
    ) == [(6, pytest.approx(100 * (2 - 3) / 6))]


def test_match_rates_by_entity(hand_made: Callable) -> None:
    rates = hand_made(
        "SELECT entity, rows, linked, account_only, ambiguous, unlinked, by_contact_id, "
        "by_email, by_anonymous_id, by_account_id, by_account_domain "
        "FROM marts.identity_match_rates ORDER BY entity"
    )
    assert rates == [
        ("events", 7, 5, 0, 1, 1, 4, 0, 1, 0, 0),
        ("interviews", 1, 1, 0, 0, 0, 1, 0, 0, 0, 0),
        ("nps_responses", 6, 3, 2, 0, 1, 1, 2, 0, 1, 1),
        ("tickets", 9, 3, 2, 2, 2, 1, 2, 0, 1, 1),
    ]


def test_plus_addressing_is_a_setting(tmp_path: Path) -> None:
    root = write_identity_extracts(tmp_path / "extracts")
    materialize_all(
        root,
        tmp_path / "cx.duckdb",
        as_of=AS_OF.isoformat(),
        identity_plus_addressing=False,
        selection=up_to("staging.resolved_tickets"),
    )
    with duckdb.connect(str(tmp_path / "cx.duckdb"), read_only=True) as con:
        t3 = con.execute(
            "SELECT contact_id, account_id, identity_rule FROM staging.resolved_tickets "
            "WHERE ticket_id = 'T3'"
        ).fetchall()
    # Without it bob+billing@ is another mailbox: only the domain says which company.
    assert t3 == [(None, "A1", "account_domain")]


def check_result(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (evaluation,) = [
        e for e in result.get_asset_check_evaluations() if e.check_name == MATCH_FLOOR_CHECK
    ]
    return evaluation


def test_the_match_floor_check_fails_below_the_floor(hand_made_root: Path, tmp_path: Path) -> None:
    # Tickets link 3 of 9 rows: under any sensible floor. Rebuild only the mart, at two floors,
    # on a copy of the warehouse.
    root = hand_made_root
    shutil.copy(root.parent / "cx.duckdb", tmp_path / "cx.duckdb")
    only_rates = dg.AssetSelection.assets(RATES)
    low = materialize_all(
        root,
        tmp_path / "cx.duckdb",
        selection=only_rates,
        identity_match_floor=0.3,
        as_of=AS_OF.isoformat(),
    )
    assert check_result(low).passed
    high = materialize_all(
        root,
        tmp_path / "cx.duckdb",
        selection=only_rates,
        as_of=AS_OF.isoformat(),
        raise_on_error=False,
    )
    evaluation = check_result(high)
    assert not evaluation.passed
    assert "tickets 33.3%" in evaluation.description


IDENTITY_TRUTH = SAMPLE_ROOT / "_identities.csv"
IDENTITY_DOC = REPO_ROOT / "docs" / "identity.md"


def doc_table(after: str) -> list[str]:
    """The Markdown table that follows the line `after` in docs/identity.md, row by row."""
    lines = IDENTITY_DOC.read_text().splitlines()
    start = lines.index(after) + 1
    while not lines[start].startswith("|"):
        start += 1
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return lines[start:end]


def assert_doc_shows(after: str, table: list[str]) -> None:
    """The sample's figures in docs/identity.md are the ones the sample gives today; on a
    change, the message holds the table to paste."""
    assert doc_table(after) == table, (
        f"docs/identity.md is out of date: under {after!r} put\n" + "\n".join(table)
    )


def share(part: int, whole: int) -> str:
    return f"{part:,} ({100 * part / whole:.1f}%)" if part != whole else f"{part:,}"


def test_the_docs_match_rates_are_the_samples(sample_query: Callable) -> None:
    rows = sample_query(
        "SELECT entity, rows, linked, account_only, ambiguous, unlinked "
        "FROM marts.identity_match_rates ORDER BY source, entity"
    )
    assert_doc_shows(
        "On the sample (`data/sample`):",
        [
            "| entity | rows | linked | account only | ambiguous | unlinked |",
            "|---|---|---|---|---|---|",
            *(
                f"| {e} | {n:,} | {share(linked, n)} | {acc:,} | {amb:,} | {un:,} |"
                for e, n, linked, acc, amb, un in rows
            ),
        ],
    )


def precision_recall(links: pl.DataFrame) -> tuple[float, float]:
    """Over identifiers with a planted person: links made that are right / links made, and
    right links / identifiers whose person the CRM knows."""
    made = links.filter(pl.col("contact_id").is_not_null())
    right = made.filter(pl.col("contact_id") == pl.col("true_contact_id")).height
    knowable = links.filter(pl.col("truth") == "contact").height
    return right / made.height, right / knowable


def test_precision_and_recall_on_planted_identities(sample_warehouse: Path, tmp_path: Path) -> None:
    truth = pl.read_csv(IDENTITY_TRUTH, schema_overrides={"key": pl.String})
    truth = truth.rename({"contact_id": "true_contact_id", "account_id": "true_account_id"})
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT 'tickets' AS entity, ticket_id AS key, contact_id, account_id "
            "FROM staging.resolved_tickets UNION ALL "
            "SELECT 'nps_responses', response_id, contact_id, account_id "
            "FROM staging.resolved_nps_responses"
        ).pl()
        devices = con.execute(
            "SELECT source_value AS identifier, contact_id, account_id, status "
            "FROM staging.identity_map WHERE identifier_type = 'anonymous_id'"
        ).pl()
    # Tickets and answers that carried only an e-mail: every one linked right.
    by_row = truth.filter(pl.col("entity") != "events").join(rows, on=["entity", "key"])
    assert by_row.height == truth.filter(pl.col("entity") != "events").height
    assert precision_recall(by_row) == (1.0, 1.0)
    with_person = by_row.filter(pl.col("truth") == "contact").height
    strangers = by_row.filter(pl.col("truth") == "account")
    assert strangers["contact_id"].null_count() == strangers.height
    assert (strangers["account_id"] == strangers["true_account_id"]).all()
    # Devices: the planted shared ones come out ambiguous; the never-identified ones unlinked.
    by_device = truth.filter(pl.col("entity") == "events").join(devices, on="identifier")
    assert by_device.height == truth.filter(pl.col("entity") == "events").height
    precision, device_recall = precision_recall(by_device)
    assert precision == 1.0
    assert 0.95 <= device_recall < 1.0
    shared = by_device.filter(pl.col("truth") == "ambiguous")
    assert shared.height > 0 and (shared["status"] == "ambiguous").all()
    one_person = by_device.filter(pl.col("truth") == "contact")
    never_seen = one_person["contact_id"].null_count()

    # Without plus-addressing the +tagged spellings fall back to their company's domain.
    copy = tmp_path / "cx.duckdb"
    shutil.copy(sample_warehouse, copy)
    materialize_all(
        SAMPLE_ROOT,
        copy,
        selection=dg.AssetSelection.assets(MAP),
        identity_plus_addressing=False,
    )
    with duckdb.connect(str(copy), read_only=True) as con:
        rows = con.execute(
            "SELECT 'tickets' AS entity, ticket_id AS key, contact_id, account_id "
            "FROM staging.resolved_tickets"
        ).pl()
    by_row = truth.filter(pl.col("entity") == "tickets").join(rows, on=["entity", "key"])
    precision, recall = precision_recall(by_row)
    plus_tagged = by_row.filter(pl.col("identifier").str.contains("+", literal=True))
    assert precision == 1.0
    assert recall == pytest.approx(
        1 - plus_tagged.height / by_row.filter(pl.col("truth") == "contact").height
    )
    assert (plus_tagged["account_id"] == plus_tagged["true_account_id"]).all()

    assert_doc_shows(
        "`cx_pipeline_tests/staging/test_identity.py` measures, on the sample:",
        [
            "| identifiers | precision | recall |",
            "|---|---|---|",
            f"| e-mail-only tickets and answers ({with_person:,} with a CRM person) "
            "| 1.000 | 1.000 |",
            f"| the same, `CX_IDENTITY_PLUS_ADDRESSING=false` | {precision:.3f} | {recall:.3f} "
            "(tickets; the +tagged ones fall back to their account by domain) |",
            f"| device ids ({one_person.height:,} with one person) | 1.000 | "
            f"{device_recall:.3f} ({never_seen} devices never seen logged in; {shared.height} "
            "shared devices reported ambiguous) |",
        ],
    )
