"""`generate`: one deterministic run from profile to files plus the planted truth.

Order matters: accounts and planned contacts, then the monthly churn + NPS simulation (which
decides who churns when), then subscriptions (with the reactivations, which add to the churn
ledger, and on request the currencies and their rates), CRM snapshots, then tickets, events and
interviews month by month.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cx_pipeline import settings
from cx_pipeline.contract import entity
from cx_pipeline.contract.entities import REGIONS
from cx_pipeline.generate import drivers as planted_drivers
from cx_pipeline.generate import events, identities, support, surveys
from cx_pipeline.generate import followups as closed_loop
from cx_pipeline.generate.accounts import LOW_USAGE_SHARE, Accounts, build_accounts
from cx_pipeline.generate.contacts import plan_contacts
from cx_pipeline.generate.profiles import profile as get_profile
from cx_pipeline.generate.simulate import (
    BASE_HAZARD,
    DETRACTOR_MULTIPLIER,
    LOW_USAGE_MULTIPLIER,
    ChurnLedger,
    simulate,
)
from cx_pipeline.generate.subscriptions import (
    CURRENCIES,
    REPORTING_CURRENCY,
    Subscriptions,
    build_subscriptions,
    movements,
    plant_reactivations,
    price_in_currencies,
)
from cx_pipeline.generate.surveys import ResponseBatch
from cx_pipeline.generate.timeline import Timeline
from cx_pipeline.generate.writer import (
    LEFT_OUT,
    ON_REQUEST,
    REFERENCE_DIR,
    WITH_CURRENCIES,
    ExtractWriter,
)

TRUTH_FILE = "_truth.json"
IDENTITY_TRUTH_FILE = "_identities.csv"  # who each e-mail and device id truly is
RATES_FILE = f"{REFERENCE_DIR}/exchange_rates.csv"  # written with currencies=True
PERSONA_TRUTH_FILE = "_personas.csv"  # each contact's planted persona
TRUTH_VERSION = 2
TIER_CUTS = (10_000, 100_000)  # the design's default revenue-tier cut-offs on ARR


def generate(
    out: Path,
    scale: str = "small",
    seed: int = 42,
    as_of: date = date(2026, 10, 31),
    deliveries: int = 3,
    progress: Callable[[str], None] | None = print,
    currencies: bool = False,
    followups: bool = False,
) -> dict[str, Any]:
    """Write extracts for `deliveries` days ending on `as_of` under `out`; return the truth.

    Same arguments give byte-identical files. Earlier output of the four sources under `out`
    is removed first. With `currencies`, accounts are billed in their country's currency
    (subscriptions.currency) and the rates to USD they need are written to
    `out/_reference/exchange_rates.csv`, beside copies of the other reference tables of
    CX_REFERENCE_ROOT (default data/reference), so that folder is a reference root to run with.
    Only subscriptions and accounts (ARR) differ from a run without. With `followups`, closed-loop
    follow-ups of detractor answers are written too (surveys/followups.csv, generate/followups.py)
    and stated in the truth; nothing else differs from a run without.
    """
    started = time.perf_counter()
    say: Callable[[str], None] = progress or (lambda _message: None)
    prof = get_profile(scale)
    timeline = Timeline.build(as_of, prof.history_months, deliveries)
    out = Path(out)
    left_out = WITH_CURRENCIES if currencies else LEFT_OUT
    skip = tuple(name for name in ON_REQUEST if not (name == "followups" and followups))
    writer = ExtractWriter(out, timeline, prof.events_part_rows, say, left_out, skip)
    writer.reset()

    accounts = build_accounts(prof, timeline, seed)
    planned = plan_contacts(prof, timeline, accounts, seed)
    drivers = planted_drivers.plant_drivers(accounts, timeline.n_months, seed)
    say(f"accounts: {accounts.n:,} rows; contacts planned: {planned.n:,}")

    nps_entity, invitations_entity = entity("nps_responses"), entity("survey_invitations")
    next_response, next_invitation = 1, 1
    last_band = np.full(planned.n, -1, dtype=np.int64)  # each contact's latest answer so far
    people = identities.people(
        planned.contact_id, planned.email, accounts.domain.gather(planned.account)
    )
    identity_truth: list[pl.DataFrame] = []
    bands = np.zeros((len(REGIONS), 3), dtype=np.int64)  # responses by region x band
    drawn = closed_loop.Answers()  # every NPS answer as drawn, for the follow-ups (when asked)

    def on_responses(month: int, batch: ResponseBatch) -> None:
        nonlocal next_response, next_invitation
        frame = surveys.responses_frame(
            batch, next_response, timeline, month, accounts, planned, seed
        )
        next_response += batch.account.size
        if followups:
            drawn.add(frame["response_id"], batch)
        invitations = surveys.invitations_frame(
            batch, frame, last_band, next_invitation, timeline, planned, month, seed
        )
        if invitations.height:
            next_invitation += invitations.height
            writer.append(invitations_entity, invitations)
        frame, truth = identities.obscure_people(
            frame, "nps_responses", "response_id", "respondent_email", people, seed
        )
        identity_truth.append(truth)
        writer.append(nps_entity, frame)
        np.add.at(bands, (accounts.region[batch.account], batch.band), 1)

    ledger = simulate(prof, timeline, accounts, planned, drivers, seed, on_responses, say)
    contacts = planned.keep(planned.created < accounts.end[planned.account])
    subs = build_subscriptions(timeline, accounts, seed)
    plant_reactivations(subs, timeline, accounts, drivers, ledger, seed)
    if currencies:
        rates = price_in_currencies(subs, timeline, accounts, seed)
        write_reference(out, rates)
        say(f"currencies: {rates.height} rates in {RATES_FILE}")

    ends = timeline.delivery_ends
    for k in range(len(timeline.deliveries)):
        day_end, last = int(ends[k]), k == len(timeline.deliveries) - 1
        arr = subs.arr(day_end, accounts.n)
        writer.snapshot(entity("accounts"), k, accounts.frame(day_end, arr))
        writer.snapshot(entity("contacts"), k, contacts.frame(day_end, accounts))
        writer.snapshot(entity("subscriptions"), k, subs.frame(day_end, last, accounts))
    say(f"crm: {len(ends)} snapshots, {contacts.n:,} contacts, {subs.account.size:,} subscriptions")

    rate = prof.tickets / support.exposure(timeline, accounts, contacts)
    usage = events.plan_usage(timeline, accounts, contacts, seed)
    milestone = events.plan_milestone(timeline, accounts, contacts, seed)
    next_milestone_event = events.MILESTONE_EVENT_IDS_FROM
    tickets_entity, events_entity = entity("tickets"), entity("events")
    ticket_events_entity = entity("ticket_events")
    device = identities.devices(
        contacts.contact_id, contacts.contact_id.gather(contacts.offset[contacts.account]), seed
    )
    before_login = ~pl.col("event_name").is_in(list(events.FUNNEL))
    device_pairs: list[pl.DataFrame] = []
    next_ticket, next_event = 1, 1
    redelivered: list[str] = []
    for m in range(timeline.n_months):
        tickets = support.draw_tickets(timeline, m, accounts, contacts, drivers, rate, seed)
        frame = support.tickets_frame(tickets, next_ticket, timeline, m, accounts, contacts, seed)
        # A ticket and its solve-day re-delivery come from the same month's batch.
        redelivered += frame.filter(pl.col("ticket_id").is_duplicated())["ticket_id"].to_list()
        frame, truth = identities.obscure_people(
            frame, "tickets", "ticket_id", "requester_email", people, seed
        )
        identity_truth.append(truth)
        writer.append(tickets_entity, frame)
        writer.append(ticket_events_entity, support.ticket_events_frame(frame))
        next_ticket += tickets.created.size
        batch = events.draw_events(timeline, m, accounts, contacts, usage, drivers, seed)
        frame = events.events_frame(batch, next_event, timeline, accounts, contacts, seed)
        frame, pairs = identities.anonymise_events(frame, device, before_login, seed)
        device_pairs.append(pairs)
        writer.append(events_entity, frame)
        next_event += batch.at.size
        planted = events.milestone_batch(timeline, m, milestone, contacts)
        frame = events.events_frame(
            planted, next_milestone_event, timeline, accounts, contacts, seed
        )
        frame, pairs = identities.anonymise_events(frame, device, pl.lit(False), seed)
        device_pairs.append(pairs)
        writer.append(events_entity, frame)
        next_milestone_event += planted.at.size
        say(f"events: chunk {m + 1}/{timeline.n_months} ({batch.at.size:,} rows)")
    interviews = surveys.interviews_frame(timeline, accounts, contacts, seed)
    writer.append(entity("interviews"), interviews)
    answers = entity("survey_answers")
    writer.append(answers, surveys.pmf_frame(timeline, accounts, contacts, seed))
    for rated in ("csat", "ces"):
        writer.append(answers, surveys.rated_frame(timeline, accounts, contacts, seed, rated))
    followup_truth = None
    if followups:
        rows_planted, followup_truth = closed_loop.plant(drawn, timeline, accounts, planned, seed)
        writer.append(entity("followups"), rows_planted)
        say(f"followups: {rows_planted.height:,} rows")
    rows = writer.close()
    identity_truth.append(identities.device_truth(pl.concat(device_pairs)))
    pl.concat(identity_truth).write_csv(out / IDENTITY_TRUTH_FILE)
    pl.DataFrame(
        {
            "contact_id": contacts.contact_id,
            "persona": pl.Series(events.persona_names()).gather(usage.persona),
        }
    ).write_csv(out / PERSONA_TRUTH_FILE)

    truth = build_truth(scale, seed, timeline, rows, ledger, bands, usage, accounts, subs)
    truth["planted"]["redelivered_tickets"] = sorted(set(redelivered))
    truth["drivers"] = planted_drivers.truth(drivers)
    truth["personas"] = events.persona_truth(usage)
    truth["onboarding_milestone"] = events.milestone_truth(milestone)
    if followup_truth is not None:
        truth["followups"] = followup_truth
    (out / TRUTH_FILE).write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    total = sum(sum(v) for v in rows.values())
    seconds = time.perf_counter() - started
    say(f"done: {total:,} rows in {seconds:.1f} s ({total / seconds:,.0f} rows/s)")
    return truth


def write_reference(out: Path, rates: pl.DataFrame) -> None:
    """The generated rates, with the configured reference root's other tables beside them."""
    folder = out / REFERENCE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    shipped = Path(settings.REFERENCE_ROOT.value())
    for path in sorted(shipped.glob("*.csv")) if shipped.is_dir() else []:
        if path.name != "exchange_rates.csv":
            shutil.copyfile(path, folder / path.name)
    rates.write_csv(out / RATES_FILE)


