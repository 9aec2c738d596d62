"""Contact segments: the influence mapping on real-world titles, and power users on the sample.
Account segments: tenure of the latest customer spell, recomputed on the sample; journey stages:
which wins when an account meets the conditions of two."""

from __future__ import annotations

import calendar
import itertools
import json
from datetime import date

import dagster as dg
import duckdb
import pytest

from cx_pipeline import catalog
from cx_pipeline.generate import TRUTH_FILE
from cx_pipeline.resources import install_rules
from cx_pipeline_tests.conftest import SAMPLE_ROOT, materialize_all, up_to
from cx_pipeline_tests.marts.stage_extracts import CONDITIONS, write_stage_extracts
from cx_pipeline_tests.tiny_extracts import NPS_RESPONSES, write_tiny_extracts

# Titles as people type them, each with the level a CX team would give it.
TITLES = {
    "CEO": "c_level",
    "Chief Executive Officer": "c_level",
    "Co-founder & CTO": "c_level",
    "Chief Customer Officer": "c_level",
    "cfo": "c_level",
    "Founder": "c_level",
    "President": "c_level",
    "Owner": "c_level",
    "Managing Director EMEA": "c_level",
    "Chief of Staff": "senior_manager",
    "VP Customer Success": "senior_manager",
    "vp sales": "senior_manager",
    "Vice President, Sales": "senior_manager",
    "SVP Operations": "senior_manager",
    "Head of Support": "senior_manager",
    "Head of IT": "senior_manager",
    "Director, Customer Support": "senior_manager",
    "IT Director": "senior_manager",
    "Sr. Mgr, Support Ops": "senior_manager",
    "Senior Manager Customer Success": "senior_manager",
    "Procurement Manager": "decision_maker",
    "IT Manager": "decision_maker",
    "Purchasing Lead": "decision_maker",
    "Finance Manager": "decision_maker",
    "Operations Manager": "decision_maker",
    "Senior IT Buyer": "decision_maker",
    "Customer Success Manager": "influencer",
    "CSM": "influencer",
    "Product Manager": "influencer",
    "Product Owner": "influencer",
    "Support Team Lead": "influencer",
    "Solutions Architect": "influencer",
    "Support Agent": "end_user",
    "support agent": "end_user",
    "Customer Service Representative": "end_user",
    "Data Analyst": "end_user",
    "Sr. Software Engineer": "end_user",
    "Administrator": "end_user",
    "Office Manager": "end_user",
    "Intern": "end_user",
    "": "unknown",
    "   ": "unknown",
    None: "unknown",
}


@pytest.fixture(scope="module")
def rules() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    install_rules(con)
    return con


@pytest.mark.parametrize(("title", "level"), TITLES.items())
def test_influence_level_of_real_world_titles(rules, title: str | None, level: str) -> None:
    assert rules.execute("SELECT influence_level(?)", [title]).fetchone() == (level,)


def test_every_sample_contact_has_a_level(sample_query) -> None:
    levels = dict(
        sample_query("SELECT influence_level, count(*) FROM marts.contact_segments GROUP BY 1")
    )
    total = sample_query("SELECT count(*) FROM staging.contacts")[0][0]
    assert sum(levels.values()) == total
    assert set(levels) == {
        "c_level",
        "senior_manager",
        "decision_maker",
        "influencer",
        "end_user",
        "unknown",
    }


def test_power_users_follow_the_rule_and_the_accounts_count_them(sample_query) -> None:
    wrong = sample_query(
        "SELECT count(*) FROM marts.contact_segments "
        "WHERE is_power_user <> (active_days_last_30d >= 8 AND features_last_30d >= 5)"
    )
    assert wrong == [(0,)]
    mismatched = sample_query(
        """
        SELECT count(*) FROM marts.account_segments AS a
        LEFT JOIN (
            SELECT account_id, count(*) FILTER (WHERE is_power_user) AS n
            FROM marts.contact_segments GROUP BY 1
        ) AS c USING (account_id)
        WHERE a.power_users <> coalesce(c.n, 0)
        """
    )
    assert mismatched == [(0,)]
    # Planted: 15% of contacts are heavy users, less in low-usage accounts (20% of accounts
    # at 30% of the activity); the rule should flag roughly that share of active contacts.
    share = sample_query(
        "SELECT avg(is_power_user::INT) FROM marts.contact_segments "
        "WHERE account_is_active AND events_last_30d > 0"
    )[0][0]
    assert 0.05 <= share <= 0.30


