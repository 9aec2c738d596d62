"""A corpus of bad (and awkward but valid) extracts, each small and named for its fault.

Each case says exactly what must happen: the error a file-level fault raises, or which rows are
quarantined with which rules. Rows are numbered as the loader numbers them: 1 = first data row.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import polars as pl

NPS = "response_id,contact_id,account_id,survey_id,touchpoint,submitted_at,score,comment\n"
TICKETS = (
    "ticket_id,account_id,contact_id,created_at,first_response_at,solved_at,channel,priority,"
    "status,category,subject,description,csat_score\n"
)
SUBSCRIPTIONS = "subscription_id,account_id,product,plan,mrr,started_at,ended_at,cancel_reason\n"
GOOD_NPS = "R1,C1,A1,rel,relationship,2026-01-01T10:00:00Z,9,Great\n"
GOOD_TICKET = (
    "T1,A1,C1,2026-03-01T09:00:00Z,2026-03-01T09:30:00Z,2026-03-02T09:00:00Z,email,normal,"
    "solved,billing,Invoice,Where is it?,5\n"
)


# Optional columns the contract gained after this corpus was written (identity resolution):
# every file here lacks them, and the load says so.
ADDED_LATER = {
    "accounts": ("domain",),
    "subscriptions": ("currency",),
    "tickets": ("requester_email", "assignee_id", "group_id"),
    "events": ("anonymous_id",),
    "nps_responses": ("respondent_email",),
}


@dataclass(frozen=True)
class BadExtract:
    name: str
    entity: str
    content: bytes
    error: str | None = None  # a file-level fault: the load fails with this in its message
    quarantined: dict[int, list[str]] = field(default_factory=dict)  # row -> rules broken
    rows_read: int = 0
    extra_columns: tuple[str, ...] = ()
    missing_optional_columns: tuple[str, ...] = ()

    @property
    def missing_columns(self) -> list[str]:
        """What the load reports missing: the case's own gaps and the later columns."""
        later = ADDED_LATER.get(self.entity.split(".")[-1], ())
        return [*self.missing_optional_columns, *later]


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _events(**overrides: list) -> dict[str, list]:
    at = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    columns: dict[str, list] = {
        "event_id": ["E1", "E2"],
        "contact_id": ["C1", "C1"],
        "account_id": ["A1", "A1"],
        "occurred_at": [at, at],
        "event_name": ["login", "report_created"],
        "session_id": ["s1", "s1"],
        "properties": ['{"feature":"auth"}', '{"feature":"reports"}'],
    }
    columns.update(overrides)
    return columns


