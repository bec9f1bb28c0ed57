"""Run the edge in this process or as a real ``meridian edge`` process, and read what reached Kafka."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn
from kafka import KafkaConsumer, TopicPartition

from orchestration.settings import PlatformSettings
from streaming.edge.api import build_app
from streaming.edge.auth import mint_key
from streaming.edge.service import EdgeService
from streaming.edge.settings import EdgeSettings
from streaming.events.event_time import EventTimeSettings
from streaming.kafka.broker import free_port
from streaming.kafka.settings import KafkaSettings
from tests.helpers import kafka_env, kill_group, metric_sum, stop_group

metric = metric_sum  # the edge tests read their /metrics with it

KEY, KEY_ENTRY = mint_key("tests")


@dataclass(frozen=True)
class EdgeConfig:
    """What an edge process composes: its own settings and Kafka's."""

    edge: EdgeSettings
    kafka: KafkaSettings
    event_time: EventTimeSettings = field(default_factory=EventTimeSettings)

    def env(self) -> dict[str, str]:
        """The environment that makes ``meridian edge`` use these settings."""
        e = self.edge
        return {
            **kafka_env(self.kafka),
            "MERIDIAN_EDGE_API_KEYS": orjson.dumps(e.api_keys).decode(),
            "MERIDIAN_EDGE_BUFFER_MAX_BYTES": str(e.buffer_max_bytes),
            "MERIDIAN_EDGE_BUFFER_SEGMENT_BYTES": str(e.buffer_segment_bytes),
            "MERIDIAN_EDGE_KAFKA_TIMEOUT_SECONDS": str(e.kafka_timeout_seconds),
            "MERIDIAN_EDGE_BACKOFF_MAX_SECONDS": str(e.backoff_max_seconds),
        }


def edge_settings(settings: PlatformSettings, buffer_dir: Path, **overrides: Any) -> EdgeConfig:
    fields: dict[str, Any] = {
        "api_keys": [KEY_ENTRY],
        "buffer_dir": buffer_dir,
        "http_port": free_port(),
        "kafka_timeout_seconds": 3.0,
        "backoff_max_seconds": 1.0,
        **overrides,
    }
    return EdgeConfig(EdgeSettings(**fields), settings.kafka, settings.event_time)


def wait_for(predicate: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


@dataclass
class InProcessEdge:
    """The edge's app on uvicorn in a thread: for tests that never need to kill the process."""

    settings: EdgeConfig
    service: EdgeService = field(init=False)
    server: uvicorn.Server = field(init=False)
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.service = EdgeService(self.settings.edge, self.settings.kafka, self.settings.event_time)
        self.service.start()
        config = uvicorn.Config(
            build_app(self.service), host="127.0.0.1", port=self.settings.edge.http_port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.started, 20, "the edge's HTTP server")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.edge.http_port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.service.stop()


@dataclass
class EdgeProcess:
    """``meridian edge`` as a child process, so a test can kill -9 it."""

    settings: EdgeConfig
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.edge.http_port}"

    def start(self) -> EdgeProcess:
        s = self.settings
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}, **s.env()}
        cmd = [sys.executable, "-m", "orchestration.cli.main", "edge", "--port", str(s.edge.http_port)]
        cmd += ["--buffer-dir", str(s.edge.buffer_dir)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._healthy, 60, f"meridian edge to serve (log {self.log})")
        return self

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"meridian edge exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
        try:
            return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        kill_group(self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc, timeout_s=20)


def read_topic(bootstrap: str, topic: str, expect: int, timeout_s: float = 60.0) -> list[tuple[bytes, dict[str, Any]]]:
    """Every record of ``topic`` once at least ``expect`` are there (or the timeout passes): (key, event)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=1000)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    out: list[tuple[bytes, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500, max_records=10_000).values():
                out += [(r.key, orjson.loads(r.value)) for r in batch]
            if len(out) >= expect and all(
                consumer.position(tp) >= (consumer.end_offsets([tp])[tp]) for tp in partitions
            ):
                break
    finally:
        consumer.close()
    return out
