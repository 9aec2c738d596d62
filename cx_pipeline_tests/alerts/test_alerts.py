"""Each alert kind fires once on a planted cause and not on a clean run, over e-mail (a local
SMTP sink), a Slack-compatible and a JSON webhook (a local HTTP server), with the sensors
evaluated by Dagster against a real instance and warehouse; repeats are suppressed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest

from cx_pipeline import catalog
from cx_pipeline.alerts import ledger, rules
from cx_pipeline.alerts.config import AlertsConfigError, load
from cx_pipeline.alerts.message import Alert
from cx_pipeline.alerts.sensors import (
    alert_after_daily_run,
    alert_on_run_failure,
    alert_on_stale_marts,
    deliver,
    rebuilt_marts,
)
from cx_pipeline.definitions import defs
from cx_pipeline.partitions import delivered_days, range_tags
from cx_pipeline.resources import Warehouse
from cx_pipeline_tests.alerts.alert_extracts import DAYS, write_alert_extracts
from cx_pipeline_tests.alerts.servers import smtp_server, webhook_server
from cx_pipeline_tests.conftest import all_assets, make_resources, up_to

# Only what the rules read (and what it is built from).
READ_BY_RULES = up_to(
    "marts.nps_by_month",
    "marts.churn_by_month",
    "marts.nps_answers",
    "marts.account_health",
    "marts.identity_match_rates",
    "raw.industry_benchmarks",
)
METRIC_KINDS = {
    "quarantine_jump",
    "nps_drop",
    "churn_spike",
    "promoter_turned_detractor",
    "health_fell",
}


@dataclass
class Inbox:
    """What the local servers received."""

    smtp: object
    http: object
    config: Path

    def kinds(self) -> list[str]:
        return sorted(body["kind"] for path, body in self.http.posts if path == "/hook")

    def clear(self) -> None:
        self.smtp.messages.clear()
        self.http.posts.clear()


CONFIG = """\
[email]
host = "127.0.0.1"
port = {smtp_port}
sender = "cx-pipeline <alerts@example.test>"
to = ["cx-team@example.test"]

[slack]
url = "http://127.0.0.1:{http_port}/slack"

[webhook]
url = "http://127.0.0.1:{http_port}/hook"

[rules]
# The fixture's top account by MRR is A3; A1, whose 40 detractors move the NPS, is SMB.
top_accounts = 1
"""


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    config = tmp_path_factory.mktemp("alerts") / "alerts.toml"
    with smtp_server() as smtp, webhook_server() as http:
        config.write_text(
            CONFIG.format(smtp_port=smtp.server_address[1], http_port=http.server_port)
        )
        yield Inbox(smtp, http, config)


@pytest.fixture
def inbox(servers: Inbox, monkeypatch: pytest.MonkeyPatch) -> Inbox:
    monkeypatch.setenv("CX_ALERTS_CONFIG", str(servers.config))
    servers.clear()
    return servers


def run(
    root: Path,
    warehouse: Path,
    instance: dg.DagsterInstance,
    selection: dg.AssetSelection = READ_BY_RULES,
    **settings: object,
) -> dg.ExecuteInProcessResult:
    days = delivered_days(root)
    return dg.materialize(
        all_assets(),
        resources=make_resources(root, warehouse, **settings),
        selection=selection,
        tags=range_tags(days[0], days[-1]),
        instance=instance,
        raise_on_error=False,
    )


def after_run(
    instance: dg.DagsterInstance, warehouse: Path, cursor: str | None
) -> dg.SensorResult | dg.SkipReason:
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"warehouse": Warehouse(database=str(warehouse), memory_limit="1GB")},
    )
    return alert_after_daily_run(context)


@dataclass
class History:
    """A clean day, then the same days re-delivered with every metric's cause planted."""

    instance: dg.DagsterInstance
    warehouse: Path
    clean: list[str] = field(default_factory=list)
    planted: list[str] = field(default_factory=list)
    planted_messages: list = field(default_factory=list)
    planted_slack: list = field(default_factory=list)
    again: list[str] = field(default_factory=list)
    cursors: list[str | None] = field(default_factory=list)


