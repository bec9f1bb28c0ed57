"""Lake storage behind one small interface: a local folder or Google Cloud Storage."""

from orchestration.lib.lake.base import LakeStorage, LakeStorageError
from orchestration.lib.lake.gcs import GcsLakeStorage
from orchestration.lib.lake.local import LocalLakeStorage

__all__ = ["GcsLakeStorage", "LakeStorage", "LakeStorageError", "LocalLakeStorage"]
