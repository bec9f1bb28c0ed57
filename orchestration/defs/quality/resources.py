"""The quality domain's resources: what the suites validate with, and where alerts go.

``QualityResource`` starts nothing. Great Expectations is imported by the first validation of the
process, on the thread that runs it (``quality.runner.warm_up``): a run that imports it on a second
thread while Dagster goes on importing on the first (sqlalchemy for the event log, say) can see a
module the other thread has only half initialised. The run pays the import where it is used, in
the first GX check step, and only runs that validate pay it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import dagster as dg

from orchestration.defs.shared.resources import secret
from quality.alerts.channels import Delivery, RetryPolicy, send_email, send_slack, send_webhook
from quality.alerts.settings import SLACK_WEBHOOK_URL_ENV, WEBHOOK_URL_ENV, AlertSettings
from quality.alerts.state import Alert
from quality.rules import QualityParams
from quality.settings import QualitySettings

CHANNELS = ("webhook", "slack", "email")


class QualityResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """What the suites are validated with; fx currencies come from the dbt seed so they cannot drift."""

    lookback_days: int = 3
    freshness_hours: int = 48
    report_root: str = ""
    fx_rates_csv: str = ""
    max_quarantine_ratio: float = 0.05
    volume_sigma: float = 3.0

    def params(self) -> QualityParams:
        currencies: tuple[str, ...] = QualityParams().currencies
        if self.fx_rates_csv:
            with Path(self.fx_rates_csv).open(newline="") as handle:
                currencies = tuple(row["currency"] for row in csv.DictReader(handle))
        return QualityParams(
            max_quarantine_ratio=self.max_quarantine_ratio, volume_sigma=self.volume_sigma, currencies=currencies
        )

    def report_dir(self) -> Path:
        return Path(self.report_root)

    @classmethod
    def from_settings(cls, settings: QualitySettings, *, lookback_days: int, fx_rates_csv: Path) -> QualityResource:
        """``lookback_days``: the warehouse's window (``quality_job`` validates the same days the
        warehouse schedule rebuilds); ``fx_rates_csv``: the rates gold converts with."""
        return cls(
            lookback_days=lookback_days,
            freshness_hours=settings.freshness_hours,
            report_root=str(settings.report_root),
            fx_rates_csv=str(fx_rates_csv),
            max_quarantine_ratio=settings.max_quarantine_ratio,
            volume_sigma=settings.volume_sigma,
        )


class AlertResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where alerts go; any channel left empty is off. Links point at ``ui_url``.

    Used by ``quality_alerts_job``, never by the sensor: a slow receiver holds up a run, not a tick.
    """

    webhook_url: str | None = None
    slack_webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    email_from: str = "meridian@localhost"
    email_to: list[str] = []
    ui_url: str = "http://127.0.0.1:3000"
    retry_attempts: int = 6
    retry_max_seconds: float = 30.0
    timeout_seconds: float = 10.0

    def configured(self, channel: str) -> bool:
        if channel == "webhook":
            return bool(self.webhook_url)
        if channel == "slack":
            return bool(self.slack_webhook_url)
        if channel == "email":
            return bool(self.smtp_host and self.email_to)
        raise ValueError(f"unknown alert channel {channel!r}: one of {', '.join(CHANNELS)}")

    def deliver(self, channel: str, alert: Alert) -> Delivery:
        """One alert to one configured channel, with the retry policy; the outcome, never raised."""
        policy = RetryPolicy(
            attempts=self.retry_attempts, max_seconds=self.retry_max_seconds, timeout_seconds=self.timeout_seconds
        )
        if channel == "webhook" and self.webhook_url:
            return send_webhook(self.webhook_url, alert, self.ui_url, policy)
        if channel == "slack" and self.slack_webhook_url:
            return send_slack(self.slack_webhook_url, alert, self.ui_url, policy)
        if channel == "email" and self.smtp_host and self.email_to:
            return send_email(
                self.smtp_host, self.smtp_port, self.email_from, self.email_to, alert, self.ui_url, policy
            )
        raise ValueError(f"alert channel {channel!r} is not configured (see quality.alerts.settings)")

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> AlertResource:
        """Webhook URLs set in the environment reach the resource as ``EnvVar``: the UI shows their names."""
        return cls(
            webhook_url=secret(settings.webhook_url, WEBHOOK_URL_ENV),
            slack_webhook_url=secret(settings.slack_webhook_url, SLACK_WEBHOOK_URL_ENV),
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            email_from=settings.email_from,
            email_to=settings.email_to,
            ui_url=settings.dagster_ui_url,
        )
