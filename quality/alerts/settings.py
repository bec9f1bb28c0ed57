"""Where alerts go and when a warning is worth one: ``MERIDIAN_ALERT_*`` and ``MERIDIAN_DAGSTER_UI_URL``.

Any channel left empty is off. The webhook URLs carry their credentials (a Slack incoming-webhook
URL is its own secret), so they are ``SecretStr``: never printed, and handed to Dagster as
``EnvVar`` by ``AlertResource.from_settings`` so the UI shows the variable's name, not its value.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

WEBHOOK_URL_ENV = "MERIDIAN_ALERT_WEBHOOK_URL"
SLACK_WEBHOOK_URL_ENV = "MERIDIAN_ALERT_SLACK_WEBHOOK_URL"


class AlertSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MERIDIAN_ALERT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    webhook_url: SecretStr | None = None  # generic JSON body (``quality.alerts.state.payload``)
    slack_webhook_url: SecretStr | None = None  # Slack-compatible ``{"text": ...}``
    smtp_host: str | None = None
    smtp_port: int = 25
    email_from: str = "meridian@localhost"
    email_to: list[str] = Field(default_factory=list)  # a JSON list in the environment
    warn_after_runs: int = Field(default=3, ge=1)  # a WARNING alerts once it failed this many evaluations in a row
    dagster_ui_url: str = Field(
        default="http://127.0.0.1:3000", validation_alias=AliasChoices("MERIDIAN_DAGSTER_UI_URL")
    )
