"""The stream's window metrics equal an exact computation of the latest closed window per region and type.

The windows are the real window code's (``PartitionWindows``) over generated traffic, partition by
partition, kept the way the service keeps them and offered through the same ``WindowsView``; the
expected values come from ``oracle.py`` over the records each partition consumed. One partition is
stopped just inside a window the others have closed, so the test also proves such a window is not
exported half-merged. No broker: the service's wiring of the collector is checked by test_service.
"""

from __future__ import annotations

import zlib
from collections import deque
from datetime import UTC, datetime

import orjson
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from streaming.events.reference import load_fx_rates
from streaming.events.window_records import ClosedWindow, WindowKey
from streaming.generator import TrafficSpec, generate
from streaming.realtime.metrics import StreamMetrics, WindowsCollector, latest_closed
from streaming.realtime.service import Owned
from streaming.realtime.view import WindowsView
from streaming.realtime.windows import PartitionWindows, event_time_ms
from tests.streaming.realtime.oracle import _quantile_bracket, expected_windows

WINDOW_MS, LATENESS_MS, PARTITIONS = 60_000, 10_000, 4
SPEC = TrafficSpec(
    count=5_000,
    seed=11,
    start=datetime(2026, 11, 20, tzinfo=UTC),
    days=12 / 1440,  # 12 minutes of event time
    ordered=True,
    duplicates=0.03,
    late=0.02,
    malformed=0.02,
)
WINDOW_FAMILIES = ("events", "errors", "revenue_usd", "latency_p95_seconds", "end_timestamp_seconds")


def partitioned() -> dict[int, list[tuple[bytes, bool]]]:
    """The records as Kafka would place them: by key (one user's events on one partition)."""
    out: dict[int, list[tuple[bytes, bool]]] = {p: [] for p in range(PARTITIONS)}
    for record in generate(SPEC):
        out[zlib.crc32(record.key or b"") % PARTITIONS].append((record.value, record.expected_reason is None))
    return out


def consume(records: list[tuple[bytes, bool]], state: PartitionWindows, recent: deque[ClosedWindow]) -> None:
    for offset, (value, _) in enumerate(records, start=state.offset):
        state.process(offset, value)
        recent.extend(state.close_ready())


def lagging_cut(records: list[tuple[bytes, bool]], key: WindowKey) -> int:
    """How many of a partition's records to consume so that it holds ``key``'s window open, just entered."""
    for i, (value, valid) in enumerate(records):
        event = orjson.loads(value) if valid else None
        if (
            event
            and WindowKey(
                event_time_ms(event["occurred_at"]) // WINDOW_MS * WINDOW_MS, event["region"], event["event_type"]
            )
            == key
        ):
            return i + 1
    raise AssertionError(f"the partition never reaches {key}")


def build_view() -> tuple[WindowsView, dict[int, list[tuple[bytes, bool]]], WindowKey]:
    """Partitions 0-2 read everything; partition 3 stops inside the newest window partition 0 closed."""
    fx, records = load_fx_rates(), partitioned()
    states = {p: PartitionWindows(p, WINDOW_MS, LATENESS_MS, fx) for p in range(PARTITIONS)}
    recent: dict[int, deque[ClosedWindow]] = {p: deque(maxlen=1000) for p in range(PARTITIONS)}
    for p in range(PARTITIONS - 1):
        consume(records[p], states[p], recent[p])
    newest = max(c.key for c in recent[0] if c.key.region == "us" and c.key.event_type == "page_view")
    last = PARTITIONS - 1
    consumed = {**records, last: records[last][: lagging_cut(records[last], newest)]}
    consume(consumed[last], states[last], recent[last])
    assert newest in states[last].windows, "the lagging partition must hold the window open"
    view = WindowsView(
        window_ms=WINDOW_MS,
        lateness_ms=LATENESS_MS,
        partitions=list(range(PARTITIONS)),
        late_events=sum(s.late for s in states.values()),
        open=[(k, p, a) for p, s in states.items() for k, a in s.windows.items()],
        closed=[(c.key, c.partition, c.aggregate) for p in range(PARTITIONS) for c in recent[p]],
    )
    return view, consumed, newest


