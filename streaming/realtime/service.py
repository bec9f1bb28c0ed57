"""The streaming service's consume -> window -> emit -> checkpoint loop (``meridian stream``).

One kafka-python consumer in group ``stream_group_id``. On assignment a partition's state is
restored from its latest snapshot and the consumer seeks to the snapshot's offset; on revocation
(a rebalance, a clean stop) the partition is checkpointed first, so the next owner continues
exactly there. After a kill -9 the next owner restores the last snapshot and re-reads from its
offset: windows already emitted since then are emitted again with the same content and overwrite
themselves (``streaming.realtime.windows``), so nothing is lost or counted twice.

A checkpoint is: wait for the emitted windows to be acknowledged, then write the snapshots, then
(for lag dashboards only) commit the offsets. If Kafka refuses anything, nothing later in that
order happens and every partition goes back to its last good snapshot, then the loop carries on:
a broker restart needs no manual step.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from streaming.events.reference import load_fx_rates
from streaming.events.window_records import ClosedWindow, window_record
from streaming.kafka import clients
from streaming.kafka.admin import ensure_topic
from streaming.kafka.settings import KafkaSettings
from streaming.realtime.metrics import StreamMetrics, WindowsCollector
from streaming.realtime.settings import StreamSettings
from streaming.realtime.state_store import SnapshotStore
from streaming.realtime.view import WindowsView
from streaming.realtime.windows import Batch, PartitionWindows

log = logging.getLogger(__name__)
VIEW_WAIT_SECONDS = 1.0  # how long a Prometheus scrape waits for the loop to let go of the state


@dataclass
class Owned:
    state: PartitionWindows
    recent: deque[ClosedWindow]


class StreamService:
    """Owns the partitions the group gives it; the HTTP API reads through ``lock``."""

    def __init__(self, settings: StreamSettings, kafka: KafkaSettings) -> None:
        self.settings = settings
        self.kafka = kafka
        self.topic = kafka.events_topic
        self.window_ms = settings.window_seconds * 1000
        self.lateness_ms = settings.allowed_lateness_seconds * 1000
        self.fx_rates = load_fx_rates()
        self.lock = threading.RLock()
        self.owned: dict[int, Owned] = {}
        self.metrics = StreamMetrics()
        self.stopping = threading.Event()
        self.last_loop = 0.0
        self.consumed = 0
        self.last_good_checkpoint = 0.0  # monotonic; 0 until the first one
        self.last_checkpoint_unix = 0.0  # the same moment on the wall clock, for Prometheus
        self._failed = threading.Event()
        self._emitted: list[Any] = []
        self._pending: list[tuple[int, PartitionWindows, Batch]] = []  # decoding, in poll order
        self._rebalances: list[tuple[str, list[int]]] = []  # appended by the listener, in order
        ensure_topic(kafka, settings.metrics_topic, kafka.events_topic_partitions)
        self.store = SnapshotStore(kafka, settings.state_topic, kafka.events_topic_partitions)
        self.producer = clients.producer(kafka, linger_ms=5, delivery_timeout_ms=60_000, batch_size=16 * 1024)
        self.consumer = clients.group_consumer(kafka, settings.group_id, max_poll_records=settings.max_poll_records)
        self.consumer.subscribe([self.topic], listener=_Rebalance(self))
        self.metrics.registry.register(
            WindowsCollector(
                lambda: self.try_view(VIEW_WAIT_SECONDS), lambda: self.ready()[0], lambda: self.last_checkpoint_unix
            )
        )

    # -- partition ownership ---------------------------------------------------------------

    def _restore(self, partition: int) -> None:
        snapshot = self.store.load(partition)
        if snapshot is None:
            tp = TopicPartition(self.topic, partition)
            start = self.consumer.beginning_offsets([tp])[tp]
            state = PartitionWindows(partition, self.window_ms, self.lateness_ms, self.fx_rates, start)
        else:
            state = PartitionWindows.restore(snapshot, self.fx_rates)
            if state.window_ms != self.window_ms or state.lateness_ms != self.lateness_ms:
                raise ValueError(
                    f"partition {partition}'s snapshot uses {state.window_ms} ms windows and {state.lateness_ms} ms "
                    f"lateness, this service {self.window_ms} and {self.lateness_ms}: use another group id and "
                    "state topic for another window size"
                )
        self.consumer.seek(TopicPartition(self.topic, partition), state.offset)
        self.owned[partition] = Owned(state, deque(maxlen=self.settings.closed_windows_kept))
        log.info("partition %s restored at offset %s (%s open windows)", partition, state.offset, len(state.windows))

    def _apply_rebalance(self) -> set[int]:
        """Act on what the rebalance listener recorded; returns the partitions restored just now.

        kafka-python runs listeners on its network thread, where blocking client calls are refused,
        so the listener only records the change and the loop acts on it after ``poll`` returns.
        Revoked partitions are dropped without a checkpoint: their next owner restores the last
        snapshot and replays, which emits the same windows again (any snapshot is a consistent
        (offset, state) pair of one deterministic computation, so even a late one is safe).
        """
        restored: set[int] = set()
        with self.lock:
            changes, self._rebalances = self._rebalances, []
            for kind, partitions in changes:
                for partition in partitions:
                    if kind == "revoked":
                        self.owned.pop(partition, None)
                        restored.discard(partition)
                    else:
                        self._restore(partition)
                        restored.add(partition)
            self.metrics.partitions.set(len(self.owned))
        return restored

    # -- the loop ------------------------------------------------------------------------------

    def _send(self, key: bytes, value: bytes) -> None:
        """Send to the metrics topic; a failed delivery marks the next checkpoint as impossible."""
        future = self.producer.send(self.settings.metrics_topic, key=key, value=value)
        future.add_errback(lambda _exc: self._failed.set())
        self._emitted.append(future)

    def _emit(self, closed: list[ClosedWindow]) -> None:
        now = time.time()
        for window in closed:
            key, value = window_record(window, self.window_ms)
            self._send(key, value)
            self.metrics.windows_emitted.inc()
            self.metrics.window_delay.observe(max(0.0, now - (window.key.start_ms + self.window_ms) / 1000))

    def decode(self, polled: dict[TopicPartition, list[Any]], skip: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        """Start decoding a poll's records, each partition's on a thread of its own.

        The run loop applies them after its next ``poll``, so decoding overlaps kafka-python's
        fetching (which holds the GIL) instead of following it. ``skip``: partitions just restored
        and sought (their records are fetched again).
        """
        with self.lock:
            for tp, records in polled.items():
                owned = self.owned.get(tp.partition)
                if owned is not None and tp.partition not in skip:
                    self._pending.append((tp.partition, owned.state, owned.state.decode(records)))

    def apply_pending(self) -> int:
        """Fold the decoded batches in, emit the windows they close; returns the records applied."""
        count = 0
        with self.lock:
            pending, self._pending = self._pending, []
            for partition, state, batch in pending:
                owned = self.owned.get(partition)
                if owned is None or owned.state is not state:
                    continue  # revoked or restored since: those records are read again from the snapshot
                late, duplicates, invalid = state.late, state.duplicates, state.invalid
                applied = state.apply_batch(batch)
                count += applied
                self.consumed += applied
                self.metrics.observe_partition(
                    partition, applied, state.late - late, state.duplicates - duplicates, state.invalid - invalid
                )
                closed = state.close_ready()
                owned.recent.extend(closed)
                self._emit(closed)
        return count

    def _checkpoint(self, partitions: list[int]) -> None:
        timeout = 30.0
        for partition in partitions:
            for key, value in self.owned[partition].state.late_records():
                self._send(key, value)
        self.producer.flush(timeout=timeout)
        emitted, self._emitted = self._emitted, []
        for future in emitted:
            future.get(timeout=0)
        if self._failed.is_set():
            raise KafkaError("an emitted window was not acknowledged")
        for partition in partitions:
            self.store.save(partition, self.owned[partition].state.snapshot())
        self.store.flush(timeout)
        offsets = {
            TopicPartition(self.topic, p): OffsetAndMetadata(self.owned[p].state.offset, "", -1) for p in partitions
        }
        if offsets:
            try:
                self.consumer.commit(offsets)
            except KafkaError as exc:  # only lag dashboards read these
                log.info("offset commit for lag metrics failed: %s", exc)
        self.metrics.checkpoints.inc()
        self.last_good_checkpoint = time.monotonic()
        self.last_checkpoint_unix = time.time()

    def _recover(self, reason: BaseException) -> None:
        """Kafka refused a write: every partition goes back to its last good snapshot."""
        log.warning("checkpoint failed (%s); restoring every partition from its last snapshot", reason)
        self.metrics.recoveries.inc()
        self._failed.clear()
        self._emitted = []
        self._pending = []  # read again from the snapshots' offsets
        with self.lock:
            partitions = list(self.owned)
            deadline = time.monotonic() + 600
            while partitions and not self.stopping.is_set() and time.monotonic() < deadline:
                try:
                    for partition in partitions:
                        self._restore(partition)
                    return
                except (KafkaError, TimeoutError) as exc:
                    log.warning("restore failed (%s); retrying", exc)
                    self.stopping.wait(1.0)
            if partitions and not self.stopping.is_set():
                raise RuntimeError("could not restore partition state from Kafka for 10 minutes")

    def view(self, region: str | None = None) -> WindowsView:
        """A consistent copy of the owned windows (of one region, or all), for the HTTP API."""
        with self.lock:
            owned = list(self.owned.values())
            return WindowsView(
                window_ms=self.window_ms,
                lateness_ms=self.lateness_ms,
                partitions=sorted(self.owned),
                late_events=sum(o.state.late for o in owned),
                open=[
                    (k, o.state.partition, a)
                    for o in owned
                    for k, a in o.state.windows.items()
                    if region is None or k.region == region
                ],
                closed=[
                    (c.key, c.partition, c.aggregate) for o in owned for c in o.recent if region in (None, c.key.region)
                ],
            )

    def try_view(self, timeout_s: float) -> WindowsView | None:
        """``view()`` if the lock frees within ``timeout_s``, else None: a scrape must not wait out a recovery."""
        if not self.lock.acquire(timeout=timeout_s):
            return None
        try:
            return self.view()
        finally:
            self.lock.release()

    def partitions(self) -> list[int]:
        with self.lock:
            return sorted(self.owned)

    def ready(self) -> tuple[bool, str]:
        """Ready while checkpoints succeed: each one writes to Kafka, so this is 'Kafka takes our writes'."""
        if not self.last_good_checkpoint:
            return False, "no checkpoint yet: joining the group or restoring state"
        age = time.monotonic() - self.last_good_checkpoint
        limit = max(3 * self.settings.checkpoint_interval_seconds, 30.0)
        if age > limit:
            return False, f"no successful checkpoint for {age:.0f}s: Kafka is unreachable or refusing writes"
        return True, "ok"

    def run(self, stop_when: Callable[[], bool] | None = None) -> None:
        """Consume until ``stopping`` is set (a signal) or ``stop_when()`` says so (benchmarks)."""
        interval = self.settings.checkpoint_interval_seconds
        next_checkpoint = time.monotonic() + interval
        try:
            while not self.stopping.is_set() and not (stop_when and stop_when()):
                self.last_loop = time.monotonic()
                try:
                    polled = self.consumer.poll(timeout_ms=0 if self._pending else 100)
                except KafkaError as exc:
                    log.warning("poll failed: %s", exc)
                    self.stopping.wait(0.5)
                    continue
                self.apply_pending()  # the previous poll's, decoded while this one was fetched
                self.decode(polled, self._apply_rebalance())
                self.metrics.observe_lag(self.consumer, self.topic, self.owned)
                if time.monotonic() >= next_checkpoint or self._failed.is_set():
                    with self.lock:
                        try:
                            self._checkpoint(list(self.owned))
                        except (KafkaError, TimeoutError) as exc:
                            self._recover(exc)
                    next_checkpoint = time.monotonic() + interval
        finally:
            self.close()

    def close(self) -> None:
        """Leave the group cleanly: revocation checkpoints every owned partition."""
        try:
            with self.lock:
                self.apply_pending()
                self._checkpoint(list(self.owned))
        except (KafkaError, TimeoutError) as exc:  # the next owner restores the last good snapshot
            log.warning("could not checkpoint on shutdown: %s", exc)
        finally:
            self.consumer.close()
            self.producer.close(timeout=5)
            self.store.close()


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, service: StreamService) -> None:
        self.service = service

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self.service._rebalances.append(("revoked", [tp.partition for tp in revoked]))

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.service._rebalances.append(("assigned", [tp.partition for tp in assigned]))
