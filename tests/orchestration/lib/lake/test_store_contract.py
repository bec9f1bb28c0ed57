"""Every lake backend passes one contract, against a real store: a folder, SeaweedFS's S3, fake-gcs-server.

The cloud stores are real servers on free 127.0.0.1 ports (see tests/stores.py) driven by the real
clients (boto3, google-cloud-storage), so create-only writes and checksums are the servers' own.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestration.lib.lake import (
    GcsLakeStorage,
    LakeStorage,
    LakeStorageError,
    LocalLakeStorage,
    S3LakeStorage,
    StoreOptions,
    open_store,
    parse_store_uri,
)
from orchestration.lib.lake.gcs import md5_hex
from orchestration.lib.lake.s3 import etag_md5
from tests.stores import FakeGcs, SeaweedS3, StoreFactory

pytestmark = pytest.mark.integration


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_write_read_exists_list_delete(store: LakeStorage) -> None:
    store.write("bronze/events/topic=t/partition=0/b.parquet", b"two")
    store.write("bronze/events/topic=t/partition=0/a.parquet", b"one")
    store.write("bronze/quarantine/topic=t/partition=0/a.parquet", b"bad")
    assert store.list("bronze/events/") == [
        "bronze/events/topic=t/partition=0/a.parquet",
        "bronze/events/topic=t/partition=0/b.parquet",
    ]
    assert store.read("bronze/events/topic=t/partition=0/a.parquet") == b"one"
    store.write("bronze/events/topic=t/partition=0/a.parquet", b"replaced")
    assert store.read("bronze/events/topic=t/partition=0/a.parquet") == b"replaced"
    assert store.exists("bronze/events/topic=t/partition=0/b.parquet")
    store.delete("bronze/events/topic=t/partition=0/b.parquet")
    assert not store.exists("bronze/events/topic=t/partition=0/b.parquet")
    store.delete("bronze/events/topic=t/partition=0/b.parquet")  # deleting what is gone is not an error
    assert store.list("nothing/here/") == []
    assert store.list_info("nothing/here/") == []


def test_stat_reports_the_stores_own_size_checksum_and_time(store: LakeStorage) -> None:
    data = bytes(range(256)) * 41
    before = datetime.now(UTC)
    store.write("replication/x.bin", data)
    after = datetime.now(UTC)

    info = store.stat("replication/x.bin")

    assert info is not None
    assert (info.path, info.size, info.md5) == ("replication/x.bin", len(data), md5(data))
    assert info.updated.utcoffset() == timedelta(0)
    # S3's Last-Modified has whole seconds; every store here shares this machine's clock.
    assert before - timedelta(seconds=1.5) <= info.updated <= after + timedelta(seconds=1.5)
    assert store.stat("replication/missing.bin") is None
    assert store.stat("replication/") is None


def test_a_write_answers_with_what_the_store_computed_or_nothing(store: LakeStorage) -> None:
    """Object stores answer a put with the MD5 they computed from the bytes received; a folder says nothing."""
    data = b"replica bytes" * 100
    answer = store.write("bronze/answered.parquet", data)
    if store.describe().startswith(("s3://", "gs://")):
        assert answer is not None and (answer.size, answer.md5) == (len(data), md5(data))
        stored = store.stat("bronze/answered.parquet")
        assert stored is not None and stored.md5 == answer.md5
    else:
        assert answer is None


def test_list_info_gives_every_object_with_its_checksum_in_one_listing(store: LakeStorage) -> None:
    objects = {f"replication/range={i}/part.parquet": f"payload {i}".encode() * (i + 1) for i in (3, 1, 2)}
    for path, data in objects.items():
        store.write(path, data)
    store.write("elsewhere/part.parquet", b"not listed")

    infos = store.list_info("replication/")

    assert [info.path for info in infos] == sorted(objects)
    assert [(info.size, info.md5) for info in infos] == [(len(objects[p]), md5(objects[p])) for p in sorted(objects)]
    assert all(info.updated.tzinfo is not None for info in infos)
    stats = [store.stat(path) for path in sorted(objects)]
    assert [(i.path, i.size, i.md5) for i in infos] == [(s.path, s.size, s.md5) for s in stats if s is not None]


def test_write_if_absent_creates_once_and_never_overwrites(store: LakeStorage) -> None:
    assert store.write_if_absent("manifests/range=0.json", b'{"run": "first"}') is True
    first = store.stat("manifests/range=0.json")
    assert store.write_if_absent("manifests/range=0.json", b'{"run": "second"}') is False
    assert store.read("manifests/range=0.json") == b'{"run": "first"}'
    second = store.stat("manifests/range=0.json")
    assert first is not None and second is not None and (second.size, second.md5) == (first.size, first.md5)
    assert store.list("manifests/") == ["manifests/range=0.json"]  # no temporary file left behind


def race_create_only(stores: list[LakeStorage], path: str) -> dict[int, bool]:
    """Each store's ``write_if_absent(path)``, all released at once from one barrier."""
    start = threading.Barrier(len(stores), timeout=30)
    results: dict[int, bool] = {}
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            start.wait()
            results[i] = stores[i].write_if_absent(path, f"writer {i}".encode())
        except BaseException as exc:  # re-raised below in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def test_racing_create_only_writes_have_exactly_one_winner(new_store: StoreFactory) -> None:
    for round_ in range(3):
        path = f"manifests/race={round_}.json"
        stores = [new_store() for _ in range(4)]

        results = race_create_only(stores, path)

        winners = [i for i, created in results.items() if created]
        assert len(results) == len(stores) and len(winners) == 1, f"round {round_}: {results}"
        assert stores[0].read(path) == f"writer {winners[0]}".encode()