def scrape(collector: WindowsCollector) -> dict[str, dict[tuple[str, str], float]]:
    """Every window family as {(event_region, event_type): value}, read through a real registry's exposition."""
    registry = CollectorRegistry()
    registry.register(collector)
    out: dict[str, dict[tuple[str, str], float]] = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            assert "region" not in sample.labels  # the target label's name stays free (see the contract)
            key = (sample.labels.get("event_region", ""), sample.labels.get("event_type", ""))
            out.setdefault(sample.name, {})[key] = sample.value
    return out


def test_the_latest_closed_windows_are_exported_exactly_and_never_half_merged() -> None:
    view, consumed, held_open = build_view()
    exact, _ = expected_windows(consumed, WINDOW_MS, LATENESS_MS)
    still_open = {k for k, _, _ in view.open}
    closed_keys = {k for k, _, _ in view.closed} - still_open
    got = scrape(WindowsCollector(lambda: view, lambda: True, lambda: 1_796_000_000.5))

    assert got["meridian_stream_ready"] == {("", ""): 1.0}
    assert got["meridian_stream_last_checkpoint_timestamp_seconds"] == {("", ""): 1_796_000_000.5}
    events = got["meridian_stream_window_events"]
    assert len(events) == 15  # 3 regions x 5 event types, each with a closed window
    for (region, event_type), count in events.items():
        start = max(k.start_ms for k in closed_keys if (k.region, k.event_type) == (region, event_type))
        end = got["meridian_stream_window_end_timestamp_seconds"][(region, event_type)]
        assert end == (start + WINDOW_MS) / 1000
        truth = exact[(start, region, event_type)]
        assert count == truth.events
        assert got["meridian_stream_window_errors"][(region, event_type)] == truth.errors
        assert abs(got["meridian_stream_window_revenue_usd"][(region, event_type)] - truth.revenue_usd) <= 1e-6 * max(
            1.0, truth.revenue_usd
        )
        p95 = got.get("meridian_stream_window_latency_p95_seconds", {}).get((region, event_type))
        if truth.latencies:
            low, high = _quantile_bracket(truth.latencies, 0.95)
            assert p95 is not None and low * 0.99 / 1000 <= p95 <= high * 1.01 / 1000, (region, event_type, p95)
        else:
            assert p95 is None  # no latencies: no p95, rather than a p95 of 0
    assert sum(events.values()) > 200 and any(got["meridian_stream_window_errors"].values())
    # the window partition 0 closed but partition 3 still holds open is not exported; the one before it is
    held = got["meridian_stream_window_end_timestamp_seconds"][(held_open.region, held_open.event_type)]
    assert held * 1000 <= held_open.start_ms
    assert held_open not in {w.key for w in latest_closed(view)}


def test_a_scrape_during_a_checkpoint_carries_readiness_and_no_window_series() -> None:
    """The service answers None when its lock stays held (a checkpoint, a recovery while Kafka is away)."""
    got = scrape(WindowsCollector(lambda: None, lambda: False, lambda: 0.0))
    assert got["meridian_stream_ready"] == {("", ""): 0.0}
    assert got["meridian_stream_last_checkpoint_timestamp_seconds"] == {("", ""): 0.0}
    assert not any(name.startswith("meridian_stream_window_") for name in got)


def test_a_partition_given_away_leaves_the_lag_gauge() -> None:
    """Otherwise its last lag stays exported beside its new owner's and StreamConsumerLagHigh sums both.

    The consumer here only answers ``highwater`` (what a fetch last saw): the gauge's bookkeeping is
    under test, not kafka-python; a rebalance with real brokers is test_service's.
    """

    class Highwater:
        def highwater(self, tp: object) -> int:
            return 100

    metrics = StreamMetrics()
    owned = {p: Owned(PartitionWindows(p, WINDOW_MS, LATENESS_MS, load_fx_rates(), 40), deque()) for p in (0, 1, 2)}
    metrics.observe_lag(Highwater(), "events.raw.v1", owned)
    assert lag_by_partition(metrics) == {"0": 60, "1": 60, "2": 60}
    del owned[1]  # revoked in a rebalance
    metrics.observe_lag(Highwater(), "events.raw.v1", owned)
    assert lag_by_partition(metrics) == {"0": 60, "2": 60}


def lag_by_partition(metrics: StreamMetrics) -> dict[str, float]:
    families = text_string_to_metric_families(generate_latest(metrics.registry).decode())
    return {
        s.labels["partition"]: s.value for f in families if f.name == "meridian_stream_consumer_lag" for s in f.samples
    }
