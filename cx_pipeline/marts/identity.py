"""Identity match rates: how much of each source resolves to a known person, watched daily."""

from __future__ import annotations

import dagster as dg
import duckdb

from cx_pipeline import catalog
from cx_pipeline.marts.builder import MartSpec
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


IDENTITY_MATCH_RATES = MartSpec(
    name="identity_match_rates",
    grain=("source", "entity"),
    needs=("contacts",),
    description=(
        "Identity resolution health: per source entity, the rows linked to a CRM contact, to an "
        "account only, ambiguous or unlinked, and the rule that linked them "
        "(staging.identity_map). Checked daily against the CX_IDENTITY_MATCH_FLOOR share."
    ),
    columns=(
        ("source", "VARCHAR", "Source system: support, analytics or surveys."),
        ("entity", "VARCHAR", "tickets, events, nps_responses, survey_answers or interviews."),
        ("rows", "BIGINT", "Rows in staging."),
        ("linked", "BIGINT", "Rows resolved to one contact."),
        ("account_only", "BIGINT", "Rows resolved to an account but no contact."),
        ("ambiguous", "BIGINT", "Rows whose identifier fits several people."),
        ("unlinked", "BIGINT", "Rows linked to nobody (still counted where no person is needed)."),
        ("linked_share", "DECIMAL(18,4)", "linked / rows."),
        ("by_contact_id", "BIGINT", "Rows linked by their CRM contact id."),
        ("by_email", "BIGINT", "Rows linked by the normalised e-mail address."),
        ("by_anonymous_id", "BIGINT", "Rows linked by a device id seen with one contact."),
        ("by_account_id", "BIGINT", "Rows without a contact that carry their own account id."),
        ("by_account_domain", "BIGINT", "Rows tied to an account by the e-mail's domain."),
    ),
    check_specs=(
        dg.AssetCheckSpec(
            MATCH_FLOOR_CHECK,
            asset=catalog.key("marts", "identity_match_rates"),
            description="Each entity links at least CX_IDENTITY_MATCH_FLOOR of its rows.",
        ),
    ),
    evaluate_checks=match_floor_results,
)

SPECS = (IDENTITY_MATCH_RATES,)
