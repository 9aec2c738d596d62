"""Tiny extracts for the voice-of-customer marts, with every answer worked out by hand, and a
small harness that runs feedback_themes.sql on hand-written texts without the whole graph.

The CRM is that of tiny_extracts (as of 2026-03-31): contacts C1 CEO (A1, c_level), C2 Support
Agent (A1, end_user), C3 VP Customer Success (A2, senior_manager), C4 Data Analyst (A3,
end_user), C5 IT Manager (A4, decision_maker), C6 Head of Support (A6, senior_manager);
regions A1 North America, A2 EMEA, A3 APAC, A4 LATAM, A5 North America (no contacts), A6
EMEA; tiers A1 SMB, A2/A4/A6 mid-market, A3 enterprise, A5 unknown (no ARR); A2, A4, A6 lost.

Items (13), their themes, sentiment (the word-list scores below were those of the lexicon
before VADER; test_voice.py states the sentiment model's labels: R6 French, T1 and T3 negative,
I1, T2, R4 and R5 German positive) and NPS band:
  R1 C1 10 "Reporting is fantastic, love the dashboards"   reporting            +1 (2+2)  P
  R2 C3  3 "Support is too slow and the price is not        support, pricing     -1 (slow 1,
            acceptable"                                                 not acceptable 1)  D
  R3 C4  8 "Very supportive team, thanks"                   none (supportive)     0        .
  R4 C6  6 "Not bad, but please add an export to Excel"     reporting            +1 (not bad),
                                                                       request: actionable D
  R5 C5  9 "Sehr gut!"                                       none, generic praise +1        P
  R6 C2  0 "Le support était nul, je suis déçu"              support              -1        D
  R9 --  10 "Great product" (account A3, no contact)        none, generic praise +1        P
  R7 (C1, 9) has no comment and R8 (C3, 7, 25 Mar) a blank one: answers, not items.
  T1 C1 9 Jan  dashboard not loading                        reporting, reliability -1  none yet
  T2 C1 10 Jan invoice, "Please ..."                        pricing, 0, request   P (R1 that day)
  T3 C3 30 Mar "Can't log in"                               account access -1     . (R8, 7)
  T4 C4 1 Feb  "Thanks for the quick call"                  none, +1 generic      . (R3 that day)
  I1 C6 15 Mar "They wish ..." tags onboarding;integrations onboarding, integrations 0,
                                                            request: actionable   D (R4, 6)
  I2 C5 16 Mar "Loves the product"                          none, +1 generic      P (R5, 9)
"""

# ruff: noqa: E501 (hand-written CSV fixtures read best as the files they stand for)
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from cx_pipeline.ingest import reference
from cx_pipeline.marts.builder import build_in_full, load_spec, sql_parameters
from cx_pipeline.resources import CxSettings, Warehouse
from cx_pipeline_tests.conftest import REPO_ROOT, reader
from cx_pipeline_tests.tiny_extracts import DELIVERY, write_tiny_extracts

NPS_RESPONSES = """response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,score,comment
R1,C1,A1,rel-q1,relationship,2026-01-10T10:00:00Z,10,"Reporting is fantastic, love the dashboards"
R2,C3,A2,rel-q1,relationship,2026-01-12T10:00:00Z,3,Support is too slow and the price is not acceptable
R3,C4,A3,rel-q1,relationship,2026-02-01T08:00:00Z,8,"Very supportive team, thanks"
R4,C6,A6,rel-q1,relationship,2026-02-05T10:00:00Z,6,"Not bad, but please add an export to Excel"
R5,C5,A4,rel-q1,relationship,2026-02-10T10:00:00Z,9,Sehr gut!
R6,C2,A1,rel-q1,support,2026-03-01T10:00:00Z,0,"Le support était nul, je suis déçu"
R7,C1,A1,rel-q1,in_app,2026-03-20T10:00:00Z,9,
R8,C3,A2,rel-q1,in_app,2026-03-25T10:00:00Z,7,"   "
R9,,A3,rel-q1,in_app,2026-03-02T10:00:00Z,10,Great product
"""

TICKETS = """ticket_id,account_id,contact_id,created_at,first_response_at,solved_at,channel,priority,status,category,subject,description,csat_score
T1,A1,C1,2026-01-09T09:00:00Z,,,web,normal,open,outage,Dashboard not loading,Since this morning nothing loads.,
T2,A1,C1,2026-01-10T18:00:00Z,,,email,low,solved,billing,Invoice question,Please check our last invoice.,4
T3,A2,C3,2026-03-30T09:00:00Z,,,chat,high,open,access,Can't log in,I can't log in since Monday.,
T4,A3,C4,2026-02-01T12:00:00Z,,,phone,low,solved,other,Hello,Thanks for the quick call,5
"""

