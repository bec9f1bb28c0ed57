"""When to alert: a pure state machine over check evaluations, so a person hears once per change.

- an ERROR check that starts failing alerts at once;
- a WARNING check alerts when it has failed ``warn_after`` evaluations in a row;
- a check that alerted and then passes sends a recovery;
- anything else (still failing, still passing, a warning not yet persistent) sends nothing.
The state is small and JSON-serialisable: the sensor keeps it in its cursor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evaluation:
    """One check evaluation as the alerting sees it."""

    check: str  # "<asset key>:<check name>"
    passed: bool
    severity: str  # "ERROR" | "WARN"
    run_id: str
    partition: str | None = None
    observed: str | None = None
    expected: str | None = None


@dataclass(frozen=True)
class Alert:
    kind: str  # "failing" | "recovered" | "run_failed"
    subject: str
    evaluation: Evaluation | None = None
    run_id: str | None = None
    job: str | None = None
    detail: str | None = None
    consecutive_failures: int = 0


@dataclass
class CheckState:
    consecutive_failures: int = 0
    alerted: bool = False


@dataclass
class AlertState:
    checks: dict[str, CheckState] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {key: asdict(value) for key, value in self.checks.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AlertState:
        return cls({key: CheckState(**value) for key, value in data.items()})


def observe(state: AlertState, evaluation: Evaluation, warn_after: int) -> Alert | None:
    """Fold one evaluation into ``state``; the alert it causes, if any."""
    current = state.checks.setdefault(evaluation.check, CheckState())
    if evaluation.passed:
        was_alerted = current.alerted
        current.consecutive_failures, current.alerted = 0, False
        if was_alerted:
            return Alert("recovered", f"RECOVERED {evaluation.check}", evaluation)
        return None
    current.consecutive_failures += 1
    threshold = 1 if evaluation.severity == "ERROR" else warn_after
    if current.alerted or current.consecutive_failures < threshold:
        return None
    current.alerted = True
    label = "FAILING" if evaluation.severity == "ERROR" else "WARNING (persistent)"
    return Alert(
        "failing", f"{label} {evaluation.check}", evaluation, consecutive_failures=current.consecutive_failures
    )


def render_text(alert: Alert, ui_url: str) -> str:
    """The message body every channel sends: what, where, observed vs expected, and a link."""
    lines = [alert.subject]
    e = alert.evaluation
    if e is not None:
        asset, _, check = e.check.rpartition(":")
        lines += [f"asset: {asset}", f"check: {check} (severity {e.severity})"]
        if e.partition:
            lines.append(f"partition: {e.partition}")
        if e.observed is not None:
            lines.append(f"observed: {e.observed}")
        if e.expected is not None:
            lines.append(f"expected: {e.expected}")
        if alert.consecutive_failures > 1:
            lines.append(f"failing for {alert.consecutive_failures} evaluations in a row")
    if alert.job:
        lines.append(f"job: {alert.job}")
    if alert.detail:
        lines.append(f"error: {alert.detail}")
    run_id = alert.run_id or (e.run_id if e else None)
    if run_id:
        lines.append(f"run: {ui_url.rstrip('/')}/runs/{run_id}")
    return "\n".join(lines)


def payload(alert: Alert, ui_url: str) -> dict[str, Any]:
    """The generic JSON webhook body."""
    e = alert.evaluation
    run_id = alert.run_id or (e.run_id if e else None)
    return {
        "kind": alert.kind,
        "subject": alert.subject,
        "asset": e.check.rpartition(":")[0] if e else None,
        "check": e.check.rpartition(":")[2] if e else None,
        "severity": e.severity if e else None,
        "partition": e.partition if e else None,
        "observed": e.observed if e else None,
        "expected": e.expected if e else None,
        "job": alert.job,
        "detail": alert.detail,
        "run_url": f"{ui_url.rstrip('/')}/runs/{run_id}" if run_id else None,
        "text": render_text(alert, ui_url),
    }
