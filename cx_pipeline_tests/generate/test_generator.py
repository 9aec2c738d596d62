"""The generator writes the contract's layout deterministically and plants what it claims.

Every check reads the files back with polars, as the pipeline would, rather than trusting the
generator's own arrays.
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from cx_pipeline.contract import ENTITIES as CONTRACT_ENTITIES
from cx_pipeline.contract import Entity, entity
from cx_pipeline.generate import (
    IDENTITY_TRUTH_FILE,
    PERSONA_TRUTH_FILE,
    TRUTH_FILE,
    generate,
    vocab,
)
from cx_pipeline.generate.accounts import company_names
from cx_pipeline.generate.writer import LEFT_OUT, ON_REQUEST, generated_columns

# What a run writes unless asked for more (follow-ups only with followups=True).
ENTITIES = tuple(e for e in CONTRACT_ENTITIES if e.name not in ON_REQUEST)

AS_OF = date(2026, 10, 31)
SNAPSHOTS = ("accounts", "contacts", "subscriptions")
EVENT_LIKE = {
    "tickets": "created_at",
    "events": "occurred_at",
    "nps_responses": "submitted_at",
    "interviews": "interviewed_at",
}
TIMESTAMP_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
DECIMAL_RE = r"^\d+(\.\d{1,2})?$"
NPS_TOLERANCE_SE = 3.0  # planted vs measured regional NPS, in standard errors


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("small")
    truth = generate(out, scale="small", seed=42, as_of=AS_OF, deliveries=3, progress=None)
    return out, truth


@pytest.fixture(scope="module")
def out(run: tuple[Path, dict[str, Any]]) -> Path:
    return run[0]


@pytest.fixture(scope="module")
def truth(run: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    return run[1]


@pytest.fixture(scope="module")
def days(truth: dict[str, Any]) -> list[str]:
    return truth["deliveries"]


def files_of(out: Path, e: Entity, day: str) -> list[Path]:
    folder = out / e.source / day
    found = sorted({p for pattern in e.file_patterns() for p in folder.glob(pattern)})
    assert found, f"no {e.qualified_name} file in {folder}"
    return found


def read(out: Path, name: str, day: str) -> pl.DataFrame:
    """One delivery of an entity: CSV as text (as delivered), Parquet as typed."""
    e = entity(name)
    paths = files_of(out, e, day)
    if e.file_format == "csv":
        return pl.concat([pl.read_csv(p, infer_schema=False) for p in paths])
    return pl.concat([pl.read_parquet(p) for p in paths])


def read_all(out: Path, name: str, days: list[str]) -> pl.DataFrame:
    return pl.concat(
        [read(out, name, d).with_columns(delivery=pl.lit(d)) for d in days], how="vertical"
    )


def ts(column: str) -> pl.Expr:
    return pl.col(column).str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC")


def test_same_arguments_give_identical_bytes(out: Path, tmp_path: Path) -> None:
    again = generate(tmp_path, scale="small", seed=42, as_of=AS_OF, deliveries=3, progress=None)
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    assert json.loads((tmp_path / TRUTH_FILE).read_text()) == again


def test_truth_file_matches_returned_truth(out: Path, truth: dict[str, Any]) -> None:
    assert json.loads((out / TRUTH_FILE).read_text()) == truth
    for key in (
        "scale",
        "seed",
        "as_of",
        "deliveries",
        "rows",
        "nps_by_region",
        "nps_band_probabilities",
        "expected_monthly_churn_pct",
        "churn_months",
        "churn_hazard",
        "power_user_share",
        "low_usage_share",
        "ticket_seasonality",
    ):
        assert key in truth
    assert truth["deliveries"] == ["2026-10-29", "2026-10-30", "2026-10-31"]
    assert truth["history"] == {"first_month": "2024-11", "last_month": "2026-10", "months": 24}


def test_layout_and_columns_follow_the_contract(out: Path, days: list[str]) -> None:
    expected = {f"{e.source}/{d}/{e.name}.{e.file_format}" for e in ENTITIES for d in days}
    planted = (TRUTH_FILE, IDENTITY_TRUTH_FILE, PERSONA_TRUTH_FILE)
    written = {str(p.relative_to(out)) for p in out.rglob("*.*") if p.name not in planted}
    assert written == expected
    for e in ENTITIES:
        generated = [c.name for c in generated_columns(e)]
        assert set(e.column_names) - set(generated) <= set(LEFT_OUT.get(e.name, ()))
        for d in days:
            for path in files_of(out, e, d):
                if e.file_format == "csv":
                    header = path.read_text(encoding="utf-8").splitlines()[0]
                    assert header.split(",") == generated, path
                else:
                    schema = pl.read_parquet_schema(path)
                    assert list(schema) == generated
                    for c in generated_columns(e):
                        want = pl.Datetime("us", "UTC") if c.type == "timestamp" else pl.String
                        assert schema[c.name] == want, (path, c.name)


@pytest.mark.parametrize("e", ENTITIES, ids=lambda e: e.name)
def test_values_respect_types_allowed_values_and_ranges(
    out: Path, days: list[str], e: Entity
) -> None:
    frame = read_all(out, e.name, days)
    assert frame.height > 0
    for c in generated_columns(e):
        col = frame[c.name]
        if c.required:
            assert col.null_count() == 0, c.name
        values = col.drop_nulls()
        if c.type == "timestamp" and values.dtype == pl.String:
            assert values.str.contains(TIMESTAMP_RE).all(), c.name
        if c.type == "decimal":
            assert values.str.contains(DECIMAL_RE).all(), c.name
        if c.type == "json":
            parsed = values.str.json_decode(pl.Struct({"feature": pl.String, "step": pl.Int64}))
            assert parsed.null_count() == 0
        if c.allowed is not None:
            assert set(values.unique().to_list()) <= set(c.allowed), c.name
        if c.type in ("integer", "decimal") and values.len() > 0:  # (pmf answers: no score)
            numbers = values.cast(pl.Float64)
            if c.minimum is not None:
                assert numbers.min() >= c.minimum, c.name  # type: ignore[operator]
            if c.maximum is not None:
                assert numbers.max() <= c.maximum, c.name  # type: ignore[operator]


@pytest.mark.parametrize("e", ENTITIES, ids=lambda e: e.name)
def test_keys_are_unique_within_each_delivery(out: Path, days: list[str], e: Entity) -> None:
    for d in days:
        keys = read(out, e.name, d)[e.key]
        assert keys.is_unique().all(), (e.name, d)


def test_snapshots_hold_what_was_known_that_day(
    out: Path, days: list[str], truth: dict[str, Any]
) -> None:
    scheduled = set(truth["planted"]["scheduled_cancellation_accounts"])
    assert scheduled
    for i, d in enumerate(days):
        day_end = pl.lit(date.fromisoformat(d) + timedelta(days=1)).cast(pl.Datetime("us", "UTC"))
        for name, column in (
            ("accounts", "created_at"),
            ("contacts", "created_at"),
            ("subscriptions", "started_at"),
        ):
            assert read(out, name, d).filter(ts(column) >= day_end).height == 0
        subs = read(out, "subscriptions", d)
        future = subs.filter(ts("ended_at") >= day_end)
        if i < len(days) - 1:
            assert future.height == 0
        else:  # scheduled cancellations: ended_at within 20 days after as_of, still customers
            assert set(future["account_id"]) == scheduled
            assert future.select(ts("ended_at").dt.date().max()).item() <= AS_OF + timedelta(20)
            assert future["cancel_reason"].null_count() == 0
        assert (
            subs.filter(pl.col("ended_at").is_null() & pl.col("cancel_reason").is_not_null()).height
            == 0
        )
    # Snapshots only grow: nothing known on one day disappears the next.
    for name in SNAPSHOTS:
        key = entity(name).key
        for before, after in itertools.pairwise(days):
            assert set(read(out, name, before)[key]) <= set(read(out, name, after)[key])


def assert_later_deliveries_carry_only_that_day(out: Path, days: list[str]) -> None:
    for name, column in EVENT_LIKE.items():
        first = read(out, name, days[0])
        stamp = ts(column) if first[column].dtype == pl.String else pl.col(column)
        assert first.select(stamp.dt.date().max()).item() <= date.fromisoformat(days[0])
        for d in days[1:]:
            rows = read(out, name, d)
            stamp = ts(column) if rows[column].dtype == pl.String else pl.col(column)
            dated = rows.select(stamp.dt.date() == date.fromisoformat(d)).to_series()
            if name != "tickets":
                assert dated.all(), (name, d)
                continue
            # Tickets created earlier come again only when solved that day.
            again = rows.filter(~dated).select(ts("solved_at").dt.date())
            assert (again.to_series() == date.fromisoformat(d)).all()


def test_later_deliveries_carry_only_that_day(out: Path, days: list[str]) -> None:
    assert_later_deliveries_carry_only_that_day(out, days)


def test_redelivered_tickets_update_the_status(
    out: Path, days: list[str], truth: dict[str, Any]
) -> None:
    tickets = read_all(out, "tickets", days)
    redelivered = truth["planted"]["redelivered_tickets"]
    assert len(redelivered) >= 3
    versions = tickets.filter(pl.col("ticket_id").is_in(redelivered)).sort("ticket_id", "delivery")
    first = versions.group_by("ticket_id").first()
    last = versions.group_by("ticket_id").last()
    assert first["solved_at"].null_count() == first.height
    assert set(first["status"]) <= {"new", "open", "pending"}
    assert last["solved_at"].null_count() == 0
    assert set(last["status"]) == {"solved"}


def test_event_like_rows_reference_existing_contacts(out: Path, days: list[str]) -> None:
    contacts = read(out, "contacts", days[-1]).select(
        "contact_id", "account_id", created=ts("created_at")
    )
    for name, column in EVENT_LIKE.items():
        # Rows known only by an e-mail or a device are the identity puzzles (tested below).
        rows = read_all(out, name, days).filter(pl.col("contact_id").is_not_null())
        if rows[column].dtype == pl.String:
            rows = rows.with_columns(ts(column).alias(column))
        joined = rows.join(contacts, on="contact_id", how="left", suffix="_c")
        assert joined["created"].null_count() == 0, name
        assert joined.filter(pl.col(column) < pl.col("created")).height == 0, name
        if "account_id" in rows.columns:
            assert (joined["account_id"] == joined["account_id_c"]).all(), name


def test_identity_puzzles_are_planted_with_their_answers(out: Path, days: list[str]) -> None:
    truth = pl.read_csv(out / IDENTITY_TRUTH_FILE, schema_overrides={"key": pl.String})
    crm = read(out, "contacts", days[-1]).select(true_contact="contact_id", email="email")
    people = truth.filter(pl.col("entity") != "events")
    for name, key, column in (
        ("tickets", "ticket_id", "requester_email"),
        ("nps_responses", "response_id", "respondent_email"),
    ):
        rows = read_all(out, name, days).join(
            people.filter(pl.col("entity") == name), left_on=key, right_on="key"
        )
        assert rows.height >= people.filter(pl.col("entity") == name).height > 0, name
        assert rows["contact_id"].null_count() == rows.height, name
        assert (rows[column] == rows["identifier"]).all(), name
        # Each planted spelling is the true contact's CRM address, however it is typed.
        known = rows.filter(pl.col("truth") == "contact").join(
            crm, left_on="contact_id_right", right_on="true_contact"
        )
        normalised = pl.col(column).str.strip_chars().str.to_lowercase()
        normalised = normalised.str.replace(r"\+[^@]*@", "@")
        assert (known.select(normalised)[column] == known["email"].str.to_lowercase()).all()
        spelled = known.select(
            plus=pl.col(column).str.contains("+", literal=True).mean(),
            exact=(pl.col(column) == pl.col("email")).mean(),
        ).row(0)
        # As in the CRM: 40%, plus the lower-cased spellings of addresses already lower-case.
        assert 0.08 < spelled[0] < 0.25 and 0.4 < spelled[1] < 0.7, (name, spelled)
    events = read_all(out, "events", days)
    anonymous = events.filter(pl.col("contact_id").is_null())
    assert 0.1 < anonymous.height / events.height < 0.25
    assert anonymous["anonymous_id"].null_count() == 0
    assert anonymous["account_id"].null_count() == anonymous.height
    devices = truth.filter(pl.col("entity") == "events")
    assert set(anonymous["anonymous_id"]) <= set(devices["identifier"])
    assert 0 < devices.filter(pl.col("truth") == "ambiguous").height < devices.height / 10


def assert_churn_matches_the_design(out: Path, days: list[str], truth: dict) -> None:
    """Recompute logo churn from the last subscriptions snapshot, as the design defines it.

    'Active on day d' is read three ways (dates compared, or timestamps at the start or the end
    of d): the generator keeps starts and churns off month-end days so all three agree.
    """
    subs = read(out, "subscriptions", days[-1]).select(
        "account_id", start=ts("started_at"), end=ts("ended_at")
    )

    def active_on(d: date, mode: str) -> set[str]:
        if mode == "date":
            start, end, at = pl.col("start").dt.date(), pl.col("end").dt.date(), pl.lit(d)
            live = (start <= at) & (end.is_null() | (end > at))
        else:
            instant = d if mode == "midnight" else d + timedelta(days=1)
            at = pl.lit(instant).cast(pl.Datetime("us", "UTC"))
            live = (pl.col("start") <= at) & (pl.col("end").is_null() | (pl.col("end") > at))
        return set(subs.filter(live)["account_id"])

    never_counted = set(truth["planted"]["same_month_cancel_accounts"])
    for key, cell in truth["churn_months"].items():
        first = date.fromisoformat(key + "-01")
        following = (first + timedelta(days=32)).replace(day=1)
        for mode in ("date", "midnight", "end_of_day"):
            at_start = active_on(first - timedelta(days=1), mode)
            lost = at_start - active_on(following - timedelta(days=1), mode)
            assert (len(at_start), len(lost)) == (cell["exposures"], cell["lost"]), (key, mode)
            assert not at_start & never_counted
    exposures = sum(c["exposures"] for c in truth["churn_months"].values())
    expected = truth["expected_monthly_churn_pct"]
    realised = truth["realised_monthly_churn_pct"]
    se = 100 * math.sqrt(expected / 100 * (1 - expected / 100) / exposures)
    assert abs(realised - expected) < 3 * se


def test_churn_matches_the_design_definition(out: Path, days: list[str], truth: dict) -> None:
    assert_churn_matches_the_design(out, days, truth)
    assert len(truth["churn_months"]) == 23  # 24 months minus the first, all complete
    assert truth["churn_hazard"]["base"] == 0.02
    flags = truth["churn_hazard"]["realised_by_detractor_flag"]
    rate = {k: v["lost"] / v["exposures"] for k, v in flags.items()}
    assert rate["detractor_previous_month"] > 1.5 * rate["no_detractor_previous_month"]


def test_mid_month_as_of_with_more_deliveries(tmp_path: Path) -> None:
    """A partial as-of month is not a churn month, and each later delivery is one day."""
    truth = generate(
        tmp_path, scale="small", seed=7, as_of=date(2026, 3, 15), deliveries=5, progress=None
    )
    days = truth["deliveries"]
    assert days == [f"2026-03-{d}" for d in range(11, 16)]
    months = list(truth["churn_months"])
    assert (months[0], months[-1]) == ("2024-05", "2026-02")  # March 2026 is not complete
    assert_later_deliveries_carry_only_that_day(tmp_path, days)
    assert_churn_matches_the_design(tmp_path, days, truth)


def test_regional_nps_is_the_planted_one(out: Path, days: list[str], truth: dict) -> None:
    regions = read(out, "accounts", days[-1]).select("account_id", "region")
    answers = read_all(out, "nps_responses", days).join(regions, on="account_id")
    score = pl.col("score").cast(pl.Int64)
    per = answers.group_by("region").agg(
        n=pl.len(),
        promoters=(score >= 9).mean(),
        detractors=(score <= 6).mean(),
    )
    for row in per.iter_rows(named=True):
        p, d, n = row["promoters"], row["detractors"], row["n"]
        measured = 100 * (p - d)
        se = 100 * math.sqrt((p + d - (p - d) ** 2) / n)
        planted = truth["nps_by_region"][row["region"]]
        assert abs(measured - planted) <= NPS_TOLERANCE_SE * se, (row["region"], measured, se)
        probs = truth["nps_band_probabilities"][row["region"]]
        assert planted == pytest.approx(100 * (probs["promoter"] - probs["detractor"]))
    assert set(per["region"]) == set(truth["nps_by_region"])


def test_ticket_seasonality_is_visible(out: Path, days: list[str], truth: dict) -> None:
    months = (
        read_all(out, "tickets", days)
        .unique("ticket_id")
        .select(month=ts("created_at").dt.month())["month"]
    )
    busy = months.is_in([1, 9]).sum()
    quiet = months.is_in([8, 12]).sum()
    assert busy / quiet > 1.8  # planted 1.5 / 0.6 = 2.5
    assert truth["ticket_seasonality"]["1"] == 1.5 and truth["ticket_seasonality"]["8"] == 0.6


def test_power_users_and_funnel(out: Path, days: list[str], truth: dict) -> None:
    events = read_all(out, "events", days)
    features = events.filter(pl.col("properties").str.contains('"feature"'))
    per_contact = features.group_by("contact_id").agg(pl.col("event_name").n_unique().alias("k"))
    heavy = (per_contact["k"] >= 6).mean()
    contacts = read(out, "contacts", days[-1]).height
    assert truth["power_user_contacts"] == round(contacts * truth["power_user_share"])
    assert heavy == pytest.approx(truth["power_user_share"], abs=0.05)
    identified = events.filter(pl.col("contact_id").is_not_null())
    first = identified.sort("occurred_at", "event_id").group_by("contact_id").first()
    assert set(first["event_name"]) == {"signup"}
    assert first.height == truth["funnel"]["contacts_reaching_step"]["signup"]


def test_revenue_tiers_all_occur(truth: dict) -> None:
    tiers = truth["revenue_tiers_at_as_of"]
    customers = sum(tiers.values())
    assert min(tiers.values()) > 0
    assert 0.07 <= tiers["Enterprise"] / customers <= 0.2


def test_small_sample_fits_in_5_mb(out: Path) -> None:
    """The committed sample stays small enough to clone in seconds. 5 MB since it carries the
    survey invitations and ticket events the survey-program and SLA marts read (4.3 MB)."""
    files = [p for p in out.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 5_000_000
    assert sum(p.stat().st_blocks * 512 for p in files) <= 5 * 1024 * 1024  # what du counts


def test_unknown_scale_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown scale"):
        generate(tmp_path, scale="huge", progress=None)


def test_currencies_change_only_subscriptions_and_arr(
    out: Path, days: list[str], tmp_path: Path
) -> None:
    """Currencies come from a stream of their own: every other file is byte-identical, the
    subscriptions gain the currency column (the sample leaves it out), and the rates cover every
    history month from its first day."""
    tmp = tmp_path / "currencies"
    truth = generate(tmp, seed=42, as_of=AS_OF, currencies=True, progress=None)
    plain = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    billed = {p.relative_to(tmp): p.read_bytes() for p in tmp.rglob("*") if p.is_file()}
    rates = Path(truth["currencies"]["rates_file"])
    assert set(billed) - set(plain) >= {rates} and not set(plain) - set(billed)
    changed = {k for k in plain if plain[k] != billed[k]}
    crm = {Path("crm", d, f"{name}.csv") for d in days for name in ("accounts", "subscriptions")}
    assert changed == crm | {Path(TRUTH_FILE)}
    before, after = read(out, "subscriptions", days[-1]), read(tmp, "subscriptions", days[-1])
    assert after.columns == [c.name for c in entity("subscriptions").columns]
    assert after.drop("mrr", "currency").equals(before.drop("mrr"))
    assert set(after["currency"]) == {"USD", "EUR", "GBP", "CAD", "AUD"}
    # USD rows keep their amount; others are billed in their own currency.
    usd = after["currency"] == "USD"
    assert after.filter(usd)["mrr"].equals(before.filter(usd)["mrr"])
    listed = pl.read_csv(tmp / rates, try_parse_dates=True)
    first = date.fromisoformat(truth["history"]["first_month"] + "-01")
    firsts = listed.group_by("currency").agg(pl.col("rate_date").min())["rate_date"]
    assert firsts.unique().to_list() == [first]
    assert after.select(ts("started_at").dt.date().min()).item() >= first


def test_reactivations_return_after_a_whole_month_away(
    out: Path, days: list[str], truth: dict
) -> None:
    subs = read(out, "subscriptions", days[-1]).select(
        "account_id", start=ts("started_at"), end=ts("ended_at")
    )
    returns = truth["planted"]["reactivations"]
    assert len(returns) >= 3
    for r in returns:
        rows = subs.filter(pl.col("account_id") == r["account_id"]).sort("start")
        back = rows.filter(pl.col("start").dt.strftime("%Y-%m") == r["back_month"])
        assert back.height == 1, r
        before = rows.filter(pl.col("start") < back["start"][0])
        # Everything before the return ended in the month of the loss, 2+ months earlier.
        assert before["end"].null_count() == 0
        assert before["end"].max().strftime("%Y-%m") == r["lost_month"], r  # type: ignore[union-attr]


def test_cli_generates_currencies_on_request(tmp_path: Path) -> None:
    from cx_pipeline.cli import main

    assert main(["generate", "--out", str(tmp_path), "--deliveries", "1", "--currencies"]) == 0
    truth = json.loads((tmp_path / TRUTH_FILE).read_text())
    assert (tmp_path / truth["currencies"]["rates_file"]).is_file()
    assert truth["currencies"]["subscriptions"]["EUR"] > 0


def test_planted_personas_use_their_own_features(out: Path, days: list[str], truth: dict) -> None:
    """Issue #19: a focus persona's contacts use exactly its features; the planted invitation
    (user_invited, numbered from E9000000001) is the one exception."""
    planted = pl.read_csv(out / PERSONA_TRUTH_FILE)
    assert planted.height == read(out, "contacts", days[-1]).height
    assert dict(planted["persona"].value_counts().iter_rows()) == truth["personas"]["contacts"]
    events = read_all(out, "events", days).filter(
        pl.col("properties").str.contains('"feature"') & (pl.col("event_id") < "E9")
    )
    used = events.join(planted, on="contact_id").group_by("persona").agg(pl.col("event_name"))
    for persona, names in used.iter_rows():
        if persona != "power user":
            assert set(names) <= set(truth["personas"]["features"][persona]), persona


def test_the_planted_invitations_come_early_by_each_accounts_first_contact(
    out: Path, days: list[str], truth: dict
) -> None:
    invited = read_all(out, "events", days).filter(pl.col("event_id") >= "E9")
    assert invited.height == truth["onboarding_milestone"]["accounts"] > 0
    assert set(invited["event_name"]) == {"user_invited"}
    accounts = read(out, "accounts", days[-1]).select("account_id", "created_at")
    delay = invited.join(accounts, on="account_id").select(
        days=(pl.col("occurred_at") - ts("created_at")).dt.total_days()
    )["days"]
    assert delay.min() >= 1 and delay.max() < truth["onboarding_milestone"]["window_days"]


def test_followups_on_request_change_nothing_else(out: Path, truth: dict, tmp_path: Path) -> None:
    """Issue #20: follow-ups come from their own stream, only when asked; every other file is
    the same bytes, and the follow-ups keep the contract and the planted shares."""
    from cx_pipeline.cli import main

    assert main(["generate", "--out", str(tmp_path), "--followups"]) == 0
    with_followups = json.loads((tmp_path / TRUTH_FILE).read_text())
    planted = with_followups.pop("followups")
    assert with_followups.pop("rows").pop("followups")["total"] > 0
    assert {k: v for k, v in truth.items() if k != "rows"} == with_followups
    files = {p.relative_to(out) for p in out.rglob("*.*") if p.name != TRUTH_FILE}
    for path in files:
        assert (tmp_path / path).read_bytes() == (out / path).read_bytes(), path
    new = {p.relative_to(tmp_path) for p in tmp_path.rglob("*.*") if p.name != TRUTH_FILE}
    assert {p.name for p in new - files} == {"followups.csv"}

    e = entity("followups")
    rows = read_all(tmp_path, "followups", truth["deliveries"])
    assert rows.columns == [*e.column_names, "delivery"]
    assert rows["followup_id"].is_unique().all()
    assert set(rows["outcome"].drop_nulls()) <= set(e.column("outcome").allowed or ())
    reached = rows.filter(pl.col("first_contact_at").is_not_null())
    assert (reached.select(ts("first_contact_at") >= ts("created_at")).to_series()).all()
    closed = rows.filter(pl.col("closed_at").is_not_null())
    assert (closed.select(ts("closed_at") >= ts("created_at")).to_series()).all()
    needs_contact = rows.filter(pl.col("outcome").is_in(["reached", "recovered"]))
    assert needs_contact["first_contact_at"].null_count() == 0
    answers = read_all(tmp_path, "nps_responses", truth["deliveries"])
    scores = rows.join(answers.select("response_id", "score"), on="response_id", how="left")
    assert (scores["score"].cast(pl.Int64) <= 6).all()  # detractors only
    followed = sum(c["followed_up"] for c in planted["by_month"].values())
    assert followed == rows.height
    share = followed / sum(c["detractors"] for c in planted["by_month"].values())
    assert share == pytest.approx(planted["followed_up_share"], abs=0.06)


def test_company_names_stay_unique_past_the_name_triples() -> None:
    """large2x asks for more accounts than there are (prefix, core, descriptor) triples."""
    total = len(vocab.NAME_PREFIXES) * len(vocab.NAME_CORES) * len(vocab.NAME_DESCRIPTORS)
    n = total + 1_000
    names, domains = company_names(np.random.default_rng(3), n, np.zeros(n, dtype=np.int64))
    assert names.n_unique() == n and domains.n_unique() == n
    assert names.str.contains(r" 2( |$)").sum() == 1_000
