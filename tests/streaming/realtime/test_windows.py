"""Windows computed partition by partition, merged, equal an exact independent computation."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import pytest

from streaming.events.reference import load_fx_rates
from streaming.events.window_records import ClosedWindow, merge
from streaming.generator import TrafficSpec, generate
from streaming.realtime.windows import PartitionWindows, event_time_ms
from tests.streaming.realtime.oracle import assert_windows_match, closed_before, expected_windows

WINDOW_MS, LATENESS_MS = 60_000, 10_000
SPEC = TrafficSpec(
    count=6_000,
    seed=5,
    start=datetime(2026, 11, 20, tzinfo=UTC),
    days=15 / 1440,  # 15 minutes of event time
    ordered=True,
    duplicates=0.03,
    late=0.02,
    malformed=0.02,
)


def partitioned(partitions: int = 4) -> dict[int, list[tuple[bytes, bool]]]:
    """The records as Kafka would place them: by key (one user's events on one partition)."""
    out: dict[int, list[tuple[bytes, bool]]] = {p: [] for p in range(partitions)}
    for record in generate(SPEC):
        out[zlib.crc32(record.key or b"") % partitions].append((record.value, record.expected_reason is None))
    return out


def run(records: dict[int, list[tuple[bytes, bool]]], snapshot_every: int | None = None) -> list[ClosedWindow]:
    fx, closed = load_fx_rates(), []
    for partition, values in records.items():
        state = PartitionWindows(partition, WINDOW_MS, LATENESS_MS, fx)
        for offset, (value, _) in enumerate(values):
            state.process(offset, value)
            if snapshot_every and offset % snapshot_every == 0:  # a restart: the state continues from bytes
                state = PartitionWindows.restore(state.snapshot(), fx)
            closed.extend(state.close_ready())
    return closed


def test_closed_windows_equal_the_exact_computation() -> None:
    records = partitioned()
    closed = run(records)
    merged = merge([(c.key, c.partition, c.aggregate) for c in closed], WINDOW_MS)
    expected, late = expected_windows(records, WINDOW_MS, LATENESS_MS)
    compared = assert_windows_match(merged, expected, closed_before(records, LATENESS_MS))
    assert compared >= 100 and late > 0  # the stream really had late events


def test_each_window_is_emitted_once_per_partition() -> None:
    closed = run(partitioned())
    keys = [(c.key, c.partition) for c in closed]
    assert len(keys) == len(set(keys))


def test_a_restored_snapshot_emits_exactly_what_an_undisturbed_run_emits() -> None:
    records = partitioned()

    def emitted(windows: list[ClosedWindow]) -> list[tuple[object, ...]]:
        return [(c.key, c.partition, c.aggregate.to_dict(False)) for c in windows]

    assert emitted(run(records, snapshot_every=97)) == emitted(run(records))


def test_replayed_offsets_are_ignored() -> None:
    fx = load_fx_rates()
    state = PartitionWindows(0, WINDOW_MS, LATENESS_MS, fx)
    value = next(r.value for r in generate(SPEC) if r.kind == "event")
    state.process(0, value)
    state.process(0, value)  # the same offset again (a re-delivered batch)
    assert sum(w.events for w in state.windows.values()) == 1 and state.duplicates == 0


def test_invalid_records_are_counted_by_reason_not_processed() -> None:
    state = PartitionWindows(0, WINDOW_MS, LATENESS_MS, load_fx_rates())
    state.process(0, b"{not json")
    state.process(1, None)
    state.process(2, b'{"event_id": "x"}')
    assert state.windows == {} and sum(state.invalid.values()) == 3 and state.invalid["invalid_json"] == 1


@pytest.mark.parametrize("text", ["2026-11-20T00:00:01.250Z", "2026-11-20T01:00:01.250+01:00"])
def test_event_time_is_utc_milliseconds(text: str) -> None:
    assert event_time_ms(text) == int(datetime(2026, 11, 20, 0, 0, 1, 250_000, tzinfo=UTC).timestamp() * 1000)