def test_a_missing_object_names_its_uri(store: LakeStorage) -> None:
    with pytest.raises(LakeStorageError, match="no object") as raised:
        store.read("bronze/missing.parquet")
    assert store.uri("bronze/missing.parquet") in str(raised.value)


def test_describe_and_uri_say_where_the_store_is(store: LakeStorage, tmp_path: Path) -> None:
    if isinstance(store, LocalLakeStorage):
        assert store.describe() == str(tmp_path / "eu")
        assert store.uri("bronze/a.parquet") == str((tmp_path / "eu" / "bronze" / "a.parquet").resolve())
    else:
        scheme = "s3" if isinstance(store, S3LakeStorage) else "gs"
        bucket = store.describe().removeprefix(f"{scheme}://")
        assert re.fullmatch(r"test-[0-9a-f]{12}", bucket)
        assert store.uri("bronze/a.parquet") == f"{scheme}://{bucket}/bronze/a.parquet"


def test_local_lake_lives_under_its_region_and_leaves_no_temp_files(tmp_path: Path) -> None:
    lake = LocalLakeStorage(tmp_path, "apac")
    lake.write("bronze/x.parquet", b"data")
    assert lake.write_if_absent("bronze/y.json", b"{}")
    assert not lake.write_if_absent("bronze/y.json", b"{}")
    assert (tmp_path / "apac" / "bronze" / "x.parquet").read_bytes() == b"data"
    assert sorted(p.name for p in (tmp_path / "apac" / "bronze").iterdir()) == ["x.parquet", "y.json"]
    with pytest.raises(LakeStorageError, match="escapes"):
        lake.write("../../etc/passwd", b"no")
    with pytest.raises(ValueError, match="not both"):
        LocalLakeStorage(tmp_path, "apac", path=tmp_path / "elsewhere")


# --- choosing a store from its URI ---------------------------------------------------------------


@pytest.fixture()
def options(tmp_path: Path, s3_store_server: SeaweedS3, fake_gcs_server: FakeGcs) -> StoreOptions:
    return StoreOptions(
        root=tmp_path / "lake",
        gcs_project="p",
        gcs_endpoint=fake_gcs_server.endpoint,
        s3_endpoint=s3_store_server.endpoint,
    )


