"""The disaster-recovery domain (``MERIDIAN_DR_ENABLED``): mirror lag on every mirror bronze, the
failover sensor, and the drill job."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import PlatformSettings


def build(settings: PlatformSettings) -> dg.Definitions:
    from orchestration.defs.dr.drill import build_drill_definitions

    drill = build_drill_definitions()
    if not settings.dr.enabled:
        return drill
    from orchestration.defs.bronze.regions import all_bronzes
    from orchestration.defs.dr.checks import build_mirror_lag_check
    from orchestration.defs.dr.sensors import build_failover_sensor

    checks = [build_mirror_lag_check(b, settings.dr) for b in all_bronzes(settings) if b.source]
    sensor = build_failover_sensor(list(settings.lake.regions), settings.dr.failover_after_seconds)
    return dg.Definitions.merge(drill, dg.Definitions(asset_checks=checks, sensors=[sensor]))
