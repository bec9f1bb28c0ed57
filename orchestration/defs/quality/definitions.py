"""The quality domain: Great Expectations suites as asset checks, their job and schedule, and alerting."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import PlatformSettings


def build(settings: PlatformSettings) -> dg.Definitions:
    from orchestration.defs.quality.alerts import build_quality_alert_sensor
    from orchestration.defs.quality.checks import QUALITY_CHECKS
    from orchestration.defs.quality.jobs import build_quality_job, build_quality_schedule

    return dg.Definitions(
        asset_checks=QUALITY_CHECKS,
        jobs=[build_quality_job(QUALITY_CHECKS)],
        sensors=[build_quality_alert_sensor(settings.alerts.warn_after_runs)],
        schedules=[build_quality_schedule(settings.quality.schedule_cron)],
    )
