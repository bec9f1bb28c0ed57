"""Landing rows for the metrics topic, the latest record per key, and hour-by-hour reconciliation."""

from __future__ import annotations

import orjson
import pyarrow as pa

from orchestration.lib import stream_metrics as sm
from orchestration.lib.bronze.reader import RawRecord
from streaming.events.window_records import HOUR_MS, Aggregate, ClosedWindow, WindowKey, window_record

HOUR = 1_795_132_800_000 - 1_795_132_800_000 % HOUR_MS


def window(start: int, region: str, partition: int, events: int, latencies: list[float]) -> bytes:
    aggregate = Aggregate(events=events)
    for value in latencies:
        aggregate.latency.add(value)
    return window_record(ClosedWindow(WindowKey(start, region, "page_view"), partition, aggregate), 60_000)[1]


def late(hour: int, region: str, partition: int, n: int) -> bytes:
    return orjson.dumps(
        {"kind": "late", "hour_start_ms": hour, "region": region, "partition": partition, "late_events": n}
    )


def rows(values: list[bytes]) -> list[dict[str, object]]:
    batch = sm.build(RawRecord(0, offset, 0, value) for offset, value in enumerate(values))
    assert batch.quarantine == []
    return sm.latest([pa.Table.from_pylist(batch.rows, schema=sm.SCHEMA)])


def test_records_that_are_not_metrics_are_quarantined_with_a_reason() -> None:
    batch = sm.build(
        [RawRecord(0, 0, 0, b"{oops"), RawRecord(0, 1, 0, b"[1]"), RawRecord(0, 2, 0, b'{"kind": "window"}')]
    )
    assert batch.rows == [] and dict(batch.reasons) == {
        "invalid_json": 1,
        "not_an_object": 1,
        "missing:window_start_ms": 1,
    }


def test_the_latest_record_of_a_key_wins() -> None:
    latest = rows([window(HOUR, "eu", 0, 5, [10.0]), window(HOUR, "eu", 0, 7, [10.0])])
    assert [r["events"] for r in latest] == [7]


def test_hours_agree_skip_late_ones_and_open_ones() -> None:
    values = [
        window(HOUR, "eu", 0, 3, [100.0, 200.0, 300.0]),
        window(HOUR + 60_000, "eu", 1, 2, [400.0, 500.0]),
        window(HOUR, "us", 2, 4, [10.0] * 4),
        late(HOUR, "us", 2, 1),
        window(HOUR + HOUR_MS, "eu", 0, 1, [1.0]),  # the next hour: still open at the frontier
        window(HOUR + 2 * HOUR_MS + 60_000, "eu", 0, 1, [1.0]),  # moves the frontier past the second hour
    ]
    gold = {("eu", HOUR): (5, 480.0), ("us", HOUR): (5, 10.0)}
    result = sm.reconcile(rows(values), gold, lateness_ms=10_000)
    assert [(c.region, c.hour_start_ms, c.stream_events, c.agrees) for c in result.compared] == [
        ("eu", HOUR, 5, True),
        ("eu", HOUR + HOUR_MS, 1, False),  # gold has no such hour: reported, not hidden
    ]
    assert result.skipped_late == [("us", HOUR)] and result.skipped_open == [("eu", HOUR + 2 * HOUR_MS)]


def test_a_count_or_a_p95_off_by_more_than_two_percent_disagrees() -> None:
    ok = sm.HourCheck("eu", HOUR, 10, 10, 101.9, 100.0)
    assert ok.agrees
    assert not sm.HourCheck("eu", HOUR, 11, 10, 100.0, 100.0).agrees
    assert not sm.HourCheck("eu", HOUR, 10, 10, 102.5, 100.0).agrees
