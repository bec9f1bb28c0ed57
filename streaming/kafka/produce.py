"""Send records to Kafka and know which were acknowledged."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kafka import KafkaProducer
from kafka.errors import KafkaError


def producer_for(bootstrap: str, **overrides: object) -> KafkaProducer:
    """acks=all + idempotence: an acknowledged record is on the log once, even across retries."""
    config: dict[str, object] = {
        "bootstrap_servers": bootstrap,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 10,
        "batch_size": 256 * 1024,
        "max_in_flight_requests_per_connection": 5,
        "delivery_timeout_ms": 120_000,
        "request_timeout_ms": 15_000,
    }
    config.update(overrides)
    return KafkaProducer(**config)


@dataclass
class SendReport:
    sent: int = 0
    acked: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def send_all(
    producer: KafkaProducer,
    topic: str,
    records: Iterable[tuple[bytes | None, bytes]],
    rate: float | None = None,
    on_sent: Callable[[int], None] | None = None,
    flush_timeout_s: float = 120.0,
) -> SendReport:
    """Send every (key, value); pace to ``rate`` records/s when given; wait for all acks."""
    report = SendReport()

    def ok(_: object) -> None:
        report.acked += 1

    def failed(exc: BaseException) -> None:
        report.failed += 1
        if len(report.errors) < 10:
            report.errors.append(repr(exc))

    started = time.monotonic()
    for key, value in records:
        if rate:
            ahead = report.sent / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
        try:
            producer.send(topic, key=key, value=value).add_callback(ok).add_errback(failed)
        except KafkaError as exc:
            failed(exc)
        report.sent += 1
        if on_sent:
            on_sent(1)
    producer.flush(timeout=flush_timeout_s)
    return report
