"""The revenue rule, defined once (marts.account_revenue), and every tiered mart reading it.

Hand computation on the tiny extracts (as of 2026-03-31; tiers SMB < 10,000 <= mid-market <
100,000 <= enterprise):
  A1  customer (S1, S6 active), CRM ARR 5,000                 -> 5,000 crm                 SMB
  A2  lost 10 Jan; MRR on 9 Jan: S2 4,000 -> 12 x = 48,000     (CRM still says 50,000)   mid-market
  A3  customer (S4 ends 15 Apr, after the as-of), CRM 150,000  -> crm                enterprise
  A4  lost 20 Dec; MRR on 19 Dec: S5 1,500 -> 18,000                                  mid-market
  A5  never subscribed, no CRM ARR                             -> null               unknown
  A6  lost 1 Mar; MRR on 28 Feb: S7 1,000 -> 12,000                                   mid-market
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cx_pipeline_tests.conftest import Query, materialize_all, reader, up_to
from cx_pipeline_tests.tiny_extracts import write_tiny_extracts

EXPECTED = {
    "A1": (True, Decimal("5000.00"), "crm", "SMB"),
    "A2": (False, Decimal("48000.00"), "last day as a customer", "mid-market"),
    "A3": (True, Decimal("150000.00"), "crm", "enterprise"),
    "A4": (False, Decimal("18000.00"), "last day as a customer", "mid-market"),
    "A5": (False, None, "crm, never subscribed", "unknown"),
    "A6": (False, Decimal("12000.00"), "last day as a customer", "mid-market"),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Query:
    base = tmp_path_factory.mktemp("revenue_rule")
    warehouse = base / "cx.duckdb"
    materialize_all(
        write_tiny_extracts(base / "extracts"),
        warehouse,
        selection=up_to("marts.account_revenue", "marts.nps_answers", "marts.account_segments"),
    )
    return reader(warehouse)


def test_the_revenue_rule_hand_computed(tiny: Query) -> None:
    rows = tiny(
        "SELECT account_id, is_customer, arr, arr_basis, revenue_tier FROM marts.account_revenue"
    )
    assert {a: tuple(rest) for a, *rest in rows} == EXPECTED


@pytest.mark.parametrize("mart", ["nps_answers", "account_segments"])
def test_every_tiered_mart_reads_the_one_rule(tiny: Query, mart: str) -> None:
    assert tiny(
        f"SELECT count(*) FROM marts.{mart} AS m JOIN marts.account_revenue AS r "
        "USING (account_id) WHERE m.revenue_tier <> r.revenue_tier"
    ) == [(0,)]


def test_survey_answers_share_the_nps_answers_segments_on_the_sample(
    sample_warehouse: Path,
) -> None:
    """An NPS question asked through survey_answers lands in the same tier, tenure band and
    influence level as the same person's NPS answer on the same day would."""
    query = reader(sample_warehouse)
    assert query(
        "SELECT count(*) FROM marts.survey_answer_segments AS s "
        "JOIN marts.account_revenue AS r USING (account_id) "
        "WHERE s.revenue_tier <> r.revenue_tier"
    ) == [(0,)]
    differing = query(
        """
        SELECT count(*) FROM marts.survey_answer_segments AS s
        JOIN marts.nps_answers AS n
          ON n.account_id = s.account_id AND n.contact_id = s.contact_id
         AND n.submitted_day = s.submitted_day
        WHERE (s.revenue_tier, s.tenure_band, s.influence_level)
           <> (n.revenue_tier, n.tenure_band, n.influence_level)
        """
    )
    assert differing == [(0,)]