@pytest.mark.usefixtures("s3_credentials")
def test_open_store_understands_every_uri_form(
    options: StoreOptions, tmp_path: Path, s3_bucket: str, gcs_bucket: str
) -> None:
    exact = tmp_path / "us lake"
    stores = {
        None: open_store(None, "us", options),
        "local": open_store("local", "us", options),
        "file": open_store(exact.as_uri(), "us", options),
        "gs": open_store(f"gs://{gcs_bucket}", "us", options),
        "s3": open_store(f"s3://{s3_bucket}", "us", options),
    }

    for name, store in stores.items():
        assert store.region == "us"
        store.write(f"probe/{name}.txt", b"hello")  # each reaches a real store
        assert store.read(f"probe/{name}.txt") == b"hello", name
    assert (tmp_path / "lake" / "us" / "probe" / "local.txt").read_bytes() == b"hello"
    assert (exact / "probe" / "file.txt").read_bytes() == b"hello"  # exactly that folder: no region below it
    assert stores["gs"].describe() == f"gs://{gcs_bucket}"
    assert stores["s3"].describe() == f"s3://{s3_bucket}"


@pytest.mark.parametrize(
    ("uri", "parsed"),
    [
        (None, ("local", "")),
        ("local", ("local", "")),
        ("file:///srv/lake/eu", ("file", "/srv/lake/eu")),
        ("file:///srv/my%20lake/", ("file", "/srv/my lake")),
        ("gs://meridian-lake-eu", ("gs", "meridian-lake-eu")),
        ("s3://meridian.lake-eu/", ("s3", "meridian.lake-eu")),
    ],
)
def test_parse_store_uri(uri: str | None, parsed: tuple[str, str]) -> None:
    assert parse_store_uri(uri) == parsed


@pytest.mark.parametrize(
    "uri",
    [
        "ftp://host/lake",
        "lake",
        "file://relative/path",
        "gs://bucket/prefix",
        "s3://UPPER",
        "s3://x",
        "gs://",
        "s3://b?x=1",
    ],
)
def test_open_store_refuses_what_it_cannot_open(uri: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=re.escape(uri)):
        open_store(uri, "us", StoreOptions(root=tmp_path))


# --- checksums the stores cannot vouch for -------------------------------------------------------


def test_checksums_of_multipart_and_composite_objects_are_unknown() -> None:
    assert etag_md5('"5d41402abc4b2a76b9719d911017c592"') == "5d41402abc4b2a76b9719d911017c592"
    assert etag_md5('"9b2cf535f27731c974343645a3985328-2"') is None
    assert etag_md5(None) is None
    assert md5_hex("XUFAKrxLKna5cZ2REBfFkg==", None) == "5d41402abc4b2a76b9719d911017c592"
    assert md5_hex("XUFAKrxLKna5cZ2REBfFkg==", 2) is None
    assert md5_hex(None, None) is None


@pytest.mark.usefixtures("s3_credentials")
def test_a_multipart_upload_on_s3_has_no_md5(s3_store_server: SeaweedS3, s3_bucket: str) -> None:
    client = s3_store_server.client()
    part = b"p" * (5 * 1024 * 1024)
    upload = client.create_multipart_upload(Bucket=s3_bucket, Key="big.bin")["UploadId"]
    etags = [
        client.upload_part(Bucket=s3_bucket, Key="big.bin", UploadId=upload, PartNumber=n, Body=part)["ETag"]
        for n in (1, 2)
    ]
    parts = [{"ETag": etag, "PartNumber": n} for n, etag in zip((1, 2), etags, strict=True)]
    client.complete_multipart_upload(Bucket=s3_bucket, Key="big.bin", UploadId=upload, MultipartUpload={"Parts": parts})

    store = S3LakeStorage(s3_bucket, "us", endpoint_url=s3_store_server.endpoint)
    info = store.stat("big.bin")

    assert info is not None and info.size == 2 * len(part) and info.md5 is None
    assert [(i.path, i.md5) for i in store.list_info("")] == [("big.bin", None)]


class ConflictingS3:
    """An S3 client whose conditional puts first meet ``conflicts`` concurrent operations (409), then ``final``."""

    def __init__(self, conflicts: int, final: int | None) -> None:
        self.conflicts, self.final, self.puts = conflicts, final, 0

    def put_object(self, **kwargs: object) -> dict[str, object]:
        from botocore.exceptions import ClientError

        self.puts += 1
        status = 409 if self.puts <= self.conflicts else self.final
        if status is None:
            return {}
        code = {409: "ConditionalRequestConflict", 412: "PreconditionFailed"}[status]
        raise ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject")