@pytest.fixture(scope="module")
def history(servers: Inbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CX_ALERTS_CONFIG", str(servers.config))
        servers.clear()
        tmp = tmp_path_factory.mktemp("history")
        instance = dg.DagsterInstance.ephemeral()
        h = History(instance, tmp / "cx.duckdb")
        root = write_alert_extracts(tmp / "extracts")
        assert run(root, h.warehouse, instance).success
        clean = after_run(instance, h.warehouse, None)
        h.cursors.append(clean.cursor)
        h.clean = servers.kinds()

        write_alert_extracts(root, planted=True)
        assert run(root, h.warehouse, instance).success
        servers.clear()
        planted = after_run(instance, h.warehouse, clean.cursor)
        h.cursors.append(planted.cursor)
        h.planted = servers.kinds()
        h.planted_messages = list(servers.smtp.messages)
        h.planted_slack = [body for path, body in servers.http.posts if path == "/slack"]

        # The same run read again as if for the first time: the conditions are new to the
        # cursor, but each was sent a moment ago, so the ledger holds them back.
        servers.clear()
        state = json.loads(clean.cursor)
        after_run(instance, h.warehouse, json.dumps({**state, "active": []}))
        h.again = servers.kinds()
        yield h


def test_a_clean_run_alerts_nobody(history: History) -> None:
    assert history.clean == []
    assert json.loads(history.cursors[0])["active"] == []


def test_each_planted_cause_alerts_once_on_every_channel(history: History) -> None:
    assert history.planted == sorted(METRIC_KINDS | {"check_failed"})
    titles = sorted(m["Subject"] for m in history.planted_messages)
    assert len(titles) == len(METRIC_KINDS) + 1
    assert all(m["To"] == "cx-team@example.test" for m in history.planted_messages)
    assert len(history.planted_slack) == len(METRIC_KINDS) + 1
    assert all(set(body) == {"text"} for body in history.planted_slack)


def test_alerts_say_what_where_and_what_to_do(history: History) -> None:
    texts = {m["Subject"]: m.get_content() for m in history.planted_messages}
    by_kind = {
        kind: next(t for s, t in texts.items() if marker in s)
        for kind, marker in {
            "churn_spike": "logo churn was 33.3% in March 2026 (1 of 3 accounts lost)",
            "nps_drop": "NPS fell 193.2 points in March 2026 to -93.2 (n = 44)",
            "promoter_turned_detractor": "scored 2 on 2026-03-26, after 10 on 2026-01-15",
            "health_fell": "fell from 92 (healthy) on 2026-02-28 to 48 (watch) on 2026-03-31",
            "quarantine_jump": "10.2% of surveys's nps_responses delivery of 2026-03-31",
            "check_failed": "check linked_share_above_floor of marts/identity_match_rates",
        }.items()
    }
    for text in by_kind.values():
        assert "\nWhere: " in text and "\nWhat to do: " in text
    assert "account A3" in by_kind["health_fell"]
    assert "over the 5% target (the seed target" in by_kind["churn_spike"]
    assert "(5 of 49 rows), up from 0.0%" in by_kind["quarantine_jump"]
    assert "tickets 66.7%" in by_kind["check_failed"]
    assert "The run went on (the check does not block)" in by_kind["check_failed"]


def test_a_condition_that_lasts_is_not_told_again(history: History) -> None:
    # The cursor remembers what was true after the planted run: reading it again sends nothing.
    assert sorted(f.split(":")[0] for f in json.loads(history.cursors[1])["active"]) == sorted(
        METRIC_KINDS
    )
    # Forgetting the cursor, the ledger still holds each back for CX_ALERTS_REPEAT_HOURS.
    assert history.again == []


def test_nothing_new_means_no_reading(history: History, inbox: Inbox) -> None:
    result = after_run(history.instance, history.warehouse, history.cursors[1])
    assert isinstance(result, dg.SkipReason)
    assert inbox.kinds() == []


def test_the_repeat_interval_is_a_setting(
    history: History, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh instance has no ledger; a sent alert comes back once the interval has passed."""
    instance = dg.DagsterInstance.ephemeral()
    context = dg.build_sensor_context(instance=instance)
    alert = Alert("nps_drop", "2026-03-01", "NPS fell", "marts.nps_by_month", "look")
    config = load(inbox.config)
    assert deliver(context, config, [alert, alert]) == [alert]
    assert deliver(context, config, [alert]) == []
    sent_at = ledger.last_sent(instance, [alert])[alert.fingerprint]
    assert time.time() - sent_at < 60
    monkeypatch.setenv("CX_ALERTS_REPEAT_HOURS", "1")
    ledger.record(instance, [alert], time.time() - 3601)
    assert deliver(context, config, [alert]) == [alert]
    assert inbox.kinds() == ["nps_drop", "nps_drop"]


# ---- runs that fail --------------------------------------------------------------------------


def failure_ticks(instance: dg.DagsterInstance, cursor: str | None) -> tuple[str | None, list[str]]:
    """One tick of the run-failure sensor, as the daemon evaluates it."""
    data = alert_on_run_failure.evaluate_tick(
        dg.build_sensor_context(instance=instance, cursor=cursor)
    )
    return data.cursor, [str(r.error) for r in data.dagster_run_reactions if r.error]


def test_a_failed_run_and_a_failed_blocking_check_alert_once_each(
    inbox: Inbox, tmp_path: Path
) -> None:
    instance = dg.DagsterInstance.ephemeral()
    cursor, _ = failure_ticks(instance, None)  # the sensor starts from now
    root = write_alert_extracts(tmp_path / "extracts")
    raw_nps = dg.AssetSelection.assets(catalog.key("raw", "nps_responses"))
    assert run(root, tmp_path / "cx.duckdb", instance, raw_nps).success
    cursor, errors = failure_ticks(instance, cursor)
    assert errors == [] and inbox.kinds() == []  # a clean run: nothing

    # A file without its score column: the load fails, no check involved.
    answers = root / "surveys" / DAYS[1] / "nps_responses.csv"
    good = answers.read_text()
    answers.write_text(good.replace(",score,", ",points,"))
    assert not run(root, tmp_path / "cx.duckdb", instance, raw_nps).success
    cursor, errors = failure_ticks(instance, cursor)
    assert errors == [] and inbox.kinds() == ["run_failed"]
    (failed,) = [b for p, b in inbox.http.posts if p == "/hook"]
    assert "raw__nps_responses" in failed["what"] and "score" in failed["what"]
    assert "cx-pipeline run --from 2026-03-30 --to 2026-03-31" in failed["what_to_do"]

    # Twelve scores out of range: over the share and the rows that block.
    inbox.clear()
    bad = "".join(f"B{i},C1,A1,pulse,in_app,2026-03-21T10:00:00Z,11,\n" for i in range(12))
    answers.write_text(good + bad)
    assert not run(root, tmp_path / "cx.duckdb", instance, raw_nps).success
    cursor, errors = failure_ticks(instance, cursor)
    assert errors == [] and inbox.kinds() == ["check_failed"]
    (check,) = [b for p, b in inbox.http.posts if p == "/hook"]
    assert check["details"]["check"] == "quarantine_share"
    assert "raw/nps_responses" in check["what"]

    # The same check failing again the next hour is the same alert: held back.
    inbox.clear()
    assert not run(root, tmp_path / "cx.duckdb", instance, raw_nps).success
    _, errors = failure_ticks(instance, cursor)
    assert errors == [] and inbox.kinds() == []


# ---- stale marts -----------------------------------------------------------------------------


def test_stale_marts_alert_once_their_fail_window_has_passed(
    history: History, inbox: Inbox
) -> None:
    context = dg.build_sensor_context(instance=history.instance, definitions=defs)
    assert isinstance(alert_on_stale_marts(context), dg.SkipReason)  # just rebuilt
    assert inbox.kinds() == []
    # 51 hours on, past the marts' 50-hour fail window (catalog.MART_FRESHNESS).
    later = time.time() + 51 * 3600
    (stale,) = rules.stale_marts(history.instance, defs.resolve_asset_graph(), later)
    assert stale.kind == "mart_stale"
    assert "marts/nps_by_month" in stale.details["marts"]
    assert "marts/benchmarks" not in stale.details["marts"]  # never built here: not stale
    deliver(context, load(inbox.config), [stale])
    assert inbox.kinds() == ["mart_stale"]


# ---- the alerts file ---------------------------------------------------------------------------


def test_alerts_are_off_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CX_ALERTS_CONFIG", raising=False)
    context = dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), definitions=defs)
    assert "alerts are off" in alert_on_stale_marts(context).skip_message


def test_a_typo_in_the_alerts_file_names_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text('[slack]\nurl = "http://127.0.0.1:1/x"\n[rules]\ntop_acounts = 5\n')
    with pytest.raises(AlertsConfigError, match=r"\[rules\] has unknown key\(s\) top_acounts"):
        load(path)
    path.write_text('[rules]\nkinds = ["nps_drop"]\n')
    with pytest.raises(AlertsConfigError, match="no channel"):
        load(path)


def test_one_channel_down_does_not_keep_the_others_from_hearing(
    inbox: Inbox, tmp_path: Path
) -> None:
    path = tmp_path / "alerts.toml"
    port = inbox.http.server_port
    path.write_text(
        f'[email]\nhost = "127.0.0.1"\nport = 1\nsender = "a@example.test"\n'
        f'to = ["b@example.test"]\ntimeout_seconds = 2\n'
        f'[webhook]\nurl = "http://127.0.0.1:{port}/hook"\n'
    )
    context = dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral())
    alert = Alert("churn_spike", "2026-03-01", "churn", "marts.churn_by_month", "look")
    assert deliver(context, load(path), [alert]) == [alert]
    assert inbox.kinds() == ["churn_spike"]


def test_the_alert_sensors_are_in_the_definitions_and_off_without_a_file() -> None:
    for name in ("alert_on_run_failure", "alert_after_daily_run", "alert_on_stale_marts"):
        sensor = defs.resolve_sensor_def(name)
        # The definitions were loaded without CX_ALERTS_CONFIG: nothing to switch on.
        assert sensor.default_status == dg.DefaultSensorStatus.STOPPED, name


def test_the_command_sends_a_test_and_lists_what_is_true_now(
    history: History, inbox: Inbox, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from cx_pipeline import cli

    assert cli.main(["alerts", "--send-test"]) == 0
    assert inbox.kinds() == ["test"]
    assert len(inbox.smtp.messages) == 1
    monkeypatch.setenv("CX_WAREHOUSE", str(history.warehouse))
    assert cli.main(["alerts"]) == 0
    out = capsys.readouterr().out
    assert "5 alert(s) true now (nothing sent" in out
    assert inbox.kinds() == ["test"]
    monkeypatch.delenv("CX_ALERTS_CONFIG")
    assert cli.main(["alerts"]) == 2


def test_a_busy_warehouse_is_read_at_the_next_tick(history: History, inbox: Inbox) -> None:
    """Another process writing the warehouse: the sensor neither waits nor moves its cursor."""
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', "
            "flush=True); time.sleep(60)",
            str(history.warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        result = after_run(history.instance, history.warehouse, history.cursors[0])
        assert time.monotonic() - started < 10
        assert isinstance(result, dg.SkipReason)
        assert "read at the next tick" in result.skip_message
        assert inbox.kinds() == []
    finally:
        holder.kill()
        holder.wait()


def test_only_a_run_that_built_marts_counts_as_rebuilding_them() -> None:
    """A whole cx_daily run rebuilds the marts; part of it (`cx-pipeline run --select`)
    counts only when it materialized a mart."""
    with dg.DagsterInstance.ephemeral() as instance:
        whole = dg.DagsterRun(job_name="cx_daily", run_id="whole")
        part = dg.DagsterRun(
            job_name="cx_daily",
            run_id="part",
            asset_selection=frozenset({catalog.key("raw", "accounts")}),
        )
        assert rebuilt_marts(instance, whole)
        assert not rebuilt_marts(instance, part)
