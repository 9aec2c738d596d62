"""Sending alerts: e-mail over SMTP, a Slack-compatible webhook and a generic JSON webhook, all
with the standard library. One channel failing does not keep the others from being tried."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request

from cx_pipeline.alerts.config import AlertsConfig, Email, Webhook
from cx_pipeline.alerts.message import Alert


class DeliveryError(RuntimeError):
    """No channel took the alert; the message names each channel's error."""


def send_email(email: Email, alert: Alert) -> None:
    import smtplib
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = alert.title
    message["From"] = email.sender
    message["To"] = ", ".join(email.to)
    message.set_content(alert.text() + "\n")
    smtp_class = smtplib.SMTP_SSL if email.ssl else smtplib.SMTP
    with smtp_class(email.host, email.port, timeout=email.timeout_seconds) as smtp:
        if email.starttls:
            smtp.starttls()
        if email.username:
            smtp.login(email.username, email.password)
        smtp.send_message(message)


def post_json(hook: Webhook, body: dict) -> None:
    request = urllib.request.Request(
        hook.address,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "cx-pipeline-alerts"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=hook.timeout_seconds) as response:
        response.read()


def send(config: AlertsConfig, alert: Alert, now: dt.datetime) -> list[str]:
    """Send one alert on every configured channel; returns the errors of the channels that
    failed. Raises DeliveryError when none took it (so the sensor tick shows the failure)."""
    attempts = {
        "email": lambda: send_email(config.email, alert),
        "slack": lambda: post_json(config.slack, {"text": alert.text()}),
        "webhook": lambda: post_json(config.webhook, alert.payload(now)),
    }
    errors = []
    for name in config.channels:
        try:
            attempts[name]()
        except Exception as e:  # any channel error: the others still try
            errors.append(f"{name}: {type(e).__name__}: {e}")
    if len(errors) == len(config.channels):
        raise DeliveryError(f"alert {alert.fingerprint} reached no channel: " + "; ".join(errors))
    return errors
