"""What a finished run tells the person who started it: one line per failed step, failed check
and skipped mart, and whether the run counts as a success.

A run whose steps all succeeded still fails here when an ERROR-severity check failed: the data
it published broke a rule someone declared must hold, and a scheduler or a shell script must see
a non-zero exit for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import dagster as dg

# Metadata entries worth a place in a one-line reason (counts and thresholds, not tables).
_REASON_TYPES = (int, float, str, bool)


@dataclass
class RunOutcome:
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)
    skipped_steps: list[str] = field(default_factory=list)
    skipped_marts: list[str] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed_steps and not self.failed_checks

    def lines(self) -> list[str]:
        return [
            *(f"FAILED step {s}" for s in self.failed_steps),
            *(f"FAILED check {c}" for c in self.failed_checks),
            *(f"warning: check {c}" for c in self.warned_checks),
            *(f"skipped mart {m}" for m in self.skipped_marts),
            *(f"ignored file {f}" for f in self.ignored_files),
            *(
                [f"not run (blocked upstream): {', '.join(self.skipped_steps)}"]
                if self.skipped_steps
                else []
            ),
        ]


def _one_line(text: str) -> str:
    first = text.strip().splitlines()
    return first[0] if first else ""


def check_reason(evaluation: dg.AssetCheckEvaluation) -> str:
    """The check's description, else its scalar metadata as `name=value` pairs."""
    if evaluation.description:
        return _one_line(evaluation.description)
    pairs = [
        f"{name}={entry.value}"
        for name, entry in evaluation.metadata.items()
        if isinstance(entry.value, _REASON_TYPES)
        and not isinstance(entry, dg.MarkdownMetadataValue)
    ]
    return ", ".join(pairs) or "failed"


def summarize(events: Iterable[dg.DagsterEvent]) -> RunOutcome:
    """Read a run's events (from `execute_in_process` or `execute_job`)."""
    outcome = RunOutcome()
    for event in events:
        kind = event.event_type_value
        if kind == "STEP_FAILURE":
            error = event.event_specific_data.error
            # Dagster wraps what the step raised: the innermost cause says what went wrong.
            while error is not None and error.cause is not None:
                error = error.cause
            message = _one_line(error.message) if error else "failed"
            outcome.failed_steps.append(f"{event.step_key}: {message}")
        elif kind == "STEP_SKIPPED":
            outcome.skipped_steps.append(event.step_key or "")
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.passed:
                continue
            where = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
            line = f"{where}: {check_reason(evaluation)}"
            if evaluation.severity == dg.AssetCheckSeverity.ERROR:
                outcome.failed_checks.append(line)
            else:
                outcome.warned_checks.append(line)
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            key = materialization.asset_key.to_user_string()
            skipped = materialization.metadata.get("skipped")
            if skipped is not None:
                outcome.skipped_marts.append(f"{key}: {skipped.value}")
            # Files in a delivery folder that no entity reads (audit.ignored_files).
            ignored = materialization.metadata.get("ignored_files")
            if ignored is not None:
                outcome.ignored_files += [
                    f"{f['file']}: {f['reason']}" for f in ignored.value.get("files", [])
                ]
    return outcome
