"""What a reader of a region's lake may read of what other regions sent it: manifested ranges only.

Stores replicate files in no guaranteed order and a copy can be interrupted, so a replica file without its
manifest may be partial, corrupt or about to be repaired. A range's manifest is created only after every
one of its files verified on this store, so the manifests, not a listing of the Parquet, say what is there.
"""

from __future__ import annotations

from orchestration.lib.lake import LakeStorage
from orchestration.lib.replication.layout import manifest_root, replica_path, rows_key_of


def replicated_rows_files(target: LakeStorage, source_region: str, rows_prefix: str, topic: str) -> list[str]:
    """Keys in ``target`` of the rows files ``source_region`` sent for ``topic`` that have a manifest."""
    prefix = f"{manifest_root(source_region)}{rows_prefix}/topic={topic}/"
    keys = (rows_key_of(source_region, path) for path in target.list(prefix))
    return sorted(replica_path(source_region, key) for key in keys if key is not None)