CORPUS: tuple[BadExtract, ...] = (
    # ---- file-level faults: the file is rejected whole, the warehouse is left as it was ----
    BadExtract("empty_file", "nps_responses", b"", error="empty file: no header row"),
    BadExtract(
        "missing_required_column",
        "nps_responses",
        b"response_id,contact_id,submitted_at\nR1,C1,2026-01-01\n",
        error="missing required column(s) score; the file has: response_id, contact_id, "
        "submitted_at",
    ),
    BadExtract(
        "wrong_delimiter",
        "nps_responses",
        NPS.replace(",", ";").encode() + b"R1;C1;A1;rel;relationship;2026-01-01;9;ok\n",
        error="missing required column(s) response_id, submitted_at, score",
    ),
    BadExtract(
        "latin1_encoding",
        "nps_responses",
        NPS.encode()
        + GOOD_NPS.encode()
        + "R2,C1,A1,rel,support,2026-01-02,9,café\n".encode("latin-1"),
        error="not UTF-8: invalid continuation byte at byte 174 (line 3)",
    ),
    BadExtract(
        "truncated_last_line",
        "nps_responses",
        (NPS + GOOD_NPS + "R2,C1,A1,rel,relationship,2026-01").encode(),
        error="line 3 of the file (counting the header as 1): Expected Number of Columns: 8 Found: 6",
    ),
    BadExtract(
        "ragged_row_mid_file",
        "nps_responses",
        (NPS + GOOD_NPS + "R2,C1,A1,rel,relationship,2026-01-01,9,a,b\n" + GOOD_NPS).encode(),
        error="line 3 of the file (counting the header as 1): Expected Number of Columns: 8 Found: 9",
    ),
    BadExtract(
        "unterminated_quote",
        "nps_responses",
        (NPS + 'R1,C1,A1,rel,relationship,2026-01-01,9,"never closed\n' + GOOD_NPS).encode(),
        error="line 2 of the file (counting the header as 1): Value with unterminated quote found.",
    ),
    BadExtract(
        "duplicate_header_column",
        "nps_responses",
        (NPS.replace("comment", "score") + GOOD_NPS).encode(),
        error="duplicate column(s) in header: score",
    ),
    BadExtract(
        "corrupt_parquet",
        "events",
        b"PAR1 this is not really parquet",
        error="cannot be read as Parquet",
    ),
    BadExtract(
        "parquet_missing_required_column",
        "events",
        _parquet(pl.DataFrame(_events()).drop("occurred_at")),
        error="missing required column(s) occurred_at",
    ),
    # ---- row-level faults: the row stays in raw and is copied to quarantine with its rules ----
    BadExtract(
        "score_out_of_range",
        "nps_responses",
        (
            NPS
            + GOOD_NPS
            + "R2,C1,A1,rel,relationship,2026-01-01T10:00:00Z,11,\n"
            + "R3,C1,A1,rel,relationship,2026-01-01T10:00:00Z,-1,\n"
        ).encode(),
        quarantined={2: ["range:score"], 3: ["range:score"]},
        rows_read=3,
    ),
    BadExtract(
        "score_not_a_number",
        "nps_responses",
        (NPS + "R1,C1,A1,rel,relationship,2026-01-01T10:00:00Z,nine,\n" + GOOD_NPS).encode(),
        quarantined={1: ["type:score"]},
        rows_read=2,
    ),
    BadExtract(
        "score_not_an_integer",
        "nps_responses",
        (
            NPS
            + GOOD_NPS
            + "R2,C1,A1,rel,relationship,2026-01-01T10:00:00Z,6.5,\n"
            + "R3,C1,A1,rel,relationship,2026-01-01T10:00:00Z,1e1,\n"
            + "R4,C1,A1,rel,relationship,2026-01-01T10:00:00Z,0x9,\n"
        ).encode(),
        quarantined={2: ["type:score"], 3: ["type:score"], 4: ["type:score"]},
        rows_read=4,
    ),
    BadExtract(
        "unknown_touchpoint",
        "nps_responses",
        (NPS + "R1,C1,A1,rel,by pigeon,2026-01-01T10:00:00Z,5,\n").encode(),
        quarantined={1: ["allowed:touchpoint"]},
        rows_read=1,
    ),
    BadExtract(
        "missing_key_and_bad_date",
        "nps_responses",
        (NPS + GOOD_NPS + ",C1,A1,rel,relationship,31/12/2025,5,\n").encode(),
        quarantined={2: ["required:response_id", "type:submitted_at"]},
        rows_read=2,
    ),
    BadExtract(
        "impossible_calendar_date",
        "nps_responses",
        (NPS + "R1,C1,A1,rel,relationship,2026-02-30T10:00:00Z,5,\n").encode(),
        quarantined={1: ["type:submitted_at"]},
        rows_read=1,
    ),
    BadExtract(
        "ticket_solved_before_created",
        "tickets",
        (
            TICKETS
            + GOOD_TICKET
            + "T2,A1,C1,2026-03-05T09:00:00Z,2026-03-04T09:00:00Z,2026-03-04T10:00:00Z,chat,high,"
            "solved,outage,Down,Nothing loads,2\n"
        ).encode(),
        quarantined={2: ["order:first_response_at", "order:solved_at"]},
        rows_read=2,
    ),
    BadExtract(
        "csat_out_of_range_and_unknown_channel",
        "tickets",
        (
            TICKETS
            + GOOD_TICKET.replace(",5\n", ",0\n").replace("T1", "T2")
            + GOOD_TICKET.replace(",5\n", ",6\n").replace("email", "pigeon")
        ).encode(),
        quarantined={1: ["range:csat_score"], 2: ["allowed:channel", "range:csat_score"]},
        rows_read=2,
    ),
    BadExtract(
        "subscription_ended_before_started_and_negative_mrr",
        "subscriptions",
        (
            SUBSCRIPTIONS
            + "S1,A1,Core,Pro,100,2026-01-10T00:00:00Z,2026-01-01T00:00:00Z,price\n"
            + "S2,A1,Core,Pro,-5,2026-01-10T00:00:00Z,,\n"
            + "S3,A1,Core,Pro,100,2026-01-10T00:00:00Z,,\n"
        ).encode(),
        quarantined={1: ["order:ended_at"], 2: ["range:mrr"]},
        rows_read=3,
    ),
    BadExtract(
        "invalid_json_properties",
        "events",
        _parquet(pl.DataFrame(_events(properties=['{"feature":"auth"}', "{not json"]))),
        quarantined={2: ["type:properties"]},
        rows_read=2,
    ),
    BadExtract(
        "parquet_timestamp_as_text",
        "events",
        _parquet(pl.DataFrame(_events(occurred_at=["2026-03-10T12:00:00Z", "yesterday"]))),
        quarantined={2: ["type:occurred_at"]},
        rows_read=2,
    ),
    # ---- awkward but valid: loaded in full, with what was odd reported ----
    BadExtract("header_only", "nps_responses", NPS.encode(), rows_read=0),
    BadExtract(
        "bom_and_crlf_line_ends",
        "nps_responses",
        ("\ufeff" + NPS + GOOD_NPS).replace("\n", "\r\n").encode(),
        rows_read=1,
    ),
    BadExtract(
        "mixed_crlf_and_lf_line_ends",
        "nps_responses",
        (
            NPS.replace("\n", "\r\n")
            + GOOD_NPS
            + GOOD_NPS.replace("R1", "R2").replace("\n", "\r\n")
            + GOOD_NPS.replace("R1", "R3")
        ).encode(),
        rows_read=3,
    ),
    BadExtract(
        "quoted_newlines_and_quotes_in_comment",
        "nps_responses",
        (
            NPS + 'R1,C1,A1,rel,relationship,2026-01-01T10:00:00Z,9,"line one\nsaid ""wow"""\n'
        ).encode(),
        rows_read=1,
    ),
    BadExtract(
        "extra_column",
        "nps_responses",
        (
            NPS.replace("comment\n", "comment,nps_channel\n") + GOOD_NPS.replace("\n", ",email\n")
        ).encode(),
        rows_read=1,
        extra_columns=("nps_channel",),
    ),
    BadExtract(
        "missing_optional_columns",
        "nps_responses",
        b"response_id,submitted_at,score\nR1,2026-01-01T10:00:00Z,9\n",
        rows_read=1,
        missing_optional_columns=("contact_id", "account_id", "survey_id", "touchpoint", "comment"),
    ),
    BadExtract(
        "duplicate_key_in_file",
        "nps_responses",
        (NPS + GOOD_NPS + GOOD_NPS.replace(",9,Great", ",3,Changed my mind")).encode(),
        rows_read=2,
    ),
    BadExtract(
        "whitespace_around_values",
        "nps_responses",
        (NPS + " R1 ,C1,A1,rel, relationship ,2026-01-01T10:00:00Z, 9 ,\n").encode(),
        rows_read=1,
    ),
)
