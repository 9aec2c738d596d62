"""Planted identity puzzles: the same people under the identifiers other sources know them by.

Help desks and survey tools know people by e-mail, product analytics by a device id before
login. A share of tickets and responses lose the CRM contact id and carry only an e-mail (typed
with other case, spaces or a +tag), a few come from people the CRM does not know (a shared
mailbox at the customer, a private address), and a share of product events are anonymous. What
each such identifier truly points at is kept as `IdentityTruth` rows and written to
`_identities.csv`, so the identity map's precision and recall can be measured.

Every draw is a hash of the row's or contact's number, so a ticket delivered twice gets the same
treatment and nothing else in the generator moves.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cx_pipeline.generate.ids import hex_tokens, mix64

EMAIL_ONLY_SHARE = 0.25  # tickets / responses that carry only the requester's e-mail
STRANGER_AT_ACCOUNT_SHARE = 0.02  # a mailbox at the customer's domain that the CRM does not know
PRIVATE_EMAIL_SHARE = 0.01  # a private address: only the row's own account_id says who
ANONYMOUS_EVENT_SHARE = 0.20  # feature events sent before login (no contact, no account)
UNIDENTIFIED_DEVICE_SHARE = 0.03  # contacts whose anonymous events come from a never-seen device
SHARED_DEVICE_SHARE = 0.03  # contacts using their account's first contact's device
# How people's e-mails look in other tools: (share, spelling).
EMAIL_SPELLINGS = ((0.40, "as_crm"), (0.20, "lower"), (0.15, "upper"), (0.10, "spaces"))
PLUS_TAGS = ("support", "surveys", "zendesk", "news")  # the remaining share is plus-addressed
SHARED_MAILBOXES = ("it-support", "billing", "helpdesk", "office", "operations")
PRIVATE_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com")
TRUTH_COLUMNS = ("entity", "key", "identifier", "truth", "contact_id", "account_id")

_SALTS = {"rows": 11, "spelling": 12, "before_login": 13, "device_kind": 15}


def _uniform(numbers: np.ndarray, seed: int, salt: str) -> np.ndarray:
    bits = mix64(numbers.astype(np.int64), seed * 1_000_003 + _SALTS[salt])
    return (bits >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _number(ids: pl.Series) -> np.ndarray:
    """The number inside a prefixed key (C0000042 -> 42)."""
    return ids.str.slice(1).cast(pl.Int64).to_numpy()


def email_spelling(email: pl.Series, u: np.ndarray) -> pl.Series:
    """The CRM address as another tool has it; u in [0, 1) picks the spelling."""
    cuts = np.cumsum([share for share, _ in EMAIL_SPELLINGS])
    kind = np.searchsorted(cuts, u, side="right")
    tag = pl.Series(list(PLUS_TAGS)).gather((u * 1000).astype(np.int64) % len(PLUS_TAGS))
    frame = pl.DataFrame({"email": email, "kind": kind, "tag": tag})
    local, domain = pl.col("email").str.extract(r"^(.*)@"), pl.col("email").str.extract(r"@(.*)$")
    return frame.select(
        pl.when(pl.col("kind") == 0)
        .then("email")
        .when(pl.col("kind") == 1)
        .then(pl.col("email").str.to_lowercase())
        .when(pl.col("kind") == 2)
        .then(pl.col("email").str.to_uppercase())
        .when(pl.col("kind") == 3)
        .then(pl.concat_str(pl.lit("  "), "email", pl.lit(" ")))
        .otherwise(pl.concat_str(local, pl.lit("+"), "tag", pl.lit("@"), domain))
    ).to_series()


def people(contact_id: pl.Series, email: pl.Series, domain: pl.Series) -> pl.DataFrame:
    """The lookup `obscure_people` needs: each contact's CRM e-mail and its account's domain."""
    return pl.DataFrame({"contact_id": contact_id, "crm_email": email, "domain": domain})


def obscure_people(
    frame: pl.DataFrame,
    entity: str,
    key: str,
    email_column: str,
    people: pl.DataFrame,
    seed: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tickets or responses with some contact ids replaced by e-mails; and the truth rows."""
    looked_up = frame.select("contact_id").join(
        people, on="contact_id", how="left", maintain_order="left"
    )
    crm_email, domain = looked_up["crm_email"], looked_up["domain"]
    number = _number(frame[key])
    u = _uniform(number, seed, "rows")
    email_only = u < EMAIL_ONLY_SHARE
    stranger_at_account = (u >= EMAIL_ONLY_SHARE) & (
        u < EMAIL_ONLY_SHARE + STRANGER_AT_ACCOUNT_SHARE
    )
    private = (u >= EMAIL_ONLY_SHARE + STRANGER_AT_ACCOUNT_SHARE) & (
        u < EMAIL_ONLY_SHARE + STRANGER_AT_ACCOUNT_SHARE + PRIVATE_EMAIL_SHARE
    )
    v = _uniform(number, seed, "spelling")
    mailbox = pl.Series(list(SHARED_MAILBOXES)).gather((v * 997).astype(np.int64) % 5)
    private_domain = pl.Series(list(PRIVATE_DOMAINS)).gather((v * 991).astype(np.int64) % 3)
    token = hex_tokens(mix64(number, seed + 17), "token").str.slice(0, 8)
    work = pl.DataFrame(
        {
            "email_only": email_only,
            "stranger": stranger_at_account,
            "private": private,
            "spelled": email_spelling(crm_email, v),
            "mailbox": mailbox,
            "domain": domain,
            "token": token,
            "private_domain": private_domain,
        }
    ).with_columns(
        mailbox=pl.concat_str("mailbox", pl.lit("@"), "domain"),
        private_email=pl.concat_str(pl.lit("user."), "token", pl.lit("@"), "private_domain"),
    )
    email = work.select(
        pl.when("email_only")
        .then("spelled")
        .when("stranger")
        .then("mailbox")
        .when("private")
        .then("private_email")
    ).to_series()
    hidden = email_only | stranger_at_account | private
    obscured = frame.with_columns(
        pl.Series(email_column, email),
        contact_id=pl.when(pl.Series(hidden)).then(None).otherwise(pl.col("contact_id")),
        # The help desk or survey tool knows the organisation only for private addresses.
        account_id=pl.when(pl.Series(email_only | stranger_at_account))
        .then(None)
        .otherwise(pl.col("account_id")),
    )
    truth = pl.DataFrame(
        {
            "entity": pl.Series([entity] * frame.height, dtype=pl.String),
            "key": frame[key],
            "identifier": email,
            "truth": pl.Series(np.where(email_only, "contact", "account")),
            "contact_id": frame["contact_id"],
            "account_id": frame["account_id"],
        }
    ).filter(pl.Series(hidden))
    truth = truth.with_columns(
        contact_id=pl.when(pl.col("truth") == "contact").then("contact_id")
    ).unique("key", keep="first", maintain_order=True)
    return obscured, truth


