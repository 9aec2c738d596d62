"""The alerts file (`CX_ALERTS_CONFIG`, TOML): who is told, over which channels, and the
thresholds of the rules. Read when a sensor evaluates, never when the definitions load, so a
fix to the file takes effect at the next tick without a reload. Format: docs/alerts.md."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

# Every kind of alert cx-pipeline sends (docs/alerts.md says what each means).
KINDS = (
    "run_failed",
    "check_failed",
    "quarantine_jump",
    "mart_stale",
    "nps_drop",
    "churn_spike",
    "promoter_turned_detractor",
    "health_fell",
)


class AlertsConfigError(ValueError):
    """The alerts file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Email:
    host: str
    to: list[str]
    sender: str
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username: str = ""
    password_env: str = ""  # the password is read from this variable, never from the file
    timeout_seconds: float = 10.0

    @property
    def password(self) -> str:
        return os.environ.get(self.password_env, "") if self.password_env else ""


@dataclass(frozen=True)
class Webhook:
    """A Slack-compatible ({"text": ...}) or generic JSON webhook. A webhook URL is a secret:
    `url_env` names the variable that holds it, `url` is for hooks that need no secret."""

    url: str = ""
    url_env: str = ""
    timeout_seconds: float = 10.0

    @property
    def address(self) -> str:
        return os.environ.get(self.url_env, "") if self.url_env else self.url


@dataclass(frozen=True)
class Rules:
    """Thresholds of the rules (defaults here and only here; docs/alerts.md explains each)."""

    kinds: list[str] = field(default_factory=lambda: list(KINDS))
    # Latest delivery's quarantined share minus the average of the previous deliveries of the
    # same entity (0.02 = two percentage points), with at least this many quarantined rows.
    quarantine_jump: float = 0.02
    quarantine_jump_min_rows: int = 5
    quarantine_baseline_deliveries: int = 7
    # Monthly logo churn above this alerts; unset: the seed target of the reference file
    # (raw.industry_benchmarks, kind 'target'), the one the benchmark marts compare against.
    churn_target_pct: float | None = None
    # Top accounts by MRR whose health is watched, and the fall in points that alerts.
    top_accounts: int = 20
    health_drop_points: float = 20.0
    # A high-value promoter turning detractor: the detractor answer is this recent.
    detractor_lookback_days: int = 30
    high_value_tiers: list[str] = field(default_factory=lambda: ["enterprise"])


@dataclass(frozen=True)
class AlertsConfig:
    email: Email | None = None
    slack: Webhook | None = None
    webhook: Webhook | None = None
    rules: Rules = field(default_factory=Rules)

    @property
    def channels(self) -> list[str]:
        return [name for name in ("email", "slack", "webhook") if getattr(self, name)]

    def wants(self, kind: str) -> bool:
        return kind in self.rules.kinds


def _build(cls: type, table: object, where: str, path: Path) -> object:
    if not isinstance(table, dict):
        raise AlertsConfigError(f"{path}: [{where}] must be a table")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise AlertsConfigError(
            f"{path}: [{where}] has unknown key(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    try:
        return cls(**table)
    except TypeError as e:
        raise AlertsConfigError(f"{path}: [{where}]: {e}") from None


def load(path: str | Path) -> AlertsConfig:
    """Read and check the alerts file; every problem names the file and the entry."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise AlertsConfigError(f"{path}: no such file (CX_ALERTS_CONFIG)") from None
    except tomllib.TOMLDecodeError as e:
        raise AlertsConfigError(f"{path}: not valid TOML: {e}") from None
    unknown = sorted(set(data) - {"email", "slack", "webhook", "rules"})
    if unknown:
        raise AlertsConfigError(
            f"{path}: unknown table(s) {', '.join(unknown)}; known: email, slack, webhook, rules"
        )
    config = AlertsConfig(
        email=_build(Email, data["email"], "email", path) if "email" in data else None,
        slack=_build(Webhook, data["slack"], "slack", path) if "slack" in data else None,
        webhook=_build(Webhook, data["webhook"], "webhook", path) if "webhook" in data else None,
        rules=_build(Rules, data.get("rules", {}), "rules", path),
    )
    bad_kinds = sorted(set(config.rules.kinds) - set(KINDS))
    if bad_kinds:
        raise AlertsConfigError(
            f"{path}: [rules] kinds has unknown kind(s) {', '.join(bad_kinds)}; "
            f"known: {', '.join(KINDS)}"
        )
    # The values revenue_tier() in rules.sql gives: a misspelt tier would switch the alert off.
    tiers = ("SMB", "mid-market", "enterprise")
    bad_tiers = sorted(set(config.rules.high_value_tiers) - set(tiers))
    if bad_tiers:
        raise AlertsConfigError(
            f"{path}: [rules] high_value_tiers has unknown tier(s) {', '.join(bad_tiers)}; "
            f"known: {', '.join(tiers)}"
        )
    for name in ("slack", "webhook"):
        hook = getattr(config, name)
        if hook is not None and not (hook.url or hook.url_env):
            raise AlertsConfigError(f"{path}: [{name}] needs url or url_env")
    if config.email is not None and not config.email.to:
        raise AlertsConfigError(f"{path}: [email] to is empty")
    if not config.channels:
        raise AlertsConfigError(f"{path}: no channel: add [email], [slack] or [webhook]")
    return config
