"""One empty store of each backend (a local folder, SeaweedFS's S3, fake-gcs-server) for the tests that hold
every store to the same contract: the lake stores' and the lease's."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.lib.lake import GcsLakeStorage, LakeStorage, LocalLakeStorage, S3LakeStorage
from tests.stores import FakeGcs, SeaweedS3, StoreFactory


@pytest.fixture(params=["local", "s3", "gcs"])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """Makes handles on one empty store; each handle has its own client, as separate runs would."""
    if request.param == "local":
        return lambda: LocalLakeStorage(tmp_path, "eu")
    if request.param == "s3":
        server: SeaweedS3 = request.getfixturevalue("s3_store_server")
        request.getfixturevalue("s3_credentials")
        bucket = request.getfixturevalue("s3_bucket")
        return lambda: S3LakeStorage(bucket, "eu", endpoint_url=server.endpoint)
    gcs: FakeGcs = request.getfixturevalue("fake_gcs_server")
    bucket = request.getfixturevalue("gcs_bucket")
    return lambda: GcsLakeStorage(bucket, "eu", "test-project", gcs.endpoint)


@pytest.fixture()
def store(new_store: StoreFactory) -> LakeStorage:
    return new_store()
