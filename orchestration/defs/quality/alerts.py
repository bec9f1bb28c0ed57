"""Alerting on check results and failed runs: ``quality_alert_sensor`` and the channels it sends to.

Dagster fires no run-failure sensor when only a check fails (dagster issue #29896), so this sensor
reads check evaluations from the instance itself: every evaluation since its cursor, in order,
folded into the state machine of ``quality.alerts.state`` (one alert per state change; warnings
only once they persist). Failed runs come from the instance's run-status records. The cursor holds
the per-check state and how far it has read, so a restarted daemon neither repeats nor misses one.
"""

import json
from typing import Any

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from orchestration.settings import Settings
from quality.alerts.channels import Delivery, RetryPolicy, send_email, send_slack, send_webhook
from quality.alerts.state import Alert, AlertState, Evaluation, observe

_DONE = {AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}
HISTORY_PER_TICK = 100


class AlertResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where alerts go; any channel left empty is off. Links point at ``ui_url``."""

    webhook_url: str | None = None
    slack_webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    email_from: str = "meridian@localhost"
    email_to: list[str] = []
    ui_url: str = "http://127.0.0.1:3000"
    retry_attempts: int = 6
    retry_max_seconds: float = 30.0

    def deliver(self, alert: Alert) -> list[Delivery]:
        policy = RetryPolicy(attempts=self.retry_attempts, max_seconds=self.retry_max_seconds)
        deliveries = []
        if self.webhook_url:
            deliveries.append(send_webhook(self.webhook_url, alert, self.ui_url, policy))
        if self.slack_webhook_url:
            deliveries.append(send_slack(self.slack_webhook_url, alert, self.ui_url, policy))
        if self.smtp_host and self.email_to:
            deliveries.append(
                send_email(self.smtp_host, self.smtp_port, self.email_from, self.email_to, alert, self.ui_url, policy)
            )
        return deliveries

    @classmethod
    def from_settings(cls, settings: Settings) -> "AlertResource":
        return cls(
            webhook_url=settings.alert_webhook_url,
            slack_webhook_url=settings.alert_slack_webhook_url,
            smtp_host=settings.alert_smtp_host,
            smtp_port=settings.alert_smtp_port,
            email_from=settings.alert_email_from,
            email_to=settings.alert_email_to,
            ui_url=settings.dagster_ui_url,
        )


def _text(metadata: Any, key: str) -> str | None:
    value = metadata.get(key)
    return None if value is None else str(value.value)


def evaluation_of(key: dg.AssetCheckKey, record: Any) -> Evaluation | None:
    data = record.event.asset_check_evaluation if record.event is not None else None
    if data is None:
        return None
    return Evaluation(
        check=f"{key.asset_key.to_user_string()}:{key.name}",
        passed=data.passed,
        severity=data.severity.value,
        run_id=record.run_id,
        partition=data.partition or _text(data.metadata, "validated"),
        observed=_text(data.metadata, "observed"),
        expected=_text(data.metadata, "expected"),
    )


def _failure_detail(instance: dg.DagsterInstance, failure: Any) -> str | None:
    """The run's failure message and each failed step's error, so the alert says what broke."""
    event = failure.event_log_entry.dagster_event
    lines = [event.message] if event is not None and event.message else []
    for entry in instance.all_logs(failure.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        step = entry.dagster_event
        data = step.step_failure_data if step is not None else None
        if step is not None and data is not None and data.error is not None:
            cause = data.error.cause.message.strip() if data.error.cause else ""
            lines.append(f"{step.step_key}: {data.error.message.strip()} {cause}".strip())
    return "\n".join(lines) or None


def build_quality_alert_sensor(warn_after: int) -> dg.SensorDefinition:
    @dg.sensor(
        name="quality_alert_sensor",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Alerts on failing checks (once per state change), persistent warnings and failed runs.",
    )
    def quality_alert_sensor(context: dg.SensorEvaluationContext, alerts: AlertResource) -> dg.SkipReason:
        cursor = json.loads(context.cursor) if context.cursor else {}
        state = AlertState.from_json(cursor.get("checks", {}))
        seen: dict[str, int] = cursor.get("seen", {})
        sent: list[Alert] = []
        storage = context.instance.event_log_storage
        repository = context.repository_def
        check_keys = repository.asset_graph.asset_check_keys if repository is not None else set()
        for key in sorted(check_keys, key=str):
            name = str(key)
            history = storage.get_asset_check_execution_history(key, limit=HISTORY_PER_TICK)
            for record in sorted((r for r in history if r.id > seen.get(name, 0)), key=lambda r: r.id):
                if record.status not in _DONE:
                    break  # still running: read it, and what follows, next tick
                evaluation = evaluation_of(key, record)
                alert = observe(state, evaluation, warn_after) if evaluation else None
                if alert is not None:
                    alerts.deliver(alert)
                    sent.append(alert)
                seen[name] = record.id
        failures = context.instance.fetch_run_status_changes(
            dg.DagsterEventType.RUN_FAILURE, limit=HISTORY_PER_TICK, cursor=cursor.get("runs"), ascending=True
        )
        for failure in failures.records:
            run = context.instance.get_run_by_id(failure.run_id)
            message = _failure_detail(context.instance, failure)
            alert = Alert(
                "run_failed",
                f"RUN FAILED {run.job_name if run else failure.run_id}",
                run_id=failure.run_id,
                job=run.job_name if run else None,
                detail=message,
            )
            alerts.deliver(alert)
            sent.append(alert)
        context.update_cursor(
            json.dumps({"checks": state.to_json(), "seen": seen, "runs": failures.cursor or cursor.get("runs")})
        )
        for alert in sent:
            context.log.info(f"alert sent: {alert.subject}")
        return dg.SkipReason(f"{len(sent)} alert(s) sent; this sensor launches no runs")

    return quality_alert_sensor
