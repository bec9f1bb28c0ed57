"""The lake on S3 or an S3-compatible store (SeaweedFS, MinIO): one bucket per storage region.

A single PutObject is atomic (readers see the whole object or none), so ``write`` needs no
temporary key; ``IfNoneMatch='*'`` makes it create-only. The checksum is the ETag, which S3
sets to the MD5 of the bytes for a single-part upload without SSE-KMS/SSE-C; a multi-part ETag
(``<md5 of md5s>-<parts>``) is reported as no checksum. boto3 is imported on first use so that
importing the lake package stays cheap. Credentials come from boto3's default chain
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, an instance role).
"""

from __future__ import annotations

import builtins
import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from orchestration.lib.lake.base import LakeStorageError, ObjectInfo

log = logging.getLogger(__name__)

T = TypeVar("T")

# Bounded, so a run against an unreachable store fails in seconds and says where, rather than hanging.
MAX_ATTEMPTS = 3
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 30
# S3 answers 409 ConditionalRequestConflict when a conditional write races another operation on the
# key and asks the client to retry; botocore does not retry it.
CONFLICT_RETRIES = 3

_MD5_ETAG = re.compile(r"[0-9a-f]{32}")


def etag_md5(etag: str | None) -> str | None:
    """The MD5 an ETag carries: a single-part upload's quoted hex digest; None for a multi-part one."""
    value = (etag or "").strip('"').lower()
    return value if _MD5_ETAG.fullmatch(value) else None


class S3LakeStorage:
    def __init__(
        self,
        bucket: str,
        region: str,
        endpoint_url: str | None = None,
        region_name: str = "us-east-1",
        client: Any | None = None,
    ) -> None:
        self.bucket_name = bucket
        self.region = region
        self._endpoint_url = endpoint_url
        self._region_name = region_name
        self._client = client
        self._lock = threading.Lock()

    def _s3(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                config = Config(
                    retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
                    connect_timeout=CONNECT_TIMEOUT_S,
                    read_timeout=READ_TIMEOUT_S,
                    # A custom endpoint (SeaweedFS, MinIO) has no per-bucket DNS names.
                    s3={"addressing_style": "path"} if self._endpoint_url else None,
                )
                # A session of its own: boto3's default session is not safe to share between threads.
                session = boto3.session.Session()
                self._client = session.client(
                    "s3", endpoint_url=self._endpoint_url, region_name=self._region_name, config=config
                )
            return self._client

    def _where(self, path: str) -> str:
        where = self.uri(path)
        return f"{where} (endpoint {self._endpoint_url})" if self._endpoint_url else where

    def _call(self, action: str, path: str, call: Callable[[Any], T]) -> T:
        """Run ``call(client)``; any botocore failure becomes a LakeStorageError naming the object."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            return call(self._s3())
        except NoCredentialsError as exc:
            raise LakeStorageError(
                f"{action} {self._where(path)} failed: no S3 credentials (set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or an AWS profile)"
            ) from exc
        except (BotoCoreError, ClientError) as exc:
            raise LakeStorageError(f"{action} {self._where(path)} failed: {exc}") from exc

    def write(self, path: str, data: bytes) -> ObjectInfo | None:
        """One PutObject; S3 answers with the ETag it computed from the bytes it received (their MD5)."""
        answer = self._call("writing", path, lambda s3: s3.put_object(Bucket=self.bucket_name, Key=path, Body=data))
        md5 = etag_md5(answer.get("ETag"))
        return None if md5 is None else ObjectInfo(path, len(data), md5, datetime.now(UTC))

    def write_if_absent(self, path: str, data: bytes) -> bool:
        """PutObject with ``IfNoneMatch='*'``: 412 means another writer created the object first.

        A 409 (a concurrent operation on the key) has no winner yet, so the put is retried a few
        times until S3 gives a definite answer. A put that landed but whose answer was lost, then
        retried by botocore, also ends in 412: a caller that must know it won compares the content.
        """
        attempt = 1
        while True:
            try:
                self._put_if_absent(path, data)
                return True
            except _ConditionalError as exc:
                if exc.status == 412:
                    return False
                if attempt >= CONFLICT_RETRIES:
                    raise LakeStorageError(
                        f"writing {self._where(path)} (create-only) conflicted with another operation "
                        f"{attempt} times in a row: {exc.cause}"
                    ) from exc.cause
                log.info("create-only write of %s conflicted (409); retrying", self.uri(path))
                time.sleep(0.1 * attempt)
                attempt += 1

    def _put_if_absent(self, path: str, data: bytes) -> None:
        from botocore.exceptions import ClientError

        def put(s3: Any) -> None:
            try:
                s3.put_object(Bucket=self.bucket_name, Key=path, Body=data, IfNoneMatch="*")
            except ClientError as exc:
                status = _status(exc)
                if status in (409, 412):
                    raise _ConditionalError(status, exc) from exc
                raise

        self._call("writing", path, put)

    def read(self, path: str) -> bytes:
        from botocore.exceptions import ClientError

        def get(s3: Any) -> bytes:
            try:
                body: bytes = s3.get_object(Bucket=self.bucket_name, Key=path)["Body"].read()
            except ClientError as exc:
                if _code(exc) == "NoSuchKey":
                    raise LakeStorageError(f"no object {self.uri(path)}") from exc
                raise
            return body

        return self._call("reading", path, get)

    def exists(self, path: str) -> bool:
        return self.stat(path) is not None

    def stat(self, path: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        if not path or path.endswith("/"):
            # A prefix, never a lake object; SeaweedFS would answer with its filer directory as an empty object.
            return None

        def head(s3: Any) -> ObjectInfo | None:
            try:
                meta = s3.head_object(Bucket=self.bucket_name, Key=path)
            except ClientError as exc:
                if _status(exc) == 404:
                    return None
                raise
            return ObjectInfo(path, int(meta["ContentLength"]), etag_md5(meta.get("ETag")), _utc(meta["LastModified"]))

        return self._call("reading the metadata of", path, head)

    def list(self, prefix: str) -> list[str]:
        return [info.path for info in self.list_info(prefix)]

    def list_info(self, prefix: str) -> builtins.list[ObjectInfo]:
        def listing(s3: Any) -> builtins.list[ObjectInfo]:
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket_name, Prefix=prefix)
            return [
                ObjectInfo(item["Key"], int(item["Size"]), etag_md5(item.get("ETag")), _utc(item["LastModified"]))
                for page in pages
                for item in page.get("Contents", [])
            ]

        return sorted(self._call("listing", prefix, listing), key=lambda info: info.path)

    def delete(self, path: str) -> None:
        self._call("deleting", path, lambda s3: s3.delete_object(Bucket=self.bucket_name, Key=path))

    def uri(self, path: str) -> str:
        return f"s3://{self.bucket_name}/{path}"

    def describe(self) -> str:
        return f"s3://{self.bucket_name}"


class _ConditionalError(Exception):
    """A conditional put S3 refused (412) or asked to retry (409)."""

    def __init__(self, status: int, cause: Exception) -> None:
        super().__init__(status)
        self.status = status
        self.cause = cause


def _status(exc: Any) -> int | None:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _utc(moment: datetime) -> datetime:
    """botocore parses a listing's LastModified in the local zone and HeadObject's in UTC: one zone for both."""
    return moment.astimezone(UTC)
