"""Cross-region replication of the lake's range ledgers, each copy proven before it counts.

``replicate`` copies what landed in one region's store into another's under ``replicas/<source>/`` and writes
a manifest per range last; ``audit`` proves replicas against their manifests and the source; ``region_status``
summarises every region for ``meridian regions``. No Dagster here: the assets, checks and CLI call these.
"""

from orchestration.lib.replication.audit import ReplicaAudit, RowCountMismatch, UnreplicatedRange, audit
from orchestration.lib.replication.copy import ReplicationReport, replicate
from orchestration.lib.replication.guard import StoreUnavailableError
from orchestration.lib.replication.layout import manifest_path, replica_path, replica_root
from orchestration.lib.replication.manifest import (
    FORMAT_VERSION,
    Manifest,
    ManifestError,
    ManifestFile,
    decode_manifest,
    encode_manifest,
)
from orchestration.lib.replication.progress import PartitionKey, PartitionProgress
from orchestration.lib.replication.status import (
    RegionStatus,
    TargetStatus,
    TopicFrontier,
    format_age,
    region_status,
    render_status,
)
from orchestration.lib.replication.verify import FileProblem, ProblemKind

__all__ = [
    "FORMAT_VERSION",
    "FileProblem",
    "Manifest",
    "ManifestError",
    "ManifestFile",
    "PartitionKey",
    "PartitionProgress",
    "ProblemKind",
    "RegionStatus",
    "ReplicaAudit",
    "ReplicationReport",
    "RowCountMismatch",
    "StoreUnavailableError",
    "TargetStatus",
    "TopicFrontier",
    "UnreplicatedRange",
    "audit",
    "decode_manifest",
    "encode_manifest",
    "format_age",
    "manifest_path",
    "region_status",
    "render_status",
    "replica_path",
    "replica_root",
    "replicate",
]
