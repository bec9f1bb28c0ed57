"""``quality_job`` and its schedule; ``quality_alerts_job``, which delivers what ``quality_alert_sensor`` decided.

Delivery is a job, not part of the sensor tick: a receiver that is slow or down holds up a run,
whose retries and failures show in the UI, instead of pushing a tick past Dagster's sensor
timeout (the cursor would not be saved and the next tick would decide, and send, the same alerts
again). Each (alert, channel) pair is its own step, so a run retried from failure (the instance's
``run_retries``, or "re-execute from failure" in the UI) re-sends only what did not get through.
"""

# No ``from __future__ import annotations``: Dagster reads op config classes from live annotations.
from collections.abc import Iterator
from typing import Any

import dagster as dg

from orchestration.defs.quality.resources import AlertResource
from orchestration.defs.shared.instance import k8s_resources
from quality.alerts.state import Alert, Evaluation

QUALITY_ALERTS_JOB = "quality_alerts_job"
DECIDE_OP = "quality_alerts"


def build_quality_job(checks: list[dg.AssetChecksDefinition]) -> Any:
    return dg.define_asset_job(
        "quality_job",
        selection=dg.AssetSelection.checks(*checks),
        description="Validate the latest partitions of bronze, silver and gold, and gold's freshness.",
        executor_def=dg.in_process_executor,  # one process: Great Expectations is imported once
        tags=k8s_resources("quality_job"),
    )


def build_quality_schedule(cron: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="quality_schedule",
        job_name="quality_job",
        cron_schedule=cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Runs quality_job; its failures reach people through quality_alert_sensor.",
    )


class EvaluationConfig(dg.Config):
    """The check evaluation an alert is about (``quality.alerts.state.Evaluation``)."""

    check: str
    passed: bool
    severity: str
    run_id: str
    partition: str | None = None
    observed: str | None = None
    expected: str | None = None


class AlertConfig(dg.Config):
    """One alert as run config: what the sensor decided, readable in the run's launchpad."""

    id: str  # unique per alert: "<kind>_<check record id>" or "run_failed_<run id>"; a step's mapping key
    kind: str
    subject: str
    evaluation: EvaluationConfig | None = None
    run_id: str | None = None
    job: str | None = None
    detail: str | None = None
    consecutive_failures: int = 0

    @classmethod
    def of(cls, alert_id: str, alert: Alert) -> "AlertConfig":
        e = alert.evaluation
        return cls(
            id=alert_id,
            kind=alert.kind,
            subject=alert.subject,
            evaluation=None
            if e is None
            else EvaluationConfig(
                check=e.check,
                passed=e.passed,
                severity=e.severity,
                run_id=e.run_id,
                partition=e.partition,
                observed=e.observed,
                expected=e.expected,
            ),
            run_id=alert.run_id,
            job=alert.job,
            detail=alert.detail,
            consecutive_failures=alert.consecutive_failures,
        )

    def alert(self) -> Alert:
        e = self.evaluation
        return Alert(
            self.kind,
            self.subject,
            None if e is None else Evaluation(**e.model_dump()),
            run_id=self.run_id,
            job=self.job,
            detail=self.detail,
            consecutive_failures=self.consecutive_failures,
        )


class QualityAlertsConfig(dg.Config):
    alerts: list[AlertConfig]


def alerts_run_config(alerts: list[AlertConfig]) -> dg.RunConfig:
    return dg.RunConfig(ops={DECIDE_OP: QualityAlertsConfig(alerts=alerts)})


@dg.op(name=DECIDE_OP, out=dg.DynamicOut(), description="The alerts quality_alert_sensor decided, one per output.")
def quality_alerts(config: QualityAlertsConfig) -> Iterator[dg.DynamicOutput[Alert]]:
    for item in config.alerts:
        yield dg.DynamicOutput(item.alert(), mapping_key=item.id)


def _delivery_op(channel: str) -> dg.OpDefinition:
    @dg.op(name=f"deliver_{channel}", description=f"Send one alert to the {channel} channel, if configured.")
    def deliver(context: dg.OpExecutionContext, alerts: AlertResource, alert: Alert) -> None:
        if not alerts.configured(channel):
            context.log.info(f"{channel} is not configured: nothing to send")
            return
        delivery = alerts.deliver(channel, alert)
        if not delivery.delivered:
            raise dg.Failure(
                description=(
                    f"{channel} did not take {alert.subject!r} after {delivery.attempts} attempt(s): "
                    f"{delivery.error}. Once the receiver is back, re-execute this run from failure: only "
                    "the steps that failed send again (instances with run_retries on do so by themselves)."
                ),
                metadata={"channel": channel, "attempts": delivery.attempts, "error": delivery.error or ""},
            )
        context.log.info(f"{channel}: sent {alert.subject!r} ({delivery.attempts} attempt(s))")

    return deliver


deliver_webhook = _delivery_op("webhook")
deliver_slack = _delivery_op("slack")
deliver_email = _delivery_op("email")


@dg.job(
    name=QUALITY_ALERTS_JOB,
    description="Deliver the alerts in the run config to every configured channel (launched by quality_alert_sensor).",
    executor_def=dg.in_process_executor,  # a few HTTP and SMTP calls: no process per step
    tags={"dagster/max_retries": "3", "dagster/retry_strategy": "FROM_FAILURE"},
)
def quality_alerts_job() -> None:
    quality_alerts().map(lambda alert: (deliver_webhook(alert), deliver_slack(alert), deliver_email(alert)))
