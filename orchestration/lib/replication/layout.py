"""Where a region's ranges live once replicated into another region's store.

A replica keeps its source key under ``replicas/<source_region>/``: a reader (DuckDB, BigQuery, a restore)
finds the same ``topic=/partition=/offsets=`` layout as in the source, and nothing another region sent is
ever mixed with what the target lands itself. Each range's manifest sits under
``replicas/<source_region>/_manifests/``, named after the range's rows file: one manifest per range, so
two runs racing on a range contend for exactly one create-only object, and the leading underscore keeps
manifests out of globs over the replicated Parquet.
"""

from __future__ import annotations

REPLICAS = "replicas"
MANIFESTS = "_manifests"
_MANIFEST_SUFFIX = ".json"


def _root(source_region: str) -> str:
    if not source_region or "/" in source_region or source_region.startswith((".", "_")):
        raise ValueError(f"a region name is one path segment not starting with '.' or '_', got {source_region!r}")
    return f"{REPLICAS}/{source_region}/"


def replica_root(source_region: str) -> str:
    """Everything replicated from ``source_region``, manifests included: the one prefix a run lists."""
    return _root(source_region)


def replica_path(source_region: str, source_key: str) -> str:
    return f"{_root(source_region)}{source_key}"


def manifest_root(source_region: str) -> str:
    return f"{_root(source_region)}{MANIFESTS}/"


def manifest_path(source_region: str, rows_key: str) -> str:
    """The manifest of the range whose rows file is ``rows_key`` in the source."""
    return f"{manifest_root(source_region)}{rows_key}{_MANIFEST_SUFFIX}"


def source_key_of(source_region: str, path: str) -> str | None:
    """The source key a replica path mirrors; None for manifests and for paths outside the replica root."""
    root = _root(source_region)
    if not path.startswith(root) or path.startswith(manifest_root(source_region)):
        return None
    return path[len(root) :]


def rows_key_of(source_region: str, path: str) -> str | None:
    """The rows key a manifest path is named after; None when ``path`` is not a manifest's."""
    root = manifest_root(source_region)
    if not path.startswith(root) or not path.endswith(_MANIFEST_SUFFIX):
        return None
    return path[len(root) : -len(_MANIFEST_SUFFIX)]