def build_truth(
    scale: str,
    seed: int,
    timeline: Timeline,
    rows: dict[str, list[int]],
    ledger: ChurnLedger,
    bands: np.ndarray,
    usage: events.Usage,
    accounts: Accounts,
    subs: Subscriptions,
) -> dict[str, Any]:
    """Everything planted, as plain JSON values (no timings: the file must be reproducible)."""
    days = [d.isoformat() for d in timeline.deliveries]
    realised_nps = {}
    for r, region in enumerate(REGIONS):
        det, pas, pro = bands[r].tolist()
        n = det + pas + pro
        realised_nps[region] = {
            "responses": n,
            "nps": round(100 * (pro - det) / n, 6) if n else None,
        }
    arr = subs.arr(timeline.end_us, accounts.n)
    arr = arr[arr > 0]
    return {
        "version": TRUTH_VERSION,
        "scale": scale,
        "seed": seed,
        "as_of": timeline.as_of.isoformat(),
        "deliveries": days,
        "history": {
            "first_month": timeline.month_keys()[0],
            "last_month": timeline.month_keys()[-1],
            "months": timeline.n_months,
        },
        "rows": {
            name: {"total": sum(counts), "per_delivery": dict(zip(days, counts, strict=True))}
            for name, counts in rows.items()
        },
        "nps_by_region": surveys.planted_nps(),
        "nps_band_probabilities": {
            region: dict(zip(("detractor", "passive", "promoter"), probs, strict=True))
            for region, probs in surveys.BAND_PROBABILITIES.items()
        },
        "nps_realised_by_region": realised_nps,
        "pmf_very_disappointed_pct_by_region": surveys.planted_pmf(),
        "survey_ratings": surveys.planted_ratings(),
        "survey_response_bias": {
            "rule": "chance to answer an invitation, by the contact's latest earlier answer",
            "response_probability_by_last_answer": dict(
                zip(("detractor", "passive", "promoter"), surveys.RESPONSE_PROBABILITY, strict=True)
            ),
            "response_probability_first_answer": surveys.FIRST_RESPONSE_PROBABILITY,
            "bounce_share": surveys.INVITATION_BOUNCE_SHARE,
        },
        "expected_monthly_churn_pct": ledger.pct("expected_lost"),
        "realised_monthly_churn_pct": ledger.pct("lost"),
        "churn_months": ledger.months,
        "churn_hazard": {
            "base": BASE_HAZARD,
            "detractor_multiplier": DETRACTOR_MULTIPLIER,
            "low_usage_multiplier": LOW_USAGE_MULTIPLIER,
            "detractor_window": "any response scored 0-6 in the previous calendar month",
            "realised_by_detractor_flag": ledger.by_flag,
            "falling_usage_multiplier": planted_drivers.FALLING_USAGE_MULTIPLIER,
            "realised_by_falling_usage": ledger.by_usage,
        },
        "power_user_share": events.POWER_USER_SHARE,
        "power_user_contacts": int(usage.power.sum()),
        "expected_monthly_events_per_user": {
            "power": events.expected_monthly_events("power"),
            "normal": events.expected_monthly_events("normal"),
            "low_usage_account_multiplier": events.LOW_USAGE_EVENT_MULTIPLIER,
        },
        "distinct_features_per_user": {
            "power": list(events.FEATURES["power"]),
            # the others use exactly their persona's features (events.PERSONAS)
            "normal": [
                min(map(len, events.PERSONAS.values())),
                max(map(len, events.PERSONAS.values())),
            ],
        },
        "low_usage_share": LOW_USAGE_SHARE,
        "low_usage_accounts": int(accounts.low_usage.sum()),
        "funnel": {
            "planted_rates": {
                "onboarding_completed_given_signup": events.ONBOARDING_RATE,
                "first_report_created_given_onboarding": events.FIRST_REPORT_RATE,
            },
            "contacts_reaching_step": usage.funnel_counts(),
        },
        "ticket_seasonality": {str(m): support.SEASONALITY.get(m, 1.0) for m in range(1, 13)},
        "revenue_tiers_at_as_of": {
            "SMB": int((arr < TIER_CUTS[0]).sum()),
            "Mid-Market": int(((arr >= TIER_CUTS[0]) & (arr < TIER_CUTS[1])).sum()),
            "Enterprise": int((arr >= TIER_CUTS[1]).sum()),
        },
        "planted": dict(subs.planted),
        "mrr_movements": movements(subs, timeline, accounts.n),
        "currencies": currency_truth(subs),
    }


def currency_truth(subs: Subscriptions) -> dict[str, Any]:
    """What the subscriptions are billed in; without currencies, everything in USD unlabelled."""
    if subs.currency is None:
        return {"reporting": REPORTING_CURRENCY, "rates_file": None, "subscriptions": {}}
    counts = np.bincount(subs.currency + 1, minlength=len(CURRENCIES) + 1)
    names = [REPORTING_CURRENCY, *CURRENCIES]
    return {
        "reporting": REPORTING_CURRENCY,
        "rates_file": RATES_FILE,
        "subscriptions": {name: int(n) for name, n in zip(names, counts, strict=True)},
    }
