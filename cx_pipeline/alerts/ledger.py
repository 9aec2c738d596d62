"""When each alert was last sent, kept in the Dagster instance's key-value storage (the storage
that holds sensor cursors: SQLite or PostgreSQL as dagster.yaml says).

Why there and not in the warehouse or a sensor cursor: the run-failure sensor's cursor belongs
to Dagster, and the three alert sensors must share one record (a check failure can be reported
by the failure sensor and by the after-run sensor); the warehouse has one writer, and a sensor
that waited for it, or held it, would stall runs. One key per alert, so two sensors writing at
once never overwrite each other's entries."""

from __future__ import annotations

import dagster as dg

from cx_pipeline.alerts.message import Alert

PREFIX = "cx_pipeline/alerts/last_sent/"


def last_sent(instance: dg.DagsterInstance, alerts: list[Alert]) -> dict[str, float]:
    """Epoch seconds each alert was last sent, by fingerprint (absent: never)."""
    keys = {PREFIX + a.fingerprint for a in alerts}
    values = instance.daemon_cursor_storage.get_cursor_values(keys) if keys else {}
    return {key.removeprefix(PREFIX): float(value) for key, value in values.items()}


def due(
    instance: dg.DagsterInstance, alerts: list[Alert], now: float, repeat_seconds: float
) -> list[Alert]:
    """The alerts not sent within `repeat_seconds`, each fingerprint once."""
    sent = last_sent(instance, alerts)
    unique = {a.fingerprint: a for a in alerts}
    return [a for fp, a in unique.items() if now - sent.get(fp, float("-inf")) >= repeat_seconds]


def record(instance: dg.DagsterInstance, alerts: list[Alert], now: float) -> None:
    if alerts:
        instance.daemon_cursor_storage.set_cursor_values(
            {PREFIX + a.fingerprint: repr(now) for a in alerts}
        )
