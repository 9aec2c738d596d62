"""Identity resolution: one contact behind the ids, e-mails and devices of every source.

`staging.identity_map` (rules in sql/identity_map.sql) links each identifier to a CRM contact and
account. The `staging.resolved_<entity>` views put those links on the rows: the same columns as
the staging table, with `contact_id` and `account_id` resolved, the delivered `source_contact_id`
kept, and the rule and status of each row's link. The marts read the views, so a ticket that
only knows its requester's e-mail still counts for that contact's segments, and a row nobody can
be linked to still counts where no person is needed (company NPS).
"""

from collections.abc import Iterator
from importlib import resources as package_files

import dagster as dg
import duckdb

from cx_pipeline import catalog
from cx_pipeline.contract import entity as contract_entity
from cx_pipeline.resources import CxSettings, Warehouse
from cx_pipeline.sql import execute, quote, scalar, table_exists

# Entity -> (column, identifier type) of its second person identifier besides contact_id.
SECOND_IDENTIFIER: dict[str, tuple[str, str] | None] = {
    "tickets": ("requester_email", "email"),
    "events": ("anonymous_id", "anonymous_id"),
    "nps_responses": ("respondent_email", "email"),
    "survey_answers": ("respondent_email", "email"),
    "survey_invitations": ("recipient_email", "email"),
    "interviews": None,
    "followups": None,
}
RESOLVED_ENTITIES = tuple(SECOND_IDENTIFIER)
RESOLVED_COLUMNS = (
    ("source_contact_id", "VARCHAR", "The contact id as delivered (may be empty or unknown)."),
    (
        "identity_rule",
        "VARCHAR",
        "What linked the row: contact_id, email or anonymous_id (a contact); account_id or "
        "account_domain (the account only); null when unlinked.",
    ),
    ("identity_status", "VARCHAR", "linked, account_only, ambiguous or unlinked."),
)
MAP_COLUMNS = (
    ("source", "VARCHAR", "Source system: support, analytics or surveys."),
    ("entity", "VARCHAR", "Extract entity the identifier appears in."),
    ("identifier_type", "VARCHAR", "contact_id, email or anonymous_id."),
    ("source_value", "VARCHAR", "The identifier spelled as delivered."),
    ("identifier", "VARCHAR", "The identifier as compared (e-mails normalised)."),
    ("contact_id", "VARCHAR", "The CRM contact it resolves to; null unless linked."),
    ("account_id", "VARCHAR", "The CRM account it resolves to (via the contact or the domain)."),
    ("rule", "VARCHAR", "contact_id, email, anonymous_id or account_domain; null otherwise."),
    ("status", "VARCHAR", "linked, account_only, ambiguous or unlinked."),
    ("rows", "BIGINT", "Rows of the entity carrying this identifier."),
)
MAP_SQL = package_files.files("cx_pipeline.staging").joinpath("sql/identity_map.sql").read_text()
# The events' (contact id, device id, account id) triples and how many events carry each, kept
# by the staging step of events in the transaction that changes staging.events: on an incremental
# day the map and the events' match rates read these instead of every event (at large: the map
# 10 s -> 6 s, the match rates 9 s -> under 1 s; moving a day's counts costs 0.7 s). A full build
# of the events counts them afresh, and so does the map on a warehouse staged before they were
# kept (or kept without the account). Events with none of the ids are a triple too, so the counts
# add up to staging.events' rows: each move is checked by that sum and counted afresh if it fails.
EVENT_PAIRS_TABLE = "_event_pairs"
PAIR_COLUMNS = "contact_id, anonymous_id, account_id"
_PAIRS = f"""
CREATE OR REPLACE TABLE staging._event_pairs AS
SELECT {PAIR_COLUMNS}, CAST(sum(rows) AS BIGINT) AS rows
FROM ({{rows}})
GROUP BY ALL
HAVING sum(rows) <> 0;
COMMENT ON TABLE staging._event_pairs IS 'Internal: each (contact_id, anonymous_id, account_id) \
of staging.events, nulls included, and how many events carry it; kept with staging.events for \
staging.identity_map and staging.resolved_event_pairs. Query those or staging.resolved_events.';
"""
COUNT_EVENT_PAIRS = _PAIRS.format(rows=f"SELECT {PAIR_COLUMNS}, 1 AS rows FROM staging.events")


