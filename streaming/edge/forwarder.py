"""Drain the disk buffer into Kafka, in order, with exponential backoff and full jitter.

One batch at a time: send every record of the batch (acks=all, idempotent producer), wait for
all acknowledgements, then commit the buffer's cursor. A batch that fails anywhere is sent again
whole after a backoff, so a record is in Kafka at least once; a re-sent record repeats its
event_id, which is how silver and the streaming service deduplicate. The retry loop is
tenacity's (a well-kept library) with ``wait_random_exponential`` (AWS's "full jitter").
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_random_exponential

from streaming.edge.buffer import Batch, DiskBuffer
from streaming.edge.metrics import EdgeMetrics
from streaming.edge.settings import EdgeSettings
from streaming.kafka import clients
from streaming.kafka.produce import CachingPartitioner
from streaming.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)


class ForwardError(Exception):
    """Kafka did not acknowledge every record of a batch in time."""


class Forwarder:
    def __init__(self, buffer: DiskBuffer, settings: EdgeSettings, kafka: KafkaSettings, metrics: EdgeMetrics) -> None:
        self.buffer = buffer
        self.settings = settings
        self.kafka = kafka
        self.metrics = metrics
        self.topic = kafka.events_topic
        self.timeout_s = settings.kafka_timeout_seconds
        self._producer: KafkaProducer | None = None
        self._partitioner = CachingPartitioner()  # survives producer re-creation after failures
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="edge-forwarder", daemon=True)
        self.failing_since: float | None = None
        self.last_error: str | None = None
        self.lag_seconds = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        self._thread.join(timeout_s)
        if self._producer is not None:
            self._producer.close(timeout=timeout_s)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            batch = self.buffer.read(self.settings.forward_batch_records, timeout_s=0.2)
            if batch is None:
                self.lag_seconds = 0.0
                self._observe()
                continue
            if not self._deliver(batch):
                return  # stopping: the batch stays in the buffer for the next start
            self.buffer.commit(batch.end)
            self.metrics.forwarded.inc(len(batch.records))
            self._observe()

    def _observe(self) -> None:
        records, size = self.buffer.pending()
        self.metrics.buffered_records.set(records)
        self.metrics.buffered_bytes.set(size)
        self.metrics.forward_lag.set(self.lag_seconds)

    def _deliver(self, batch: Batch) -> bool:
        retrying = Retrying(
            retry=retry_if_exception_type((ForwardError, KafkaError)),
            wait=wait_random_exponential(multiplier=0.2, max=self.settings.backoff_max_seconds),
            stop=lambda _: self._stopping.is_set(),
            sleep=self._pause,
            before_sleep=self._failed,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self.lag_seconds = max(0.0, time.time() - batch.oldest_ms / 1000)
                    self.metrics.forward_lag.set(self.lag_seconds)
                    try:
                        self._send(batch)
                    except (ForwardError, KafkaError):
                        raise
                    except Exception as exc:  # a client bug must not end forwarding: retry it like an outage
                        log.exception("forwarding failed unexpectedly")
                        raise ForwardError(f"{type(exc).__name__}: {exc}") from exc
        except (ForwardError, KafkaError):
            if not self._stopping.is_set():
                log.error("the forwarder stopped retrying without being asked to; this is a bug")
            return False
        if self.failing_since is not None:
            log.info("Kafka is back after %.1fs; forwarding the buffer", time.monotonic() - self.failing_since)
        self.failing_since = None
        self.last_error = None
        return True

    def _pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)  # a stop cuts the backoff short

    def _failed(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        self.last_error = f"{type(exc).__name__}: {exc}"
        self.metrics.kafka_errors.labels(type(exc).__name__).inc()
        if self.failing_since is None:
            self.failing_since = time.monotonic()
            log.warning("forwarding to Kafka failed (%s); buffering on disk and retrying", self.last_error)
        producer, self._producer = self._producer, None
        if producer is not None:  # drop what it still holds: the whole batch is sent again
            try:
                producer.close(timeout=1)
            except Exception as exc:  # noqa: BLE001 - a broken producer is replaced either way
                log.warning("closing the failed producer: %r", exc)
        self._observe()

    def _send(self, batch: Batch) -> None:
        if self._producer is None:
            self._producer = clients.producer(
                self.kafka,
                linger_ms=5,
                max_block_ms=int(self.timeout_s * 1000),
                bootstrap_timeout_ms=int(self.timeout_s * 1000),  # default 30 s: a dead Kafka looked healthy
                request_timeout_ms=int(self.timeout_s * 1000),
                delivery_timeout_ms=int(self.timeout_s * 2000),
                reconnect_backoff_max_ms=1000,
                partitioner=self._partitioner,
            )
        futures: list[Any] = [self._producer.send(self.topic, key=key, value=value) for key, value in batch.records]
        try:
            self._producer.flush(timeout=self.timeout_s)
        except KafkaError as exc:
            raise ForwardError(f"Kafka did not acknowledge {len(futures)} records in {self.timeout_s}s") from exc
        failed = next((f.exception for f in futures if f.failed()), None)
        if failed is not None or not all(f.is_done for f in futures):
            raise ForwardError(f"Kafka refused a record: {failed!r}")
