"""Stores that fail, lie or vanish: no range is ever manifested without verification, and a re-run finishes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestration.lib.bronze.landing import BRONZE
from orchestration.lib.bronze.ranges import OffsetRange, range_path
from orchestration.lib.lake import LocalLakeStorage
from orchestration.lib.replication import StoreUnavailableError, audit, manifest_path, replica_path, replicate
from orchestration.lib.replication.layout import manifest_root
from tests.orchestration.lib.replication.replication_lakes import (
    TOPIC,
    CorruptReads,
    FailingWrites,
    Unreachable,
    lakes,
    land_bronze,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
# Landed with quarantine files where bad > 0: in key order the target sees 3, 2 and 3 writes (files, then manifest).
RANGES = [(OffsetRange(0, 0, 10), 2), (OffsetRange(0, 10, 20), 0), (OffsetRange(1, 0, 6), 1)]
WRITES = [3, 2, 3]


def rows_key(r: OffsetRange) -> str:
    return range_path(BRONZE.rows_prefix, TOPIC, r)


def landed(tmp_path: Path) -> tuple[LocalLakeStorage, LocalLakeStorage]:
    us, eu = lakes(tmp_path, "us", "eu")
    for r, bad in RANGES:
        land_bronze(us, r, bad=bad)
    return us, eu


def assert_every_manifest_is_true(us: LocalLakeStorage, eu: LocalLakeStorage) -> int:
    found = audit(us, eu, [BRONZE], now=NOW, deep=True)
    assert found.mismatched == () and found.row_count_mismatches == () and found.orphans == ()
    return found.ranges_replicated


@pytest.mark.parametrize("ok", range(sum(WRITES)))
def test_a_target_failing_mid_copy_leaves_only_true_manifests_and_a_retry_completes(tmp_path: Path, ok: int) -> None:
    us, eu = landed(tmp_path)

    with pytest.raises(StoreUnavailableError, match=re.escape(f"target store {eu.describe()} (region eu)")):
        replicate(us, FailingWrites(eu, ok), [BRONZE], now=NOW, workers=1)

    done = sum(1 for i in range(len(WRITES)) if sum(WRITES[: i + 1]) <= ok)
    assert [rows_key(r) for r, _ in RANGES[:done]] == [
        m.removeprefix(manifest_root("us")).removesuffix(".json") for m in eu.list(manifest_root("us"))
    ]
    assert assert_every_manifest_is_true(us, eu) == done
    retry = replicate(us, eu, [BRONZE], now=NOW, workers=1)
    assert (retry.ranges_skipped, retry.ranges_copied, retry.errors) == (done, len(RANGES) - done, ())
    assert audit(us, eu, [BRONZE], now=NOW).clean


class WritesThenFails(FailingWrites):
    """The write reaches the store but the client sees an error (a timeout after the upload)."""

    def write(self, path: str, data: bytes) -> None:
        if self.writes >= self.ok:
            self.inner.write(path, data)
        super().write(path, data)

    def write_if_absent(self, path: str, data: bytes) -> bool:
        if self.writes >= self.ok:
            self.inner.write_if_absent(path, data)
        return super().write_if_absent(path, data)


@pytest.mark.parametrize(("store", "workers"), [(FailingWrites, 4), (WritesThenFails, 1), (WritesThenFails, 4)])
@pytest.mark.parametrize("ok", [1, 3, 4, 6])
def test_failures_with_parallel_copies_or_lost_replies_never_leave_a_false_manifest(
    tmp_path: Path, store: type[FailingWrites], workers: int, ok: int
) -> None:
    us, eu = landed(tmp_path)

    with pytest.raises(StoreUnavailableError):
        replicate(us, store(eu, ok), [BRONZE], now=NOW, workers=workers)

    assert_every_manifest_is_true(us, eu)
    assert replicate(us, eu, [BRONZE], now=NOW, workers=workers).errors == ()
    assert audit(us, eu, [BRONZE], now=NOW).clean


def test_a_source_whose_bytes_do_not_match_its_md5_is_an_error_not_a_copy(tmp_path: Path) -> None:
    us, eu = landed(tmp_path)
    first = RANGES[0][0]

    report = replicate(CorruptReads(us, rows_key(first)), eu, [BRONZE], now=NOW)

    assert [(e.path, e.kind) for e in report.errors] == [(rows_key(first), "source_corrupt_read")]
    assert "md5" in report.errors[0].detail
    assert not eu.exists(manifest_path("us", rows_key(first)))
    # Nothing of the range was written: its quarantine file was read and checked first, but not copied alone.
    assert [p for p in eu.list(replica_path("us", "")) if "partition=0/offsets=00000000000000000000-" in p] == []
    assert report.ranges_copied == 2 and not report.ok
    found = audit(us, eu, [BRONZE])
    assert [m.path for m in found.missing] == [rows_key(first)] and found.lag_seconds > 0
    assert replicate(us, eu, [BRONZE], now=NOW).ranges_copied == 1  # once the reads are good again


def test_an_unreachable_store_is_named_in_the_error(tmp_path: Path) -> None:
    us, eu = landed(tmp_path)

    with pytest.raises(StoreUnavailableError, match=re.escape(f"source store {us.describe()} (region us)")) as err:
        replicate(Unreachable(us), eu, [BRONZE], now=NOW)
    assert isinstance(err.value.__cause__, ConnectionError) and err.value.store == us.describe()
    with pytest.raises(StoreUnavailableError, match=re.escape(f"target store {eu.describe()} (region eu)")):
        audit(us, Unreachable(eu), [BRONZE], now=NOW)
    assert eu.list("") == []


def test_a_store_is_not_replicated_into_its_own_region(tmp_path: Path) -> None:
    us, other_us = lakes(tmp_path / "a", "us")[0], lakes(tmp_path / "b", "us")[0]
    with pytest.raises(ValueError, match="not its own replica"):
        replicate(us, other_us, [BRONZE])
