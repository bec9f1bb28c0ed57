"""Both lake backends pass the same contract tests: the local folder and GCS.

GCS runs against gcp-storage-emulator (from PyPI) on a free 127.0.0.1 port: a real HTTP
server speaking the GCS JSON API, driven by the real google-cloud-storage client.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from orchestration.lib.lake import GcsLakeStorage, LakeStorage, LakeStorageError, LocalLakeStorage


@pytest.fixture(params=["local", "gcs"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> LakeStorage:
    if request.param == "local":
        return LocalLakeStorage(tmp_path, "eu")
    endpoint = request.getfixturevalue("gcs_endpoint")
    lake = GcsLakeStorage(f"meridian-lake-{uuid.uuid4().hex[:8]}", "eu", "test-project", endpoint)
    lake._get_bucket().client.create_bucket(lake.bucket_name)
    return lake


def test_write_read_list_delete(storage: LakeStorage) -> None:
    storage.write("bronze/events/topic=t/partition=0/b.parquet", b"two")
    storage.write("bronze/events/topic=t/partition=0/a.parquet", b"one")
    storage.write("bronze/quarantine/topic=t/partition=0/a.parquet", b"bad")
    assert storage.list("bronze/events/") == [
        "bronze/events/topic=t/partition=0/a.parquet",
        "bronze/events/topic=t/partition=0/b.parquet",
    ]
    assert storage.read("bronze/events/topic=t/partition=0/a.parquet") == b"one"
    storage.write("bronze/events/topic=t/partition=0/a.parquet", b"replaced")
    assert storage.read("bronze/events/topic=t/partition=0/a.parquet") == b"replaced"
    assert storage.exists("bronze/events/topic=t/partition=0/b.parquet")
    storage.delete("bronze/events/topic=t/partition=0/b.parquet")
    assert not storage.exists("bronze/events/topic=t/partition=0/b.parquet")
    assert storage.list("nothing/here/") == []
    with pytest.raises(LakeStorageError, match="no object"):
        storage.read("bronze/missing.parquet")


def test_local_lake_lives_under_its_region_and_leaves_no_temp_files(tmp_path: Path) -> None:
    lake = LocalLakeStorage(tmp_path, "apac")
    lake.write("bronze/x.parquet", b"data")
    assert (tmp_path / "apac" / "bronze" / "x.parquet").read_bytes() == b"data"
    assert [p.name for p in (tmp_path / "apac" / "bronze").iterdir()] == ["x.parquet"]
    with pytest.raises(LakeStorageError, match="escapes"):
        lake.write("../../etc/passwd", b"no")


def test_gcs_uri_names_the_regional_bucket(gcs_endpoint: str) -> None:
    lake = GcsLakeStorage("meridian-lake-us", "us", "p", gcs_endpoint)
    assert lake.uri("bronze/a.parquet") == "gs://meridian-lake-us/bronze/a.parquet"
