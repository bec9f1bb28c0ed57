"""The pure parts: replica layout, the manifest format, and replicated-up-to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestration.lib.bronze.ranges import OffsetRange
from orchestration.lib.replication import Manifest, ManifestError, ManifestFile, decode_manifest, encode_manifest
from orchestration.lib.replication.layout import manifest_path, replica_path, rows_key_of, source_key_of
from orchestration.lib.replication.progress import PartitionKey, lag_seconds, partition_progress

KEY = "bronze/events/topic=t/partition=0/offsets=00000000000000000000-00000000000000000010.parquet"


def test_replicas_keep_the_source_key_and_manifests_sit_apart() -> None:
    assert replica_path("us", KEY) == f"replicas/us/{KEY}"
    assert manifest_path("us", KEY) == f"replicas/us/_manifests/{KEY}.json"
    assert source_key_of("us", replica_path("us", KEY)) == KEY
    assert source_key_of("us", manifest_path("us", KEY)) is None
    assert rows_key_of("us", manifest_path("us", KEY)) == KEY and rows_key_of("us", replica_path("us", KEY)) is None
    for bad in ("", "a/b", "_manifests", ".."):
        with pytest.raises(ValueError, match="one path segment"):
            replica_path(bad, KEY)


def test_a_manifest_round_trips_and_anything_else_is_refused() -> None:
    manifest = Manifest(
        "us", "eu", "bronze/events", "t", OffsetRange(0, 0, 10),
        (ManifestFile(KEY, replica_path("us", KEY), 10, "a" * 32, 7),),
        datetime(2026, 12, 1, 11, 59, 59, 123456, tzinfo=UTC), datetime(2026, 12, 1, 12, tzinfo=UTC),
    )  # fmt: skip
    data = encode_manifest(manifest)
    assert decode_manifest(data, "m") == manifest
    assert b'"source_landed_at": "2026-12-01T11:59:59.123456Z"' in data
    for broken in (b"", b"[]", data.replace(b'"format_version": 1', b'"format_version": 2'),
                   data.replace(b'"rows": 7', b'"rows": "7"'), data.replace(b"Z\"", b'"')):  # fmt: skip
        with pytest.raises(ManifestError, match="is not a replication manifest"):
            decode_manifest(broken, "replicas/us/_manifests/x.json")


def test_replicated_up_to_stops_at_the_first_range_without_a_manifest() -> None:
    p0, p1, p2 = (PartitionKey("bronze/events", "t", p) for p in range(3))
    progress = partition_progress(
        [
            (p0, OffsetRange(0, 10, 20), True),
            (p0, OffsetRange(0, 0, 10), True),
            (p0, OffsetRange(0, 20, 30), False),
            (p0, OffsetRange(0, 30, 40), True),  # replicated, but unusable until [20,30) is
            (p1, OffsetRange(1, 500, 600), False),
            (p2, OffsetRange(2, 0, 5), True),
            (p2, OffsetRange(2, 8, 9), True),  # a gap in the source itself is the landing's to report
        ]
    )
    assert {k.partition: (p.source_frontier, p.replicated_up_to, p.behind) for k, p in progress.items()} == {
        0: (40, 20, 20),
        1: (600, 500, 100),
        2: (9, 9, 0),
    }
    assert progress[p0].ranges == 4 and progress[p0].replicated_ranges == 3


def test_lag_is_zero_with_nothing_waiting_and_never_negative() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert lag_seconds([], now) == 0.0
    assert (
        lag_seconds([datetime(2026, 12, 1, 11, 58, tzinfo=UTC), datetime(2026, 12, 1, 11, 59, tzinfo=UTC)], now) == 120
    )
    assert lag_seconds([datetime(2026, 12, 1, 12, 1, tzinfo=UTC)], now) == 0.0
