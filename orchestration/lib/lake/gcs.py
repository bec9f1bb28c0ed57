"""The lake on Google Cloud Storage: bucket ``<prefix>-<region>``, one per storage region.

Uses google-cloud-storage directly: a single-request upload is atomic (the object appears
whole or not at all), which is what the bronze exactly-once rule needs, and ``ifGenerationMatch=0``
makes it create-only. The checksum is the ``md5Hash`` GCS computed on upload. ``endpoint`` points
the client at an emulator in tests; production leaves it unset and uses ambient credentials.
"""

from __future__ import annotations

import base64
import binascii
import builtins
from datetime import UTC
from typing import Any

from orchestration.lib.lake.base import LakeStorageError, ObjectInfo


def md5_hex(md5_hash: str | None, component_count: int | None) -> str | None:
    """GCS's base64 ``md5Hash`` as hex; None for a composite object, whose md5Hash (if any) is not of its bytes."""
    if not md5_hash or component_count:
        return None
    try:
        return base64.b64decode(md5_hash, validate=True).hex()
    except binascii.Error:
        return None


def _object_info(blob: Any) -> ObjectInfo:
    return ObjectInfo(
        path=blob.name,
        size=int(blob.size),
        md5=md5_hex(blob.md5_hash, blob.component_count),
        updated=blob.updated.astimezone(UTC),
    )


CALL_TIMEOUT_S = (5.0, 60.0)  # connect, read
RETRY_DEADLINE_S = 30.0


class GcsLakeStorage:
    def __init__(
        self, bucket: str, region: str, project: str, endpoint: str | None = None, client: Any | None = None
    ) -> None:
        self.bucket_name = bucket
        self.region = region
        self._project = project
        self._endpoint = endpoint
        self._client = client
        self._bucket: Any | None = None

    def _get_bucket(self) -> Any:
        if self._bucket is None:
            from google.cloud import storage

            if self._client is None:
                if self._endpoint:
                    from google.auth.credentials import AnonymousCredentials

                    self._client = storage.Client(
                        project=self._project,
                        credentials=AnonymousCredentials(),
                        client_options={"api_endpoint": self._endpoint},
                    )
                else:
                    self._client = storage.Client(project=self._project)
            self._bucket = self._client.bucket(self.bucket_name)
        return self._bucket

    def _calls(self) -> dict[str, Any]:
        """Bounded time per call: the client's default retries an unreachable endpoint for 120 s per object,
        which would hold a replication run that long for every file of a region that is down."""
        from google.cloud.storage.retry import DEFAULT_RETRY

        return {"timeout": CALL_TIMEOUT_S, "retry": DEFAULT_RETRY.with_timeout(RETRY_DEADLINE_S)}

    def write(self, path: str, data: bytes) -> ObjectInfo | None:
        """One upload; GCS answers with the object's resource, whose md5Hash it computed from the bytes."""
        blob = self._get_bucket().blob(path)
        try:
            blob.upload_from_string(data, content_type="application/octet-stream", **self._calls())
        except Exception as exc:
            raise LakeStorageError(f"writing gs://{self.bucket_name}/{path} failed: {exc}") from exc
        return _object_info(blob) if blob.md5_hash and blob.updated else None

    def write_if_absent(self, path: str, data: bytes) -> bool:
        """An upload with ``ifGenerationMatch=0``: GCS creates the object only if it has no live generation."""
        from google.api_core.exceptions import PreconditionFailed

        try:
            self._get_bucket().blob(path).upload_from_string(
                data, content_type="application/octet-stream", if_generation_match=0, **self._calls()
            )
        except PreconditionFailed:
            return False
        except Exception as exc:
            raise LakeStorageError(f"writing gs://{self.bucket_name}/{path} (create-only) failed: {exc}") from exc
        return True

    def read(self, path: str) -> bytes:
        from google.api_core.exceptions import NotFound

        try:
            data: bytes = self._get_bucket().blob(path).download_as_bytes(**self._calls())
        except NotFound as exc:
            raise LakeStorageError(f"no object gs://{self.bucket_name}/{path}") from exc
        except Exception as exc:
            raise LakeStorageError(f"reading {self.uri(path)} failed: {exc}") from exc
        return data

    def exists(self, path: str) -> bool:
        try:
            return bool(self._get_bucket().blob(path).exists(**self._calls()))
        except Exception as exc:
            raise LakeStorageError(f"looking for {self.uri(path)} failed: {exc}") from exc

    def stat(self, path: str) -> ObjectInfo | None:
        try:
            blob = self._get_bucket().get_blob(path, **self._calls())
        except Exception as exc:
            raise LakeStorageError(f"reading the metadata of {self.uri(path)} failed: {exc}") from exc
        return None if blob is None else _object_info(blob)

    def list(self, prefix: str) -> list[str]:
        return [info.path for info in self.list_info(prefix)]

    def list_info(self, prefix: str) -> builtins.list[ObjectInfo]:
        try:
            blobs = list(self._get_bucket().client.list_blobs(self.bucket_name, prefix=prefix, **self._calls()))
        except Exception as exc:
            raise LakeStorageError(f"listing gs://{self.bucket_name}/{prefix} failed: {exc}") from exc
        return sorted((_object_info(blob) for blob in blobs), key=lambda info: info.path)

    def delete(self, path: str) -> None:
        from google.api_core.exceptions import NotFound

        try:
            self._get_bucket().blob(path).delete(**self._calls())
        except NotFound:
            return

    def uri(self, path: str) -> str:
        return f"gs://{self.bucket_name}/{path}"

    def describe(self) -> str:
        return f"gs://{self.bucket_name}"