def keep_event_pairs(
    con: duckdb.DuckDBPyConnection, replaced: str | None = None, candidate: str | None = None
) -> None:
    """Count the pairs of staging.events afresh, or, given the keys an incremental build
    `replaced` (a table of `key`) and its `candidate` rows, move the kept counts by the rows
    going and coming: call before the merge, in its transaction, and `check_event_pairs` after
    it."""
    if candidate is None or replaced is None or not has_event_pairs(con):
        con.execute(COUNT_EVENT_PAIRS)
    if candidate is not None and replaced is not None:
        moves = f"""
            SELECT {PAIR_COLUMNS}, rows FROM staging.{EVENT_PAIRS_TABLE}
            UNION ALL
            SELECT {PAIR_COLUMNS}, -1 FROM staging.events
            WHERE event_id IN (SELECT key FROM {replaced})
            UNION ALL
            SELECT {PAIR_COLUMNS}, 1 FROM {candidate}
        """
        con.execute(_PAIRS.format(rows=moves))


def has_event_pairs(con: duckdb.DuckDBPyConnection) -> bool:
    """The counts are there, with the account (a release before kept them without it). Asked by
    binding a query, as table_exists does: a failed bind leaves a transaction usable."""
    try:
        con.execute(f"SELECT {PAIR_COLUMNS}, rows FROM staging.{EVENT_PAIRS_TABLE} LIMIT 0")
    except (duckdb.CatalogException, duckdb.BinderException):
        return False
    return True


def check_event_pairs(con: duckdb.DuckDBPyConnection) -> bool:
    """After a move: True when the counts add up to staging.events' rows, none below one;
    otherwise count them afresh (a table kept by another release's rule) and return False."""
    holds = scalar(
        con,
        f"SELECT (SELECT coalesce(sum(rows), 0) FROM staging.{EVENT_PAIRS_TABLE}) "
        "= (SELECT count(*) FROM staging.events) "
        f"AND (SELECT coalesce(min(rows), 1) FROM staging.{EVENT_PAIRS_TABLE}) > 0",
    )
    if not holds:
        con.execute(COUNT_EVENT_PAIRS)
    return bool(holds)


def resolved_view(entity: str, name: str = "", rows: str = "") -> str:
    """The staging.resolved_<entity> view: the rows with their links (joins on the delivered
    spelling, so the view needs no macros and BI tools can read it). Given a `name` and other
    `rows` with the entity's id columns (its counted triples), the same links on those."""
    by_id = (
        f"LEFT JOIN staging.identity_map AS by_id ON by_id.entity = '{entity}' "
        "AND by_id.identifier_type = 'contact_id' AND by_id.source_value = t.contact_id"
    )
    second = SECOND_IDENTIFIER[entity]
    if second:
        column, kind = second
        other = (
            f"LEFT JOIN staging.identity_map AS other ON other.entity = '{entity}' "
            f"AND other.identifier_type = '{kind}' AND other.source_value = t.{quote(column)}"
        )
    else:  # no second identifier: an empty stand-in keeps one shape for every view
        other = (
            "LEFT JOIN (SELECT NULL::VARCHAR AS contact_id, NULL::VARCHAR AS account_id, "
            "NULL::VARCHAR AS rule, NULL::VARCHAR AS status) AS other ON FALSE"
        )
    contact = "coalesce(by_id.contact_id, other.contact_id)"
    if "account_id" in contract_entity(entity).column_names:
        own_account = "t.account_id"
        columns = f"t.* REPLACE ({contact} AS contact_id, {{account}} AS account_id)"
    else:  # interviews name the contact only: the account comes from the link
        own_account = "NULL"
        columns = f"t.* REPLACE ({contact} AS contact_id), {{account}} AS account_id"
    account = f"coalesce({own_account}, by_id.account_id, other.account_id)"
    columns = columns.format(account=account)
    return f"""
CREATE OR REPLACE VIEW staging.{name or f"resolved_{entity}"} AS
SELECT
    {columns},
    t.contact_id AS source_contact_id,
    CASE
        WHEN by_id.status = 'linked' THEN 'contact_id'
        WHEN other.status = 'linked' THEN other.rule
        WHEN {own_account} IS NOT NULL THEN 'account_id'
        WHEN other.status = 'account_only' THEN 'account_domain'
    END AS identity_rule,
    CASE
        WHEN {contact} IS NOT NULL THEN 'linked'
        WHEN 'ambiguous' IN (by_id.status, other.status) THEN 'ambiguous'
        WHEN {account} IS NOT NULL THEN 'account_only'
        ELSE 'unlinked'
    END AS identity_status
FROM {rows or f"staging.{entity}"} AS t
{by_id}
{other}
"""


