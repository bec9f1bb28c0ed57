"""``dr_drill_job``: the disaster-recovery drill as a Dagster job, its figures as asset metadata.

Each run materializes ``dr/drill`` with RPO, RTO and its phases as numeric metadata, so the asset's
page in the UI plots them run over run. The drill starts a whole local multi-region platform of its
own (brokers, MirrorMakers, edges, stores, Dagsters on loopback ports, under ``home``), so the job
is for a staging machine, not a production cluster: ``dr_drill_schedule`` is off until turned on.
"""

from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.drill.report import DrillReport

DRILL = dg.AssetKey(["dr", "drill"])


class DrillConfig(dg.Config):
    home: str = ".local/drill-job"
    regions: list[str] = ["us", "eu"]
    lose: str | None = None
    rate: float = 20.0
    failover_after_seconds: float = 10.0
    rto_goal_seconds: float = 120.0


def drill_metadata(report: DrillReport) -> dict[str, Any]:
    """The report as asset metadata: numbers where the UI should plot them (-1 when not reached)."""
    return {
        "passed": report.passed,
        "rpo_after_recovery": report.rpo_after_recovery if report.rpo_after_recovery is not None else -1,
        "rpo_after_failback": report.rpo_after_failback if report.rpo_after_failback is not None else -1,
        "rto_seconds": report.rto_seconds if report.rto_seconds is not None else -1.0,
        "acknowledged": report.acked_total,
        "lost_region": report.lost,
        "report": dg.MetadataValue.md(f"```\n{report.table()}\n```"),
        **{f"at_risk_{k}": v for k, v in report.at_risk.items()},
        **{
            f"phase_{p.name.split(' (')[0].replace(' ', '_')}_s": p.since_kill_s
            for p in report.phases
            if p.since_kill_s is not None
        },
    }


@dg.asset(
    key=DRILL,
    group_name="dr",
    kinds={"python"},
    description=(
        "A disaster-recovery drill: a local multi-region platform loses a region under live traffic, fails over "
        "and back. Metadata: RPO after recovery and after failback (acknowledged events missing from global "
        "gold), RTO (kill to fresh global gold) and its phases, and the lag at the kill."
    ),
)
def dr_drill(context: dg.AssetExecutionContext, config: DrillConfig) -> dg.MaterializeResult:
    from orchestration.drill.report import Goals
    from orchestration.drill.run import DrillOptions, run_drill

    options = DrillOptions(
        home=Path(config.home),
        regions=tuple(config.regions),
        lose=config.lose,
        rate=config.rate,
        failover_after_s=config.failover_after_seconds,
        goals=Goals(rto_seconds=config.rto_goal_seconds),
    )
    report = run_drill(options, say=context.log.info)
    context.log.info(report.table())
    metadata = drill_metadata(report)
    if not report.passed:
        raise dg.Failure(description="; ".join(report.failures()), metadata=metadata)
    return dg.MaterializeResult(metadata=metadata)


dr_drill_job = dg.define_asset_job("dr_drill_job", selection=[DRILL], tags={"meridian/lane": "dr-drill"})

dr_drill_schedule = dg.ScheduleDefinition(
    name="dr_drill_schedule",
    job=dr_drill_job,
    cron_schedule="0 3 * * 1",  # Mondays 03:00 UTC
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="The DR drill weekly; off until turned on (it starts a whole local platform of its own).",
)


def build_drill_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[dr_drill], jobs=[dr_drill_job], schedules=[dr_drill_schedule])