@pytest.mark.parametrize(("conflicts", "final", "created"), [(2, None, True), (1, 412, False)])
def test_a_conflicting_create_only_write_on_s3_is_retried_until_s3_decides(
    conflicts: int, final: int | None, created: bool
) -> None:
    """SeaweedFS never answers 409 ConditionalRequestConflict, so a scripted client stands in for AWS."""
    client = ConflictingS3(conflicts, final)
    assert S3LakeStorage("b", "us", client=client).write_if_absent("m.json", b"{}") is created
    assert client.puts == conflicts + 1


def test_endless_s3_conflicts_end_in_an_error_naming_the_object() -> None:
    client = ConflictingS3(conflicts=10, final=None)
    with pytest.raises(LakeStorageError, match=re.escape("s3://b/m.json")):
        S3LakeStorage("b", "us", client=client).write_if_absent("m.json", b"{}")
    assert client.puts == 3


def test_s3_without_credentials_says_which_are_missing(
    s3_store_server: SeaweedS3, s3_bucket: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    store = S3LakeStorage(s3_bucket, "us", endpoint_url=s3_store_server.endpoint)

    with pytest.raises(LakeStorageError, match="AWS_ACCESS_KEY_ID") as raised:
        store.write("a.bin", b"x")
    assert f"s3://{s3_bucket}/a.bin" in str(raised.value)


# --- a store that crashes ------------------------------------------------------------------------


@pytest.fixture()
def crashing_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SeaweedS3]:
    """A SeaweedFS of this test's own, so killing it cannot disturb the session's."""
    server = SeaweedS3(tmp_path / "seaweedfs")
    server.home.mkdir()
    try:
        server.start()
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret_key)
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield server
    finally:
        server.stop()


def test_a_killed_s3_store_fails_writes_quickly_and_keeps_its_data(crashing_s3: SeaweedS3) -> None:
    bucket = crashing_s3.create_bucket(f"crash-{uuid.uuid4().hex[:8]}")
    store = S3LakeStorage(bucket, "us", endpoint_url=crashing_s3.endpoint)
    before = {f"bronze/part-{i}.parquet": f"range {i}".encode() * 100 for i in range(5)}
    for path, data in before.items():
        store.write(path, data)
    assert store.write_if_absent("manifests/0.json", b"{}")

    crashing_s3.kill()
    began = time.monotonic()
    with pytest.raises(LakeStorageError) as raised:
        store.write("bronze/part-5.parquet", b"lost")
    elapsed = time.monotonic() - began

    assert f"s3://{bucket}/bronze/part-5.parquet" in str(raised.value)
    assert crashing_s3.endpoint in str(raised.value)
    assert elapsed < 15, f"a write to a dead store took {elapsed:.1f}s to fail"

    crashing_s3.restart()
    assert {path: store.read(path) for path in before} == before
    assert [(i.path, i.md5) for i in store.list_info("bronze/")] == [(p, md5(before[p])) for p in sorted(before)]
    assert not store.write_if_absent("manifests/0.json", b"{}")  # the claim survived the crash
    store.write("bronze/part-5.parquet", b"after")
    assert store.read("bronze/part-5.parquet") == b"after"


def test_a_restarted_gcs_emulator_still_serves_what_was_written(tmp_path: Path) -> None:
    """fake-gcs-server keeps objects on disk, so GCS crash tests can restart it (a dead one costs the
    client's 120 s retry deadline per call, so no write is tried while it is down)."""
    server = FakeGcs(tmp_path / "fake-gcs")
    server.home.mkdir()
    try:
        store = GcsLakeStorage(server.start().create_bucket("crash-gcs"), "us", "p", server.endpoint)
        assert store.write_if_absent("manifests/0.json", b"{}")
        server.kill()
        server.restart()
        assert store.read("manifests/0.json") == b"{}"
        assert not store.write_if_absent("manifests/0.json", b"{}")
    finally:
        server.stop()