def _resolved_spec(entity: str) -> dg.AssetSpec:
    """The view of one entity as an asset of its own, so a mart that reads it depends on it
    (and on what it joins), as its SQL says."""
    columns = catalog.staging_columns(contract_entity(entity)) + list(RESOLVED_COLUMNS)
    return dg.AssetSpec(
        key=catalog.key("staging", f"resolved_{entity}"),
        deps=[catalog.key("staging", entity), catalog.key("staging", "identity_map")],
        group_name="staging",
        kinds={"duckdb"},
        owners=catalog.OWNERS,
        description=(
            f"staging.{entity} with each row's person linked by staging.identity_map: contact_id "
            "and account_id resolved, the delivered contact id kept as source_contact_id, and "
            "the rule and status of the link. A view: always as current as the two it joins."
        ),
        metadata=catalog.table_metadata("staging", f"resolved_{entity}", columns),
    )


RESOLVED_PAIRS = "resolved_event_pairs"


def _pairs_spec() -> dg.AssetSpec:
    """The events' links, counted: what a mart that counts events by link reads instead of
    every event (marts.identity_match_rates)."""
    events = {c[0]: c for c in catalog.staging_columns(contract_entity("events"))}
    columns = [
        *(events[name] for name in PAIR_COLUMNS.split(", ")),
        ("rows", "BIGINT", "Events carrying these ids."),
        *RESOLVED_COLUMNS,
    ]
    return dg.AssetSpec(
        key=catalog.key("staging", RESOLVED_PAIRS),
        deps=[catalog.key("staging", "events"), catalog.key("staging", "identity_map")],
        group_name="staging",
        kinds={"duckdb"},
        owners=catalog.OWNERS,
        description=(
            "staging.resolved_events counted: each (contact_id, anonymous_id, account_id) of "
            "the events, resolved as staging.resolved_events resolves them, with how many "
            "events carry it (rows), kept with the events so counting by link reads no event. "
            "A view."
        ),
        metadata=catalog.table_metadata("staging", RESOLVED_PAIRS, columns),
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=catalog.key("staging", "identity_map"),
            deps=[
                catalog.key("staging", name)
                for name in ("accounts", "contacts", *SECOND_IDENTIFIER.keys())
            ],
            group_name="staging",
            kinds={"duckdb"},
            owners=catalog.OWNERS,
            description=(
                "Every person identifier of the support, analytics and survey extracts (contact "
                "ids, e-mails as spelled, device ids) linked to one CRM contact and account by "
                "deterministic rules, with the rule that made each link. Rules in "
                "staging/sql/identity_map.sql; match rates in marts.identity_match_rates."
            ),
            metadata=catalog.table_metadata("staging", "identity_map", list(MAP_COLUMNS)),
        ),
        *(_resolved_spec(entity) for entity in RESOLVED_ENTITIES),
        _pairs_spec(),
    ],
    pool=catalog.warehouse_pool(),
    can_subset=True,
)
def identity_map(
    context: dg.AssetExecutionContext, warehouse: Warehouse, cx_settings: CxSettings
) -> Iterator[dg.MaterializeResult]:
    """The map, when the run selects it, and the views in one transaction. A run that selects
    only views leaves the map as it is (rewriting it unrecorded would hide the change from what
    reads it); the views cost nothing to recreate, so they always follow the map."""
    selected = context.selected_asset_keys
    rebuild_map = catalog.key("staging", "identity_map") in selected
    with warehouse.get_connection() as con:
        if not rebuild_map and not table_exists(con, "staging", "identity_map"):
            raise dg.Failure(
                "staging.identity_map has not been built yet: select staging/identity_map too"
            )
        con.execute("BEGIN TRANSACTION")
        try:
            if not has_event_pairs(con):
                keep_event_pairs(con)  # a warehouse staged before they were kept with accounts
            if rebuild_map:
                execute(con, MAP_SQL, plus_addressing=cx_settings.identity_plus_addressing)
            for entity in SECOND_IDENTIFIER:
                con.execute(resolved_view(entity))
            con.execute(resolved_view("events", RESOLVED_PAIRS, f"staging.{EVENT_PAIRS_TABLE}"))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        rows = scalar(con, "SELECT count(*) FROM staging.identity_map")
        by_status = con.execute(
            "SELECT status, count(*) FROM staging.identity_map GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    if rebuild_map:
        yield dg.MaterializeResult(
            asset_key=catalog.key("staging", "identity_map"),
            metadata={
                "dagster/row_count": rows,
                **{f"identifiers_{status}": n for status, n in by_status},
            },
        )
    # A view costs nothing to refresh and counting its rows would scan every event: the map's
    # metadata already says how many identifiers of each entity are linked.
    for view in (*(f"resolved_{entity}" for entity in RESOLVED_ENTITIES), RESOLVED_PAIRS):
        if catalog.key("staging", view) in selected:
            yield dg.MaterializeResult(asset_key=catalog.key("staging", view))
