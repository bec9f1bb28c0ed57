"""The quality domain's resources: no import on a second thread, settings mapped, webhook URLs kept secret."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.quality.resources import AlertResource, QualityResource
from quality.alerts.settings import SLACK_WEBHOOK_URL_ENV, WEBHOOK_URL_ENV, AlertSettings
from quality.settings import QualitySettings

REPO = Path(__file__).resolve().parents[4]


def test_a_run_that_validates_imports_every_module_on_its_main_thread(tmp_path: Path) -> None:
    """Two threads importing overlapping modules can be handed a half-initialised module.

    A bench run failed so (``partially initialized module 'sqlalchemy.orm.exc'``) while a background
    thread imported Great Expectations beside Dagster. In a fresh process, so that nothing this test
    process already imported hides an import, every module must be imported on the main thread.
    """
    out = tmp_path / "imports.json"
    probe = subprocess.run(
        [sys.executable, "-m", "tests.orchestration.defs.quality.import_probe", str(tmp_path), str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    summary = json.loads(out.read_text(encoding="utf-8"))
    imports = [tuple(i) for i in summary["imports"]]
    elsewhere = [(module, thread) for module, thread, on_main in imports if not on_main]

    assert summary["success"] and len(summary["evaluated"]) == 6  # the silver suite really ran
    assert ("great_expectations", "MainThread", True) in imports  # the recorder saw GX's import
    assert elsewhere == [], f"{len(elsewhere)} module(s) imported off the main thread, first: {elsewhere[:5]}"


def test_the_quality_resource_takes_the_settings_and_the_warehouse_window(tmp_path: Path) -> None:
    rates = tmp_path / "fx_rates.csv"
    rates.write_text("currency,rate_to_usd\nUSD,1.0\nEUR,1.1\n", encoding="utf-8")
    settings = QualitySettings(freshness_hours=6, report_root=tmp_path / "reports", volume_sigma=4.0)

    resource = QualityResource.from_settings(settings, lookback_days=5, fx_rates_csv=rates)

    assert (resource.lookback_days, resource.freshness_hours, resource.report_dir()) == (5, 6, tmp_path / "reports")
    params = resource.params()
    assert params.currencies == ("USD", "EUR") and params.volume_sigma == 4.0 and params.max_quarantine_ratio == 0.05


def test_webhook_urls_from_the_environment_reach_the_resource_as_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    hook, slack = "https://hooks.example/T0/B0/s3cr3t", "https://slack.example/services/T1/B1/an0ther"
    monkeypatch.setenv(WEBHOOK_URL_ENV, hook)
    monkeypatch.setenv(SLACK_WEBHOOK_URL_ENV, slack)
    monkeypatch.setenv("MERIDIAN_DAGSTER_UI_URL", "http://dagster.example")
    settings = AlertSettings()

    resource = AlertResource.from_settings(settings)

    assert isinstance(resource.webhook_url, dg.EnvVar) and resource.webhook_url == WEBHOOK_URL_ENV
    assert isinstance(resource.slack_webhook_url, dg.EnvVar) and resource.slack_webhook_url == SLACK_WEBHOOK_URL_ENV
    assert resource.ui_url == "http://dagster.example"
    assert hook not in repr(settings) + repr(resource) and slack not in repr(settings) + repr(resource)

    @dg.op
    def urls(alerts: AlertResource) -> tuple[str | None, str | None]:
        return alerts.webhook_url, alerts.slack_webhook_url

    @dg.job(resource_defs={"alerts": resource})
    def show() -> None:
        urls()

    assert show.execute_in_process().output_for_node("urls") == (hook, slack)  # resolved when a run needs them
