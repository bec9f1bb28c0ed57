"""The lake on Google Cloud Storage: bucket ``<prefix>-<region>``, one per storage region.

Uses google-cloud-storage directly: a single-request upload is atomic (the object appears
whole or not at all), which is what the bronze exactly-once rule needs. ``endpoint`` points
the client at an emulator in tests; production leaves it unset and uses ambient credentials.
"""

from __future__ import annotations

from typing import Any

from orchestration.lib.lake.base import LakeStorageError


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

    def write(self, path: str, data: bytes) -> None:
        try:
            self._get_bucket().blob(path).upload_from_string(data, content_type="application/octet-stream")
        except Exception as exc:
            raise LakeStorageError(f"writing gs://{self.bucket_name}/{path} failed: {exc}") from exc

    def read(self, path: str) -> bytes:
        from google.api_core.exceptions import NotFound

        try:
            data: bytes = self._get_bucket().blob(path).download_as_bytes()
        except NotFound as exc:
            raise LakeStorageError(f"no object gs://{self.bucket_name}/{path}") from exc
        return data

    def exists(self, path: str) -> bool:
        return bool(self._get_bucket().blob(path).exists())

    def list(self, prefix: str) -> list[str]:
        blobs = self._get_bucket().client.list_blobs(self.bucket_name, prefix=prefix)
        return sorted(blob.name for blob in blobs)

    def delete(self, path: str) -> None:
        from google.api_core.exceptions import NotFound

        try:
            self._get_bucket().blob(path).delete()
        except NotFound:
            return

    def uri(self, path: str) -> str:
        return f"gs://{self.bucket_name}/{path}"
