"""Auditing replicas: what is damaged, what is waiting, what is left over, how late; and repairing it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from orchestration.lib.bronze.landing import BRONZE
from orchestration.lib.bronze.ranges import OffsetRange, range_path
from orchestration.lib.replication import PartitionKey, audit, manifest_path, replica_path, replicate
from tests.orchestration.lib.replication.replication_lakes import TOPIC, NoMd5, flip, lakes, land_bronze, set_updated

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
A, B, C = OffsetRange(0, 0, 10), OffsetRange(0, 10, 20), OffsetRange(0, 20, 30)


def rows_key(r: OffsetRange) -> str:
    return range_path(BRONZE.rows_prefix, TOPIC, r)


def quarantine_key(r: OffsetRange) -> str:
    return range_path(BRONZE.quarantine_prefix, TOPIC, r)


def test_a_corrupted_replica_is_named_then_repaired(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    land_bronze(us, A, bad=2)
    land_bronze(us, B)
    replicate(us, eu, [BRONZE], now=NOW)
    manifest = eu.read(manifest_path("us", rows_key(A)))
    damaged = replica_path("us", rows_key(A))
    eu.write(damaged, flip(eu.read(damaged)))

    found = audit(us, eu, [BRONZE], now=NOW)

    assert [(p.path, p.kind) for p in found.mismatched] == [(rows_key(A), "replica_md5")]
    assert not found.clean and found.missing == () and found.orphans == ()
    repaired = replicate(us, eu, [BRONZE], now=NOW)
    assert (repaired.ranges_repaired, repaired.files_copied, repaired.ranges_skipped, repaired.errors) == (1, 1, 1, ())
    assert eu.read(damaged) == us.read(rows_key(A))
    assert eu.read(manifest_path("us", rows_key(A))) == manifest  # the proof stands: it records the source
    assert audit(us, eu, [BRONZE], now=NOW).clean


def test_a_deleted_replica_is_repaired(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    land_bronze(us, A, bad=2)
    replicate(us, eu, [BRONZE], now=NOW)
    eu.delete(replica_path("us", quarantine_key(A)))

    assert [(p.path, p.kind) for p in audit(us, eu, [BRONZE], now=NOW).mismatched] == [
        (quarantine_key(A), "replica_missing")
    ]
    repaired = replicate(us, eu, [BRONZE], now=NOW)
    assert (repaired.ranges_repaired, repaired.files_copied) == (1, 1)
    assert eu.read(replica_path("us", quarantine_key(A))) == us.read(quarantine_key(A))
    assert audit(us, eu, [BRONZE], now=NOW).clean


def test_orphans_pending_files_and_deleted_source_ranges_are_told_apart(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    land_bronze(us, A)
    land_bronze(us, B, bad=1)
    replicate(us, eu, [BRONZE], now=NOW)
    stray = replica_path("us", range_path(BRONZE.rows_prefix, TOPIC, OffsetRange(7, 0, 5)))
    eu.write(stray, b"left by a range deleted from the source before it was manifested")
    eu.write(manifest_path("us", "bronze/events/topic=t/partition=0/junk.parquet"), b"{}")
    land_bronze(us, C)
    eu.write(replica_path("us", rows_key(C)), us.read(rows_key(C)))  # a copy interrupted before its manifest
    us.delete(rows_key(B))  # the source range went away after it was replicated

    found = audit(us, eu, [BRONZE], now=NOW)

    assert found.orphans == (manifest_path("us", "bronze/events/topic=t/partition=0/junk.parquet"), stray)
    assert found.pending == (replica_path("us", rows_key(C)),)
    assert [m.path for m in found.missing] == [rows_key(C)]
    # B's manifest now disagrees with the source for each of its files; its replica files are not orphans.
    assert {(p.path, p.kind) for p in found.mismatched} == {
        (quarantine_key(B), "source_missing"),
        (rows_key(B), "source_missing"),
    }
    # Replicating copies C (overwriting its unproven file) and removes nothing.
    report = replicate(us, eu, [BRONZE], now=NOW)
    assert report.ranges_copied == 1 and eu.exists(stray)
    assert audit(us, eu, [BRONZE], now=NOW).pending == ()


def test_lag_is_the_age_of_the_oldest_unreplicated_range(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    land_bronze(us, A)
    replicate(us, eu, [BRONZE], now=NOW)
    land_bronze(us, B)
    land_bronze(us, C)
    set_updated(us, rows_key(B), NOW - timedelta(seconds=300))
    set_updated(us, rows_key(C), NOW - timedelta(seconds=100))

    found = audit(us, eu, [BRONZE], now=NOW)

    assert found.lag_seconds == pytest.approx(300.0, abs=1e-3)
    assert [(m.path, m.range) for m in found.missing] == [(rows_key(B), B), (rows_key(C), C)]
    progress = found.progress[PartitionKey("bronze/events", TOPIC, 0)]
    assert (progress.source_frontier, progress.replicated_up_to, progress.behind) == (30, 10, 20)
    report = replicate(us, eu, [BRONZE], now=NOW)
    assert report.lag_seconds == 0.0 and report.replicated_up_to == {PartitionKey("bronze/events", TOPIC, 0): 30}
    assert audit(us, eu, [BRONZE], now=NOW).lag_seconds == 0.0


def test_a_source_rewritten_under_its_manifest_is_an_error_and_never_copied_silently(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    land_bronze(us, A)
    replicate(us, eu, [BRONZE], now=NOW)
    replica_before = eu.read(replica_path("us", rows_key(A)))
    land_bronze(us, A, bad=3)  # landed again with other contents (and now a quarantine file)
    eu.delete(replica_path("us", rows_key(A)))  # and the replica needs a repair

    found = audit(us, eu, [BRONZE], now=NOW)
    assert {(p.path, p.kind) for p in found.mismatched} == {
        (rows_key(A), "source_changed"),
        (quarantine_key(A), "source_changed"),
        (rows_key(A), "replica_missing"),
    }
    report = replicate(us, eu, [BRONZE], now=NOW)
    assert {(p.path, p.kind) for p in report.errors} == {
        (rows_key(A), "source_changed"),
        (quarantine_key(A), "source_changed"),
    }
    assert report.files_copied == 0 and not eu.exists(replica_path("us", rows_key(A)))
    assert replica_before != us.read(rows_key(A))


def test_a_target_without_md5_is_proven_by_reading_and_its_row_counts_checked(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    land_bronze(us, A, bad=2)
    target = NoMd5(eu)
    replicate(us, target, [BRONZE], now=NOW)
    assert sorted(target.reads) == sorted(replica_path("us", k) for k in (rows_key(A), quarantine_key(A)))  # read back
    target.reads.clear()

    clean = audit(us, target, [BRONZE], now=NOW)
    assert clean.clean and clean.files_read == 2
    assert len([p for p in target.reads if "/_manifests/" not in p]) == 2  # each file downloaded once

    damaged = replica_path("us", rows_key(A))
    eu.write(damaged, flip(eu.read(damaged)))  # same size: only reading can tell
    found = audit(us, target, [BRONZE], now=NOW)
    assert [(p.path, p.kind) for p in found.mismatched] == [(rows_key(A), "replica_md5")]
    assert replicate(us, eu, [BRONZE], now=NOW).ranges_repaired == 1


def test_row_counts_are_read_only_where_md5_cannot_prove_them_unless_deep(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    built = land_bronze(us, A)
    replicate(us, eu, [BRONZE], now=NOW)
    path = manifest_path("us", rows_key(A))
    doc = orjson.loads(eu.read(path))
    doc["files"][0]["rows"] += 1  # a manifest whose row count is wrong (a bug, an edit)
    eu.delete(path)
    eu.write(path, orjson.dumps(doc))

    assert audit(us, eu, [BRONZE], now=NOW).files_read == 0
    deep = audit(us, eu, [BRONZE], now=NOW, deep=True)
    assert deep.files_read == 1 and deep.mismatched == ()
    [wrong] = deep.row_count_mismatches
    assert (wrong.replica_path, wrong.manifest_rows, wrong.replica_rows) == (
        replica_path("us", rows_key(A)),
        built.valid + 1,
        built.valid,
    )
    assert not deep.clean
