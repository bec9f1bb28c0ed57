"""Copying landed ranges between two regions' local lakes, and proving each copy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from orchestration.lib import stream_metrics as sm
from orchestration.lib.bronze.landing import BRONZE
from orchestration.lib.bronze.ranges import OffsetRange, range_path
from orchestration.lib.replication import (
    FORMAT_VERSION,
    PartitionKey,
    audit,
    decode_manifest,
    manifest_path,
    replica_path,
    replicate,
)
from orchestration.lib.replication.verify import md5_hex
from tests.orchestration.lib.replication.replication_lakes import (
    METRICS_TOPIC,
    TOPIC,
    RacingManifests,
    Recording,
    lakes,
    land_bronze,
    land_metrics,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
RANGES = [OffsetRange(0, 0, 10), OffsetRange(0, 10, 25), OffsetRange(1, 0, 8)]


def rows_key(r: OffsetRange) -> str:
    return range_path(BRONZE.rows_prefix, TOPIC, r)


def quarantine_key(r: OffsetRange) -> str:
    return range_path(BRONZE.quarantine_prefix, TOPIC, r)


def test_every_landed_range_is_copied_verified_and_manifested(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    built = [land_bronze(us, RANGES[0], bad=3), land_bronze(us, RANGES[1]), land_bronze(us, RANGES[2], bad=1)]
    us.write(range_path(BRONZE.quarantine_prefix, TOPIC, OffsetRange(1, 8, 9)), b"a landing that died before its rows")

    report = replicate(us, eu, [BRONZE], now=NOW, workers=4)

    sources = [quarantine_key(RANGES[0]), rows_key(RANGES[0]), rows_key(RANGES[1])]
    sources += [quarantine_key(RANGES[2]), rows_key(RANGES[2])]
    assert report.errors == ()
    assert (report.ranges_copied, report.files_copied, report.ranges_skipped) == (3, 5, 0)
    assert report.bytes_copied == sum(len(us.read(key)) for key in sources)
    for key in sources:
        assert eu.read(replica_path("us", key)) == us.read(key)
    assert not eu.exists(replica_path("us", range_path(BRONZE.quarantine_prefix, TOPIC, OffsetRange(1, 8, 9))))
    assert report.replicated_up_to == {
        PartitionKey("bronze/events", TOPIC, 0): 25,
        PartitionKey("bronze/events", TOPIC, 1): 8,
    }

    manifest = decode_manifest(eu.read(manifest_path("us", rows_key(RANGES[0]))), "m")
    assert (manifest.format_version, manifest.source_region, manifest.target_region) == (FORMAT_VERSION, "us", "eu")
    assert (manifest.rows_prefix, manifest.topic, manifest.range) == ("bronze/events", TOPIC, RANGES[0])
    assert [(f.source_path, f.replica_path, f.size, f.md5, f.rows) for f in manifest.files] == [
        (key, replica_path("us", key), len(us.read(key)), md5_hex(us.read(key)), rows)
        for key, rows in [(quarantine_key(RANGES[0]), built[0].quarantined), (rows_key(RANGES[0]), built[0].valid)]
    ]
    source_rows = us.stat(rows_key(RANGES[0]))
    assert source_rows is not None
    assert (manifest.source_landed_at, manifest.replicated_at) == (source_rows.updated, NOW)
    doc = orjson.loads(eu.read(manifest_path("us", rows_key(RANGES[0]))))
    assert doc["replicated_at"] == "2026-12-01T12:00:00Z" and doc["partition"] == 0 and doc["end"] == 10

    checked = audit(us, eu, [BRONZE], now=NOW)
    assert checked.clean and checked.ranges_replicated == 3 and checked.lag_seconds == 0.0
    assert checked.files_read == 0  # the target reports MD5s: equal MD5 proves bytes and rows


def test_a_second_run_copies_nothing_and_writes_nothing(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    for r in RANGES:
        land_bronze(us, r, bad=1)
    replicate(us, eu, [BRONZE], now=NOW)
    recording = Recording(eu)

    again = replicate(us, recording, [BRONZE], now=NOW)

    assert (again.ranges_copied, again.files_copied, again.bytes_copied, again.ranges_skipped) == (0, 0, 0, 3)
    assert recording.calls == []
    # Its replicas list as the source does, so not even their manifests are read (the audit reads those).
    assert recording.reads == []


def test_manifests_are_created_create_only_and_last_for_their_range(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    land_bronze(us, RANGES[0], bad=2)
    land_bronze(us, RANGES[2])
    recording = Recording(eu)

    replicate(us, recording, [BRONZE], now=NOW, workers=1)

    assert recording.calls == [
        ("write", replica_path("us", quarantine_key(RANGES[0]))),
        ("write", replica_path("us", rows_key(RANGES[0]))),
        ("write_if_absent", manifest_path("us", rows_key(RANGES[0]))),
        ("write", replica_path("us", rows_key(RANGES[2]))),
        ("write_if_absent", manifest_path("us", rows_key(RANGES[2]))),
    ]


def test_a_racing_run_that_created_the_same_manifest_first_is_fine(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    land_bronze(us, RANGES[0], bad=1)
    other_run = datetime(2026, 12, 1, 11, 59, tzinfo=UTC)

    def same_files_earlier(ours: bytes) -> bytes:
        return orjson.dumps({**orjson.loads(ours), "replicated_at": other_run.isoformat()})

    report = replicate(us, RacingManifests(eu, same_files_earlier), [BRONZE], now=NOW)

    assert report.errors == () and (report.ranges_copied, report.manifests_raced) == (1, 1)
    assert decode_manifest(eu.read(manifest_path("us", rows_key(RANGES[0]))), "m").replicated_at == other_run
    assert audit(us, eu, [BRONZE], now=NOW).clean


def test_a_racing_manifest_that_proves_other_bytes_is_reported(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    land_bronze(us, RANGES[0])

    def other_bytes(ours: bytes) -> bytes:
        doc = orjson.loads(ours)
        doc["files"][0]["md5"] = "0" * 32
        return orjson.dumps(doc)

    report = replicate(us, RacingManifests(eu, other_bytes), [BRONZE], now=NOW)

    assert [(e.path, e.kind) for e in report.errors] == [
        (manifest_path("us", rows_key(RANGES[0])), "manifest_conflict")
    ]
    # The replica holds this run's bytes under the other run's proof: the audit sees both disagreements.
    mismatched = audit(us, eu, [BRONZE], now=NOW).mismatched
    assert {(p.path, p.kind) for p in mismatched} == {
        (rows_key(RANGES[0]), "source_changed"),
        (rows_key(RANGES[0]), "replica_md5"),
    }


def test_quarantine_and_stream_metrics_ledgers_replicate_too(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    bronze = land_bronze(us, RANGES[0], bad=2)
    metrics = land_metrics(us, OffsetRange(3, 100, 106), bad=2)
    metrics_rows = range_path(sm.STREAM_METRICS.rows_prefix, METRICS_TOPIC, OffsetRange(3, 100, 106))
    metrics_quarantine = range_path(sm.STREAM_METRICS.quarantine_prefix, METRICS_TOPIC, OffsetRange(3, 100, 106))

    report = replicate(us, eu, [BRONZE, sm.STREAM_METRICS], now=NOW)

    assert report.errors == () and (report.ranges_copied, report.files_copied) == (2, 4)
    for key in (metrics_rows, metrics_quarantine, rows_key(RANGES[0]), quarantine_key(RANGES[0])):
        assert eu.read(replica_path("us", key)) == us.read(key)
    manifest = decode_manifest(eu.read(manifest_path("us", metrics_rows)), "m")
    assert manifest.rows_prefix == "streaming/region_minute"
    assert [(f.source_path, f.rows) for f in manifest.files] == [
        (metrics_quarantine, metrics.quarantined),
        (metrics_rows, metrics.valid),
    ]
    bronze_manifest = decode_manifest(eu.read(manifest_path("us", rows_key(RANGES[0]))), "m")
    assert [f.rows for f in bronze_manifest.files] == [bronze.quarantined, bronze.valid]
    assert report.replicated_up_to[PartitionKey("streaming/region_minute", METRICS_TOPIC, 3)] == 106
    assert audit(us, eu, [BRONZE, sm.STREAM_METRICS], now=NOW).clean
    # An audit of one ledger leaves the other's replicas alone: they are not its orphans.
    assert audit(us, eu, [BRONZE], now=NOW).clean
    assert audit(us, eu, [sm.STREAM_METRICS], now=NOW).clean