def devices(contact_id: pl.Series, first_contact_id: pl.Series, seed: int) -> pl.DataFrame:
    """Each contact's device ids: the one its identified and anonymous events carry, and the one
    its anonymous events carry instead when it never logs in on that device."""
    number = _number(contact_id)
    owner = _number(first_contact_id)
    kind = _uniform(number, seed, "device_kind")
    shared = (kind < SHARED_DEVICE_SHARE) & (owner != number)
    unidentified = (kind >= SHARED_DEVICE_SHARE) & (
        kind < SHARED_DEVICE_SHARE + UNIDENTIFIED_DEVICE_SHARE
    )
    device = hex_tokens(mix64(np.where(shared, owner, number), seed + 29), "device")
    spare = hex_tokens(mix64(number, seed + 31), "spare")
    frame = pl.DataFrame(
        {
            "contact_id": contact_id,
            "device": "anon-" + device,
            "spare": "anon-" + spare,
            "unidentified": unidentified,
            "shared": shared,
        }
    )
    return frame.with_columns(
        anonymous_device=pl.when("unidentified").then("spare").otherwise("device")
    ).drop("spare", "unidentified")


def anonymise_events(
    frame: pl.DataFrame, device: pl.DataFrame, eligible: pl.Expr, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Events with anonymous_id set, a share of the `eligible` ones sent before login; and the
    distinct (device, true contact, true account) pairs the events carry."""
    anonymous = pl.Series(
        _uniform(_number(frame["event_id"]), seed, "before_login") < ANONYMOUS_EVENT_SHARE
    )
    out = frame.join(device, on="contact_id", how="left", maintain_order="left")
    before_login = anonymous & out.select(eligible).to_series()
    out = out.with_columns(
        anonymous_id=pl.when(before_login).then("anonymous_device").otherwise("device")
    )
    pairs = out.select("anonymous_id", "contact_id", "account_id").unique()
    out = out.with_columns(
        contact_id=pl.when(before_login).then(None).otherwise("contact_id"),
        account_id=pl.when(before_login).then(None).otherwise("account_id"),
    ).drop("device", "anonymous_device", "shared")
    return out, pairs


def device_truth(pairs: pl.DataFrame) -> pl.DataFrame:
    """One truth row per device id seen in the events: its one user, or 'ambiguous' when the
    events show several people on it."""
    return (
        pairs.unique()
        .group_by("anonymous_id")
        .agg(
            users=pl.col("contact_id").n_unique(),
            contact_id=pl.col("contact_id").min(),
            account_id=pl.col("account_id").min(),
            accounts=pl.col("account_id").n_unique(),
        )
        .sort("anonymous_id")
        .select(
            entity=pl.lit("events"),
            key=pl.lit(None, dtype=pl.String),
            identifier="anonymous_id",
            truth=pl.when(pl.col("users") == 1)
            .then(pl.lit("contact"))
            .otherwise(pl.lit("ambiguous")),
            contact_id=pl.when(pl.col("users") == 1).then("contact_id"),
            account_id=pl.when(pl.col("accounts") == 1).then("account_id"),
        )
    )