@pytest.fixture(scope="module")
def tiny_plus(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The tiny extracts plus one answer: C4 (Data Analyst at A3, enterprise) scores 10."""
    root = tmp_path_factory.mktemp("segments")
    answers = NPS_RESPONSES + "R14,C4,A3,rel-q1,in_app,2026-03-30T10:00:00Z,10,\n"
    materialize_all(
        write_tiny_extracts(root / "extracts", answers),
        root / "cx.duckdb",
        selection=up_to("marts.promoter_power_matrix", "marts.high_value_promoters"),
    )
    return duckdb.connect(str(root / "cx.duckdb"), read_only=True)


def test_promoter_power_matrix_by_hand(tiny_plus: duckdb.DuckDBPyConnection) -> None:
    """Active accounts on 31 Mar are A1 (C1, C2) and A3 (C4); nobody is a power user (at most
    one event each). Latest answers: C1 7 (passive), C2 9 (promoter), C4 10 (promoter)."""
    rows = tiny_plus.execute(
        "SELECT nps_category, is_power_user, quadrant, contacts, share_of_contacts_pct, accounts "
        "FROM marts.promoter_power_matrix ORDER BY ALL"
    ).fetchall()
    assert rows == [
        ("passive", False, "the quiet middle", 1, pytest.approx(100 / 3), 1),
        ("promoter", False, "fans to activate", 2, pytest.approx(200 / 3), 2),
    ]


def test_high_value_promoters_by_hand(tiny_plus: duckdb.DuckDBPyConnection) -> None:
    """C2 is a promoter at A1 (SMB); only C4, at enterprise A3, is a high-value promoter."""
    rows = tiny_plus.execute(
        "SELECT contact_id, account_id, revenue_tier, influence_level, last_nps_score "
        "FROM marts.high_value_promoters"
    ).fetchall()
    assert rows == [("C4", "A3", "enterprise", "end_user", 10)]


def test_matrix_and_promoters_agree_with_contact_segments(sample_query) -> None:
    total = sample_query("SELECT count(*) FROM marts.contact_segments WHERE account_is_active")[0][
        0
    ]
    assert sample_query("SELECT sum(contacts) FROM marts.promoter_power_matrix") == [(total,)]
    wrong = sample_query(
        """
        SELECT count(*) FROM marts.high_value_promoters AS h
        JOIN marts.account_segments AS a USING (account_id)
        WHERE h.last_nps_score < 9 OR a.revenue_tier <> 'enterprise' OR NOT a.is_active
        """
    )
    assert wrong == [(0,)]
    assert sample_query("SELECT count(*) FROM marts.high_value_promoters")[0][0] > 0


def add_months(day: date, months: int) -> date:
    """`day` plus whole months, clamped to the month's end (31 Jan + 1 month = 28 Feb)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def whole_months(since: date, day: date) -> int:
    """The most whole months that fit from `since` to `day` (31 Jan to 1 Mar is 1)."""
    months = (day.year - since.year) * 12 + day.month - since.month
    while months > 0 and add_months(since, months) > day:
        months -= 1
    return months


def band(months: int) -> str:
    for below, name in ((6, "0-5 months"), (12, "6-11 months"), (24, "1-2 years")):
        if months < below:
            return name
    return "2+ years"


def spells_of(subscriptions: list[tuple[str, date, date | None]]) -> dict[str, list[list]]:
    """Merge each account's active days [start, end) into spells [start, end or None]: a
    subscription that starts on or before the day the ones before it stop continues the spell."""
    spells: dict[str, list[list]] = {}
    for account, start, end in sorted(subscriptions, key=lambda s: (s[0], s[1])):
        if end is not None and end <= start:
            continue  # never active
        runs = spells.setdefault(account, [])
        if runs and (runs[-1][1] is None or start <= runs[-1][1]):
            last_end = runs[-1][1]
            runs[-1][1] = None if last_end is None or end is None else max(last_end, end)
        else:
            runs.append([start, end])
    return spells


def test_sample_tenure_stops_at_the_loss(sample_query) -> None:
    """Spells and tenure recomputed in Python from staging.subscriptions: a lost account's tenure
    runs from its last spell's start to that spell's end, not to the as-of date (the old rule put
    most lost accounts of the sample in a later band)."""
    as_of = date.fromisoformat(json.loads((SAMPLE_ROOT / TRUTH_FILE).read_text())["as_of"])
    subscriptions = [
        (account, start, end if end is not None and end <= as_of else None)
        for account, start, end in sample_query(
            "SELECT account_id, CAST(timezone('UTC', started_at) AS DATE), "
            "CAST(timezone('UTC', ended_at) AS DATE) FROM staging.subscriptions "
            "WHERE CAST(timezone('UTC', started_at) AS DATE) <= ?",
            [as_of],
        )
    ]
    spells = spells_of(subscriptions)
    expected_spells = [
        (account, number, start, end, end is not None, whole_months(start, end or as_of))
        for account, runs in sorted(spells.items())
        for number, (start, end) in enumerate(runs, start=1)
    ]
    assert (
        sample_query(
            "SELECT account_id, spell_number, spell_start, spell_end, lost, tenure_months "
            "FROM marts.customer_spells ORDER BY account_id, spell_number"
        )
        == expected_spells
    )
    rows = sample_query(
        "SELECT account_id, customer_since, is_active, spell_start, tenure_months, tenure_band "
        "FROM marts.account_segments WHERE customer_since IS NOT NULL"
    )
    moved = 0
    for account, since, is_active, spell_start, tenure, tenure_band in rows:
        start, end = spells[account][-1]
        assert (is_active, spell_start) == (end is None, start), account
        months = whole_months(start, end or as_of)
        assert (tenure, tenure_band) == (months, band(months)), account
        moved += band(whole_months(since, as_of)) != tenure_band
    lost = sum(1 for r in rows if not r[2])
    assert lost > 0 and moved > lost / 4  # the loss matters: many lost accounts change band


# The stage each condition leads to, in the documented order (account_segments.sql: risks first,
# the most certain loss first; champion last, so it never hides a risk).
STAGE_ORDER = ("cancelling", "at_risk", "dormant", "onboarding", "champion")
STAGE_OF = {
    "cancelling": "cancelling",
    "detractor": "at_risk",
    "usage_fell": "at_risk",
    "escalations": "at_risk",
    "dormant": "dormant",
    "onboarding": "onboarding",
    "champion": "champion",
}
# Pairs no account can meet: one latest answer is not both a detractor and a promoter, and a
# power user (champion) has events in the window a dormant account has none in.
IMPOSSIBLE = {("detractor", "champion"), ("dormant", "champion")}
PAIRS = [p for p in itertools.combinations(CONDITIONS, 2) if p not in IMPOSSIBLE]


def account_of(conditions: tuple[str, ...]) -> str:
    return "X-" + "-".join(conditions)


@pytest.fixture(scope="module")
def stages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    accounts = {account_of(p): p for p in PAIRS}
    accounts |= {account_of((c,)): (c,) for c in CONDITIONS}
    accounts |= {
        "X-none": (),
        "X-old-promoter": ("promoter_200_days",),
        "X-renewal-booked": ("cancelling", "renewal_booked"),
    }
    root = tmp_path_factory.mktemp("stages")
    materialize_all(
        write_stage_extracts(root / "extracts", accounts),
        root / "cx.duckdb",
        selection=dg.AssetSelection.assets(catalog.key("marts", "account_segments")).upstream(),
    )
    with duckdb.connect(str(root / "cx.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT account_id, journey_stage FROM marts.account_segments")
        return dict(rows.fetchall())


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_stage_condition_alone(stages: dict[str, str], condition: str) -> None:
    assert stages[account_of((condition,))] == STAGE_OF[condition]


@pytest.mark.parametrize("pair", PAIRS, ids="+".join)
def test_the_riskier_stage_wins_every_pair(stages: dict[str, str], pair: tuple[str, str]) -> None:
    winner = min((STAGE_OF[c] for c in pair), key=STAGE_ORDER.index)
    assert stages[account_of(pair)] == winner


def test_champion_needs_a_recent_promoter_answer(stages: dict[str, str]) -> None:
    """A promoter answer 200 days old (over the 180 of nps_answer_is_recent) with a power user
    is no longer a champion; nor is an account without any condition."""
    assert stages["X-old-promoter"] == "active"
    assert stages["X-none"] == "active"


def test_a_booked_renewal_is_not_a_cancellation(stages: dict[str, str]) -> None:
    assert stages["X-renewal-booked"] == "active"


# (events in the last 30 days, in the 30 before, in the 90-day baseline before the last 30,
#  the old rule "below half of the 30 days before", the new rule against the baseline)
USAGE_CASES = {
    # A noisy month: 4 against 10 the month before, but the baseline averages 10 a month, and 4
    # is not under 30% of it (3).
    "noise": (4, 10, 30, True, False),
    # A real drop: 40 a month for three months, then 2 (under 12, and the month before was 40).
    "drop": (2, 40, 120, True, True),
    # The same fall a month later: the month before (5) was already under half the average (65
    # / 3 = 21.7): not a new drop, it stays visible as low usage.
    "lasting fall": (2, 5, 65, False, False),
    # A drop from 20 a month: 2 < 6, the month before 20 >= 10.
    "drop from a smaller baseline": (2, 20, 60, True, True),
    # Baseline under 10 a month (29 / 3): too small to judge.
    "small baseline": (0, 20, 29, True, False),
    # Exactly at the line: 30% of 40 is 12, and 12 is not below it.
    "at the line": (12, 40, 120, True, False),
    "no events known": (None, None, None, False, False),
}


@pytest.mark.parametrize(
    ("last", "previous", "baseline", "old", "new"), USAGE_CASES.values(), ids=USAGE_CASES
)
def test_usage_fell_against_the_accounts_own_baseline(
    rules, last: int | None, previous: int | None, baseline: int | None, old: bool, new: bool
) -> None:
    assert rules.execute("SELECT usage_fell(?, ?, ?)", [last, previous, baseline]).fetchone() == (
        new,
    )
    # The old rule, for the record of what changed.
    assert (previous is not None and previous >= 10 and last < 0.5 * previous) == old
