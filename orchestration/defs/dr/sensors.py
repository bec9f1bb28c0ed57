"""``dr_failover_sensor``: every DR deployment's heartbeat, and the takeover of a silent aggregation region."""

import dagster as dg

from orchestration.defs.shared.resources import LakeResource
from orchestration.lib.failover import tick

TICK_SECONDS = 10


def build_failover_sensor(regions: list[str], failover_after_s: float) -> dg.SensorDefinition:
    @dg.sensor(
        name="dr_failover_sensor",
        minimum_interval_seconds=TICK_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Writes this region's heartbeat beside the aggregation lease, and takes the lease over when its "
            f"holder has been silent for {failover_after_s:.0f} s and this region is next in succession "
            "(create-only epoch write: of two contenders exactly one wins). Global gold then follows here."
        ),
    )
    def dr_failover_sensor(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SkipReason:
        result = tick(
            lake.leases(),
            lake.lease_storage(),
            lake.region,
            lake.aggregation_region,
            regions,
            failover_after_s,
            by=f"{lake.region}/dr_failover_sensor",
        )
        if result.promoted:
            context.log.warning(
                f"promoted {lake.region} to aggregation region, lease epoch {result.lease.epoch}: "
                f"{result.decision.reason}"
            )
            return dg.SkipReason(f"promoted: {lake.region} holds the lease at epoch {result.lease.epoch}")
        return dg.SkipReason(result.decision.reason)

    return dr_failover_sensor
