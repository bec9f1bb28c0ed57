"""Quality and alert settings keep the environment variable names the flat settings had."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from quality.alerts.settings import AlertSettings
from quality.settings import QualitySettings


def test_quality_settings_read_meridian_quality_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_QUALITY_FRESHNESS_HOURS", "6")
    monkeypatch.setenv("MERIDIAN_QUALITY_REPORT_ROOT", "/srv/reports")
    monkeypatch.setenv("MERIDIAN_QUALITY_MAX_QUARANTINE_RATIO", "0.2")
    monkeypatch.setenv("MERIDIAN_QUALITY_VOLUME_SIGMA", "4.5")
    monkeypatch.setenv("MERIDIAN_QUALITY_SCHEDULE_CRON", "0 * * * *")

    settings = QualitySettings()

    assert (settings.freshness_hours, settings.report_root) == (6, Path("/srv/reports"))
    assert (settings.max_quarantine_ratio, settings.volume_sigma, settings.schedule_cron) == (0.2, 4.5, "0 * * * *")


def test_quality_settings_defaults_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MERIDIAN_QUALITY_FRESHNESS_HOURS", raising=False)
    monkeypatch.delenv("MERIDIAN_QUALITY_REPORT_ROOT", raising=False)
    settings = QualitySettings()
    assert settings.freshness_hours == 48 and settings.report_root == Path(".local/quality/reports")
    monkeypatch.setenv("MERIDIAN_QUALITY_MAX_QUARANTINE_RATIO", "1.5")
    with pytest.raises(ValidationError, match="max_quarantine_ratio"):
        QualitySettings()


def test_alert_settings_read_meridian_alert_variables_and_the_ui_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_ALERT_WEBHOOK_URL", "https://hooks.example/s3cr3t")
    monkeypatch.setenv("MERIDIAN_ALERT_SMTP_HOST", "smtp.example")
    monkeypatch.setenv("MERIDIAN_ALERT_SMTP_PORT", "2525")
    monkeypatch.setenv("MERIDIAN_ALERT_EMAIL_TO", '["oncall@example.com", "data@example.com"]')
    monkeypatch.setenv("MERIDIAN_ALERT_WARN_AFTER_RUNS", "5")
    monkeypatch.setenv("MERIDIAN_DAGSTER_UI_URL", "https://dagster.example")
    monkeypatch.setenv("DAGSTER_UI_URL", "http://not-ours")

    settings = AlertSettings()

    assert (
        settings.webhook_url is not None and settings.webhook_url.get_secret_value() == "https://hooks.example/s3cr3t"
    )
    assert "s3cr3t" not in repr(settings) and settings.slack_webhook_url is None
    assert (settings.smtp_host, settings.smtp_port, settings.email_from) == ("smtp.example", 2525, "meridian@localhost")
    assert settings.email_to == ["oncall@example.com", "data@example.com"]
    assert (settings.warn_after_runs, settings.dagster_ui_url) == (5, "https://dagster.example")
    assert AlertSettings(dagster_ui_url="http://local").dagster_ui_url == "http://local"  # by name in code


def test_a_warning_alerts_after_at_least_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_ALERT_WARN_AFTER_RUNS", "0")
    with pytest.raises(ValidationError, match="warn_after_runs"):
        AlertSettings()
