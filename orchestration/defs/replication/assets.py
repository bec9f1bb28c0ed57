"""One asset per (source region -> target region): copy what the target lacks, prove it, manifest it last.

The asset's own checks (complete, checksums and rows, no orphans) come from an audit taken right after the
copy, from the same listings, so they cost no extra pass over the source. Lag has a check of its own
(:mod:`orchestration.defs.replication.checks`) that also runs alone on a schedule: when the source is
unreachable the copy fails, and the lag must still be seen to grow.
"""

from datetime import UTC, datetime
from typing import Any

import dagster as dg
import orjson

from orchestration.defs.replication.pairs import (
    CHECK_CHECKSUMS,
    CHECK_COMPLETE,
    CHECK_ORPHANS,
    REPLICATION_GROUP,
    Pair,
    status_path,
)
from orchestration.defs.replication.resources import ReplicationResource
from orchestration.defs.shared.resources import LakeResource
from orchestration.lib.bronze.landing import BRONZE
from orchestration.lib.ledger import Ledger
from orchestration.lib.replication import PartitionKey, ReplicaAudit, ReplicationReport, audit, replicate
from orchestration.lib.stream_metrics import STREAM_METRICS

LEDGERS: tuple[Ledger, ...] = (BRONZE, STREAM_METRICS)
SAMPLE = 20  # names per problem list in metadata: enough to act on, small enough for the UI


def _frontier_reached(result: ReplicaAudit) -> dict[str, int]:
    return {str(key): progress.source_frontier for key, progress in result.progress.items()}


def materialization_metadata(report: ReplicationReport, result: ReplicaAudit) -> dict[str, Any]:
    """Numbers the UI plots (lag, bytes, files) and where each ledger's replica stands."""
    return {
        "lag_seconds": dg.MetadataValue.float(float(result.lag_seconds)),
        "bytes_copied": dg.MetadataValue.int(report.bytes_copied),
        "files_copied": dg.MetadataValue.int(report.files_copied),
        "ranges_copied": report.ranges_copied,
        "ranges_repaired": report.ranges_repaired,
        "ranges_skipped": report.ranges_skipped,
        "ranges_replicated": result.ranges_replicated,
        "source_store": report.source_store,
        "target_store": report.target_store,
        "replicated_up_to": dg.MetadataValue.json({str(k): v for k, v in result.replicated_up_to.items()}),
        "source_frontier": dg.MetadataValue.json(_frontier_reached(result)),
        "errors": dg.MetadataValue.json([str(e) for e in report.errors][:SAMPLE]),
    }


def check_results(pair: Pair, report: ReplicationReport, result: ReplicaAudit) -> list[dg.AssetCheckResult]:
    """Complete and checksums are data being wrong (blocking, ERROR); orphans are extra files readers ignore."""
    # complete up to what the copy saw: a range landed after its listing is the next run's (and the lag's)
    seen = {key: progress.source_frontier for key, progress in report.progress.items()}
    missing = [
        f"{m.topic} {m.range} ({m.path})"
        for m in result.missing
        if m.range.end <= seen.get(PartitionKey(m.ledger, m.topic, m.range.partition), 0)
    ]
    # what this run found damaged fails the check even though it repaired it: the replica was wrong until now
    found = [f"found and repaired: {p}" for p in report.found_damaged]
    wrong = [str(p) for p in (*report.errors, *result.mismatched)] + [str(m) for m in result.row_count_mismatches]
    wrong = found + wrong
    return [
        dg.AssetCheckResult(
            asset_key=pair.key,
            check_name=CHECK_COMPLETE,
            passed=not missing,
            metadata={
                "unreplicated_ranges": len(missing),
                "sample": dg.MetadataValue.json(missing[:SAMPLE]),
                "ranges_replicated": result.ranges_replicated,
                "source_frontier": dg.MetadataValue.json(_frontier_reached(result)),
            },
        ),
        dg.AssetCheckResult(
            asset_key=pair.key,
            check_name=CHECK_CHECKSUMS,
            passed=not wrong,
            metadata={"problems": len(wrong), "files": dg.MetadataValue.json(wrong[:SAMPLE])},
        ),
        dg.AssetCheckResult(
            asset_key=pair.key,
            check_name=CHECK_ORPHANS,
            passed=not result.orphans,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"orphans": len(result.orphans), "files": dg.MetadataValue.json(list(result.orphans[:SAMPLE]))},
        ),
    ]


def record_status(lake: LakeResource, pair: Pair, result: ReplicaAudit) -> None:
    """Leave in the target how far behind the replica was at this moment (the lag check's fallback)."""
    doc = {"source": pair.source, "as_of": result.audited_at.isoformat(), "lag_seconds": result.lag_seconds}
    lake.storage(pair.target).write(status_path(pair.source), orjson.dumps(doc))


def build_replication_asset(pair: Pair, deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=pair.key,
        deps=deps,
        group_name=REPLICATION_GROUP,
        kinds={"parquet"},
        tags={"meridian/source_region": pair.source, "meridian/target_region": pair.target},
        check_specs=[
            dg.AssetCheckSpec(
                CHECK_COMPLETE,
                asset=pair.key,
                blocking=True,
                description=(
                    "Every range the source had landed when the run listed it has a verified copy and a manifest."
                ),
            ),
            dg.AssetCheckSpec(
                CHECK_CHECKSUMS,
                asset=pair.key,
                blocking=True,
                description=(
                    "Every manifested replica file has the source's size, MD5 and row count, as the target reports it."
                ),
            ),
            dg.AssetCheckSpec(
                CHECK_ORPHANS,
                asset=pair.key,
                description=("No file under the replica that no manifest and no source range accounts for."),
            ),
        ],
        description=(
            f"Region {pair.source}'s lake (bronze events, quarantine, stream metrics) copied into region "
            f"{pair.target}'s store under replicas/{pair.source}/: each range's files verified on the target, "
            "then a create-only manifest written last. Readers trust manifests, never listings."
        ),
    )
    def _replicate(
        context: dg.AssetExecutionContext, lake: LakeResource, replication: ReplicationResource
    ) -> dg.MaterializeResult:
        source, target = lake.storage(pair.source), lake.storage(pair.target)
        report = replicate(source, target, LEDGERS, workers=replication.workers)
        result = audit(source, target, LEDGERS, now=datetime.now(UTC), workers=replication.workers)
        record_status(lake, pair, result)
        context.log.info(
            f"{pair}: copied {report.files_copied} file(s) of {report.ranges_copied} range(s), "
            f"{report.bytes_copied} bytes; repaired {report.ranges_repaired}; lag {result.lag_seconds:.1f} s"
        )
        return dg.MaterializeResult(
            metadata=materialization_metadata(report, result), check_results=check_results(pair, report, result)
        )

    return _replicate
