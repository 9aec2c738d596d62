"""Identity match rates: how much of each source resolves to a known person, watched daily."""

from __future__ import annotations

import dagster as dg
import duckdb

from cx_pipeline import catalog
from cx_pipeline.resources import CxSettings

MATCH_FLOOR_CHECK = "linked_share_above_floor"


def match_floor_results(
    con: duckdb.DuckDBPyConnection, cx_settings: CxSettings
) -> list[dg.AssetCheckResult]:
    """Fails when an entity's share of rows linked to a contact falls under the floor: a vendor
    export that stopped carrying the e-mail shows up the same day, not in next quarter's NPS."""
    floor = cx_settings.identity_match_floor
    rates = con.execute(
        "SELECT entity, rows, linked, linked_share FROM marts.identity_match_rates "
        "WHERE rows > 0 ORDER BY entity"
    ).fetchall()
    below = [(entity, share) for entity, _, _, share in rates if share < floor]
    return [
        dg.AssetCheckResult(
            check_name=MATCH_FLOOR_CHECK,
            passed=not below,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                "Below the floor: " + ", ".join(f"{e} {s:.1%}" for e, s in below)
                if below
                else f"Every entity links at least {floor:.0%} of its rows to a contact."
            ),
            metadata={
                "floor": floor,
                **{f"{entity}_linked_share": float(share) for entity, _, _, share in rates},
            },
        )
    ]


# Checks written in Python, attached to their mart by name (marts/assets.py).
CHECKS = {
    "identity_match_rates": (
        (
            dg.AssetCheckSpec(
                MATCH_FLOOR_CHECK,
                asset=catalog.key("marts", "identity_match_rates"),
                description="Each entity links at least CX_IDENTITY_MATCH_FLOOR of its rows.",
            ),
        ),
        match_floor_results,
    ),
}
