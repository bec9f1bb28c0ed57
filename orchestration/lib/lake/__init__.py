"""Lake storage behind one small interface: a local folder, Google Cloud Storage or S3.

Nothing here imports a cloud SDK: each backend imports its client on first use.
"""

from orchestration.lib.lake.base import LakeStorage, LakeStorageError, ObjectInfo
from orchestration.lib.lake.gcs import GcsLakeStorage
from orchestration.lib.lake.local import LocalLakeStorage
from orchestration.lib.lake.s3 import S3LakeStorage
from orchestration.lib.lake.stores import StoreOptions, open_store, parse_store_uri

__all__ = [
    "GcsLakeStorage",
    "LakeStorage",
    "LakeStorageError",
    "LocalLakeStorage",
    "ObjectInfo",
    "S3LakeStorage",
    "StoreOptions",
    "open_store",
    "parse_store_uri",
]
