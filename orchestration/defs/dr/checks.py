"""``mirror_lag``: how far MirrorMaker's copy of another region's topic is behind, on each mirror bronze.

The lag at any moment is the data at risk if the source region is lost then: what its cluster holds that
no other region has. It is late data, not wrong data, so the check never blocks; it warns, then fails, as
the lag grows, and the failing check alerts through the quality alert sensor like every other check. A
source that cannot be reached is a failed check with the reason, never a silent pass.
"""

from typing import Any

import dagster as dg
from kafka.errors import KafkaError

from orchestration.defs.bronze.regions import RegionBronze
from orchestration.defs.dr.settings import DrSettings
from orchestration.defs.replication.checks import lag_severity
from orchestration.defs.shared.resources import KafkaResource
from streaming.kafka.mirror import mirror_lag

CHECK_MIRROR_LAG = "mirror_lag"


def build_mirror_lag_check(bronze: RegionBronze, dr: DrSettings) -> dg.AssetChecksDefinition:
    source, target = bronze.source, bronze.region
    if source is None:
        raise ValueError(f"{bronze.key.to_user_string()} is not a mirror: mirror_lag is checked on mirror bronzes only")

    @dg.asset_check(
        asset=bronze.key,
        name=CHECK_MIRROR_LAG,
        blocking=False,
        description=(
            f"How far {source}'s events topic mirrored into {target}'s Kafka is behind {source}'s own: the data "
            f"at risk if {source} is lost now. Warns above {dr.mirror_lag_warn_seconds:.0f} s, fails above "
            f"{dr.mirror_lag_fail_seconds:.0f} s."
        ),
    )
    def _mirror_lag(kafka: KafkaResource) -> dg.AssetCheckResult:
        if source not in kafka.region_bootstrap_servers:
            return dg.AssetCheckResult(
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                description=f"{source}'s cluster is not configured here (MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS)",
            )
        try:
            # a lost source must fail the check in seconds, not hold the landing run for kafka-python's minute
            quick = {"bootstrap_timeout_seconds": dr.probe_timeout_seconds}
            lag = mirror_lag(
                kafka.for_region(source).kafka_settings().model_copy(update=quick),
                kafka.for_region(target).kafka_settings(),
                kafka.events_topic,
                source,
                target,
            )
        except (KafkaError, OSError, LookupError) as exc:
            return dg.AssetCheckResult(
                passed=False,
                severity=dg.AssetCheckSeverity.ERROR,
                description=f"cannot measure the mirror of {source}: {exc}",
                metadata={"source_reachable": False},
            )
        severity = lag_severity(lag.seconds, dr.mirror_lag_warn_seconds, dr.mirror_lag_fail_seconds)
        metadata: dict[str, Any] = {
            "mirror_lag_records": lag.total_records,
            "mirror_lag_seconds": lag.seconds,
            "by_partition": dg.MetadataValue.json({str(p): n for p, n in sorted(lag.records.items())}),
            "source_reachable": True,
        }
        return dg.AssetCheckResult(
            passed=severity is None, severity=severity or dg.AssetCheckSeverity.WARN, metadata=metadata
        )

    return _mirror_lag
