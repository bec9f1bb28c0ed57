"""``replica_lag``: how late a replica is, a warning above one threshold and an error above the other.

Lag is the age of the oldest range the source landed that the target has no manifest for (0 when caught
up). It is late data, not wrong data, so the check never blocks. When the source cannot be listed, the lag
is what the last successful run left in the target (``_replication/<source>.json``) plus the time since:
the replica cannot have caught up with a source nobody can read, so the check goes from warn to fail as
the outage lasts, and the failing check alerts through the quality alert sensor like every other check.
"""

from datetime import UTC, datetime
from typing import Any

import dagster as dg
import orjson

from orchestration.defs.replication.assets import LEDGERS
from orchestration.defs.replication.pairs import CHECK_LAG, Pair, status_path
from orchestration.defs.replication.resources import ReplicationResource
from orchestration.defs.shared.resources import LakeResource
from orchestration.lib.lake import LakeStorageError
from orchestration.lib.replication import audit, format_age


def lag_severity(lag_seconds: float, warn: float, fail: float) -> dg.AssetCheckSeverity | None:
    """None when on time; WARN above ``warn``; ERROR above ``fail``."""
    if lag_seconds > fail:
        return dg.AssetCheckSeverity.ERROR
    if lag_seconds > warn:
        return dg.AssetCheckSeverity.WARN
    return None


def last_known_lag(lake: LakeResource, pair: Pair, now: datetime) -> tuple[float, str]:
    """The lag from the target's status record, when the source cannot be listed."""
    try:
        doc = orjson.loads(lake.storage(pair.target).read(status_path(pair.source)))
    except LakeStorageError:
        return float("inf"), "never replicated"
    as_of = datetime.fromisoformat(doc["as_of"])
    return float(doc["lag_seconds"]) + (now - as_of).total_seconds(), f"as of {as_of:%Y-%m-%d %H:%M:%S} UTC"


def build_lag_check(pair: Pair) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=pair.key,
        name=CHECK_LAG,
        blocking=False,
        description="Age of the oldest source range without a verified replica: warn, then fail, as it grows.",
    )
    def _lag(lake: LakeResource, replication: ReplicationResource) -> dg.AssetCheckResult:
        now = datetime.now(UTC)
        source_error = None
        try:
            result = audit(lake.storage(pair.source), lake.storage(pair.target), LEDGERS, now=now)
            lag, basis = result.lag_seconds, f"{len(result.missing)} range(s) not replicated yet"
        except LakeStorageError as exc:
            source_error = str(exc)
            lag, basis = last_known_lag(lake, pair, now)
        severity = lag_severity(lag, replication.lag_warn_seconds, replication.lag_fail_seconds)
        metadata: dict[str, Any] = {
            "lag_seconds": dg.MetadataValue.float(lag if lag != float("inf") else -1.0),
            "lag": format_age(lag) if lag != float("inf") else "unknown (never replicated)",
            "basis": basis,
            "observed": f"{lag:.0f}s",
            "expected": f"<= {replication.lag_warn_seconds:.0f}s (fails above {replication.lag_fail_seconds:.0f}s)",
        }
        if source_error:
            metadata["store_error"] = source_error
        return dg.AssetCheckResult(
            passed=severity is None, severity=severity or dg.AssetCheckSeverity.WARN, metadata=metadata
        )

    return _lag
