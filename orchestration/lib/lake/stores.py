"""Choose a region's lake store from a URI: the one place that maps a URI to a backend.

Accepted forms: ``local`` (or nothing) for ``<root>/<region>/``, ``file:///abs/path`` for exactly
that folder, ``gs://bucket`` and ``s3://bucket``. A bucket is the whole store; a path after it is
refused rather than silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from orchestration.lib.lake.base import LakeStorage
from orchestration.lib.lake.gcs import GcsLakeStorage
from orchestration.lib.lake.local import LocalLakeStorage
from orchestration.lib.lake.s3 import S3LakeStorage

ACCEPTED = "local, file:///absolute/path, gs://bucket or s3://bucket"

# The bucket naming rules of each service (lowercase letters, digits, dots, dashes; GCS also underscores).
_BUCKETS = {
    "gs": re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]"),
    "s3": re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"),
}


@dataclass(frozen=True)
class StoreOptions:
    """What the store URIs leave out: the default local folder and how to reach each cloud."""

    root: Path
    gcs_project: str = "meridian-local"
    gcs_endpoint: str | None = None  # emulators only
    s3_endpoint: str | None = None  # S3-compatible stores (SeaweedFS, MinIO); None for AWS
    s3_region_name: str = "us-east-1"


def parse_store_uri(uri: str | None) -> tuple[str, str]:
    """``(scheme, location)``: ``("local", "")``, ``("file", path)``, ``("gs", bucket)`` or ``("s3", bucket)``.

    Pure, so settings validation can reject a bad URI before anything connects.
    """
    if uri is None or uri.strip() in ("", "local"):
        return "local", ""
    parts = urlsplit(uri.strip())
    if parts.query or parts.fragment:
        raise ValueError(f"lake store {uri!r} has a query or fragment; use {ACCEPTED}")
    if parts.scheme == "file":
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not path.startswith("/"):
            raise ValueError(f"lake store {uri!r} is not an absolute file URI (file:///absolute/path)")
        return "file", path.rstrip("/") or "/"
    if parts.scheme in _BUCKETS:
        if parts.path not in ("", "/"):
            raise ValueError(f"lake store {uri!r} names a path in the bucket; a store is a whole bucket: {ACCEPTED}")
        if not _BUCKETS[parts.scheme].fullmatch(parts.netloc):
            raise ValueError(f"lake store {uri!r} does not name a valid {parts.scheme}:// bucket")
        return parts.scheme, parts.netloc
    raise ValueError(f"lake store {uri!r} is not one of {ACCEPTED}")


def open_store(uri: str | None, region: str, options: StoreOptions) -> LakeStorage:
    """The store of ``region`` that ``uri`` names."""
    scheme, location = parse_store_uri(uri)
    if scheme == "file":
        return LocalLakeStorage(None, region, path=Path(location))
    if scheme == "gs":
        return GcsLakeStorage(location, region, options.gcs_project, options.gcs_endpoint)
    if scheme == "s3":
        return S3LakeStorage(location, region, endpoint_url=options.s3_endpoint, region_name=options.s3_region_name)
    return LocalLakeStorage(options.root, region)