INTERVIEWS = """interview_id,contact_id,interviewed_at,notes,tags
I1,C6,2026-03-15T15:00:00Z,They wish the onboarding had a checklist,onboarding;integrations
I2,C5,2026-03-16T15:00:00Z,Loves the product,
"""


def write_voice_extracts(root: Path) -> Path:
    """The tiny CRM, events and subscriptions, with this module's answers, tickets, interviews."""
    write_tiny_extracts(root, nps_responses=NPS_RESPONSES)
    for source, name, text in (
        ("support", "tickets.csv", TICKETS),
        ("surveys", "interviews.csv", INTERVIEWS),
    ):
        (root / source / DELIVERY / name).write_text(text)
    return root


# The harness: minimal staging tables holding only the columns feedback_themes.sql reads.
STAGING_TABLES = (
    "CREATE TABLE staging.contacts (contact_id VARCHAR, account_id VARCHAR)",
    "CREATE TABLE staging.nps_responses (response_id VARCHAR, contact_id VARCHAR, "
    "account_id VARCHAR, submitted_at TIMESTAMPTZ, score BIGINT, comment VARCHAR)",
    "CREATE TABLE staging.tickets (ticket_id VARCHAR, account_id VARCHAR, contact_id VARCHAR, "
    "created_at TIMESTAMPTZ, subject VARCHAR, description VARCHAR)",
    "CREATE TABLE staging.interviews (interview_id VARCHAR, contact_id VARCHAR, "
    "interviewed_at TIMESTAMPTZ, notes VARCHAR, tags VARCHAR)",
    "CREATE TABLE staging.survey_answers (answer_id VARCHAR, response_id VARCHAR, "
    "contact_id VARCHAR, account_id VARCHAR, submitted_at TIMESTAMPTZ, question_type VARCHAR, "
    "score BIGINT, text VARCHAR)",
    # Every item is said by the one known contact: nothing for the identity map to resolve.
    *(
        f"CREATE VIEW staging.resolved_{name} AS SELECT * FROM staging.{name}"
        for name in ("nps_responses", "tickets", "interviews", "survey_answers")
    ),
)
HARNESS_DAY = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def load_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The shipped taxonomy and lexicon, loaded exactly as the raw reference assets load them."""
    for table, columns in (
        ("voc_taxonomy", reference.VOC_TAXONOMY_COLUMNS),
        ("voc_lexicon", reference.VOC_LEXICON_COLUMNS),
    ):
        path = REPO_ROOT / "data" / "reference" / f"{table}.csv"
        reference.load_reference_csv(con, table, str(path), columns)


def feedback_for_texts(
    database: Path,
    comments: Iterable[tuple[str, str]],
    tickets: Iterable[tuple[str, str, str]] = (),
    interviews: Iterable[tuple[str, str, str]] = (),
) -> Callable[..., list[tuple]]:
    """Run feedback_themes.sql on (id, comment), (id, subject, description) and (id, notes,
    tags) items, all said on 1 March 2026 by contact X1 of account AX scoring 8; returns a
    query function on the resulting warehouse."""
    warehouse = Warehouse(database=str(database), memory_limit="1GB")
    with warehouse.get_connection() as con:
        for statement in STAGING_TABLES:
            con.execute(statement)
        load_reference_tables(con)
        con.execute("INSERT INTO staging.contacts VALUES ('X1', 'AX')")
        for table, values, rows in (
            (
                "nps_responses",
                "(?, 'X1', 'AX', ?, 8, ?)",
                [(item_id, HARNESS_DAY, text) for item_id, text in comments],
            ),
            (
                "tickets",
                "(?, 'AX', 'X1', ?, ?, ?)",
                [(item_id, HARNESS_DAY, subject, body) for item_id, subject, body in tickets],
            ),
            (
                "interviews",
                "(?, 'X1', ?, ?, ?)",
                [(item_id, HARNESS_DAY, notes, tags) for item_id, notes, tags in interviews],
            ),
        ):
            if rows:
                con.executemany(f"INSERT INTO staging.{table} VALUES {values}", rows)
        build_in_full(
            con, load_spec("feedback_themes"), sql_parameters(con, CxSettings(as_of="2026-03-31"))
        )

    return reader(database)
