"""One alert: what happened, where, and what to do about it; the same text on every channel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

SEVERITY = {
    "run_failed": "error",
    "check_failed": "error",
    "mart_stale": "error",
}


@dataclass(frozen=True)
class Alert:
    kind: str
    # What the alert is about (a job and step, a check, a month, an account): with the kind it
    # makes the fingerprint, so the same alert about the same thing is recognised as a repeat.
    subject: str
    what: str
    where: str
    todo: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return f"{self.kind}:{self.subject}"

    @property
    def severity(self) -> str:
        return SEVERITY.get(self.kind, "warning")

    @property
    def title(self) -> str:
        return f"[cx-pipeline] {self.severity}: {self.what}"

    def text(self) -> str:
        return f"{self.title}\nWhere: {self.where}\nWhat to do: {self.todo}"

    def payload(self, sent_at: dt.datetime) -> dict[str, Any]:
        """The generic JSON webhook's body."""
        return {
            "source": "cx-pipeline",
            "kind": self.kind,
            "severity": self.severity,
            "fingerprint": self.fingerprint,
            "what": self.what,
            "where": self.where,
            "what_to_do": self.todo,
            "details": self.details,
            "sent_at": sent_at.isoformat(),
            "text": self.text(),
        }
