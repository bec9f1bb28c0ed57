"""A real Prometheus scraping the real services on loopback, with the chart's rules, analyses and dashboards.

One stack for the module: a KRaft broker per region (us, eu), MirrorMaker 2 pulling eu into us with the
JMX exporter agent, the edge and the streaming service of us (served by uvicorn in this process, as
``meridian edge`` and ``meridian stream`` serve them), the lake exporter, and Debian's Prometheus
scraping them every second under the job names and ``region`` label the chart's ServiceMonitors give.

The rules are the chart's own file with every ``for`` cut to 2 s (test-sized: the thresholds are kept),
so an alert that fires here fires in a cluster, later. The tests share the stack and run in file order:
clean traffic first, then Kafka stopped (the edge buffers, then its small buffer fills and answers 503).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest
import uvicorn
import yaml

from deploy.monitoring.dashboards.build import queries as dashboard_queries
from orchestration.exporter.collector import LakeCollector
from orchestration.exporter.server import build_app as exporter_app
from orchestration.exporter.sources import build_sources
from orchestration.lib.local_prometheus import RULES, LocalPrometheus, ScrapeTarget, prometheus_config
from orchestration.settings import PlatformSettings
from streaming.edge.client import batches
from streaming.generator import TrafficSpec, generate
from streaming.kafka import clients
from streaming.kafka.admin import ensure_topic
from streaming.kafka.broker import LocalBroker, free_port
from streaming.kafka.mirror import LocalMirrorMaker
from streaming.kafka.settings import KafkaSettings
from streaming.realtime.api import build_app as stream_app
from streaming.realtime.service import StreamService
from tests.deploy.manifests import render
from tests.helpers import platform_settings
from tests.orchestration.exporter.exporter_lakes import build_lakes, record_builds
from tests.streaming.edge.edge_helpers import KEY, InProcessEdge, edge_settings, wait_for

pytestmark = pytest.mark.integration

REGION, PEER = "us", "eu"
TOPIC = "events.raw.v1"
BUFFER_MAX_BYTES = 2 * 1024 * 1024  # small: with Kafka stopped it fills within seconds and the edge answers 503
METRIC = re.compile(r"\bmeridian_[a-z0-9_]+")


def test_sized_rules(source: Path, into: Path) -> Path:
    """The chart's rule file with every ``for`` at 2 s: the same expressions, fired within a test's patience."""
    rules = yaml.safe_load(source.read_text())
    for group in rules["groups"]:
        group["interval"] = "1s"
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = "2s"
    into.write_text(yaml.safe_dump(rules, sort_keys=False))
    return into


test_sized_rules.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@dataclass
class Served:
    """An ASGI app on uvicorn in a thread of this process."""

    server: uvicorn.Server
    thread: threading.Thread
    port: int

    @classmethod
    def start(cls, app: Any, what: str) -> Served:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        wait_for(lambda: server.started, 20, what)
        return cls(server, thread, port)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def lake_exporter(home: Path) -> Served:
    """The exporter over two lakes landed and replicated by the project's code and a Dagster instance with
    real gold builds and check evaluations (tests/orchestration/exporter/exporter_lakes.py)."""
    lakes = build_lakes(home / "lakes")
    (home / "dagster").mkdir()
    (home / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    record_builds(instance)
    collector = LakeCollector(build_sources(lakes.settings, lambda: instance), cache_seconds=1)
    return Served.start(exporter_app(collector), "the lake exporter")


@dataclass
class ThreadedStream:
    """The streaming service's loop in a thread of this process, its HTTP API served beside it."""

    service: StreamService
    loop: threading.Thread
    http: Served

    @property
    def port(self) -> int:
        return self.http.port

    @classmethod
    def start(cls, settings: PlatformSettings) -> ThreadedStream:
        service = StreamService(settings.stream, settings.kafka)
        loop = threading.Thread(target=service.run, daemon=True)
        loop.start()
        return cls(service, loop, Served.start(stream_app(service), "the stream's HTTP server"))

    def stop(self) -> None:
        self.service.stopping.set()
        self.http.stop()
        self.loop.join(timeout=20)


@dataclass
class Stack:
    broker: LocalBroker
    peer: LocalBroker
    mirror: LocalMirrorMaker
    edge: InProcessEdge
    stream: ThreadedStream
    exporter: Served
    prometheus: LocalPrometheus

    def post(self, count: int, seed: int) -> list[int]:
        """Statuses of ``count`` live events posted in batches of 50 (no retry: a 503 stays a 503)."""
        lines = [r.value for r in generate(TrafficSpec(count=count, seed=seed, live=True, malformed=0, late=0))]
        headers = {"authorization": f"Bearer {KEY}", "content-type": "application/x-ndjson"}
        return [
            httpx.post(f"{self.edge.url}/v1/events", content=b"\n".join(batch), headers=headers, timeout=30).status_code
            for batch in batches(lines, 50)
        ]

    def value(self, expr: str) -> float | None:
        """The single sample of an instant query (None when the vector is empty)."""
        result = self.prometheus.query(expr)
        return float(result[0]["value"][1]) if result else None

    def firing(self) -> set[str]:
        return {a["labels"]["alertname"] for a in self.prometheus.alerts() if a["state"] == "firing"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("monitoring")
    broker, peer = (LocalBroker(home=home / f"kafka-{r}", partitions=3) for r in (REGION, PEER))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda b: b.start(timeout_s=120), (broker, peer)))
    peer_kafka = KafkaSettings(bootstrap_servers=peer.bootstrap_servers)
    ensure_topic(peer_kafka, TOPIC, 3)
    produce(peer_kafka, 200)  # eu's own traffic, for MirrorMaker to carry into us
    settings = platform_settings(broker.bootstrap_servers, TOPIC, home).replaced(
        stream={
            "window_seconds": 2,
            "allowed_lateness_seconds": 0,
            "checkpoint_interval_seconds": 0.5,
            "group_id": "meridian-stream",
        },
    )
    ensure_topic(settings.kafka, TOPIC, 3)
    clusters = {REGION: broker.bootstrap_servers, PEER: peer.bootstrap_servers}
    mirror = LocalMirrorMaker(home / "mirror", clusters, REGION, [TOPIC], metrics_port=free_port())
    background = ThreadPoolExecutor(2)  # MirrorMaker's JVM and Dagster's builds start while the rest does
    mirror_started = background.submit(mirror.start, 120)
    exporter_started = background.submit(lake_exporter, home / "exporter")
    edge = InProcessEdge(
        edge_settings(
            settings, home / "buffer", region=REGION, buffer_max_bytes=BUFFER_MAX_BYTES, rate_limit="1000/second"
        )
    )
    stream = ThreadedStream.start(settings)
    mirror_started.result()
    exporter = exporter_started.result()
    background.shutdown()
    targets = [
        ScrapeTarget("meridian-edge", f"127.0.0.1:{edge.settings.edge.http_port}", {"region": REGION}),
        ScrapeTarget("meridian-stream", f"127.0.0.1:{stream.port}", {"region": REGION}),
        ScrapeTarget("meridian-mirrormaker", f"127.0.0.1:{mirror.metrics_port}", {"region": REGION}),
        ScrapeTarget("meridian-exporter", f"127.0.0.1:{exporter.port}", {"region": REGION}),
    ]
    rules = test_sized_rules(RULES, home / "rules.yaml")
    prometheus = LocalPrometheus(home / "prometheus", free_port(), prometheus_config(targets, [rules], interval_s=1))
    prometheus.start()
    try:
        yield Stack(broker, peer, mirror, edge, stream, exporter, prometheus)
    finally:
        if not broker.is_running():  # the last test stopped it: back up, the stream leaves its group cleanly
            broker.start(timeout_s=120)
        prometheus.stop()
        exporter.stop()
        stream.stop()
        edge.stop()
        mirror.kill()
        broker.kill()
        peer.kill()


def produce(kafka: KafkaSettings, count: int) -> None:
    producer = clients.producer(kafka)
    try:
        for i in range(count):
            producer.send(TOPIC, key=f"u{i % 7}".encode(), value=b'{"n": %d}' % i)
        producer.flush(timeout=30)
    finally:
        producer.close()


def analysis_queries() -> dict[str, tuple[str, str]]:
    """The edge Rollout's analysis metrics as the chart renders them: name -> (query, successCondition)."""
    docs = [d for d in render(REGION) if d.get("kind") == "AnalysisTemplate"]
    assert docs, "the chart renders no AnalysisTemplate"
    out = {}
    for metric in docs[0]["spec"]["metrics"]:
        query = metric["provider"]["prometheus"]["query"].replace("{{args.job}}", "meridian-edge")
        query = query.replace("{{ args.job }}", "meridian-edge")
        out[metric["name"]] = (query, metric["successCondition"])
    return out


def succeeds(condition: str, value: float) -> bool:
    """Argo Rollouts' successCondition (an expr-lang expression over ``result``) for one scalar result.

    Rollouts evaluates these with expr-lang, which cannot run here; the conditions the chart uses are
    comparisons and ``isNaN``, which this evaluates with Python's semantics for the same operators.
    """
    expr = condition.replace("result[0]", "result").replace("||", " or ").replace("&&", " and ")
    return bool(eval(expr, {"__builtins__": {}}, {"result": value, "isNaN": math.isnan}))  # noqa: S307


def test_clean_traffic_passes_the_rollout_analysis(stack: Stack) -> None:
    queries = analysis_queries()
    assert {q for q, _ in queries.values()}, queries
    deadline = time.monotonic() + 60
    results: dict[str, float | None] = {}
    for seed in range(1, 40):  # bounded: a batch of posts a second until each query has a value
        statuses = stack.post(100, seed)
        assert max(statuses) < 500, f"clean traffic was refused: {statuses}"
        results = {name: stack.value(query) for name, (query, _) in queries.items()}
        if all(v is not None for v in results.values()) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert all(v is not None for v in results.values()), f"analysis queries returned nothing: {results}"
    for name, (_, condition) in queries.items():
        value = results[name]
        assert value is not None and succeeds(condition, value), (
            f"{name} = {value} fails {condition!r} on clean traffic"
        )
    assert "EdgeHigh5xxRatio" not in stack.firing()


def used_metric_names() -> dict[str, set[str]]:
    """Every ``meridian_*`` series the rules, the dashboards and the analyses read, by where it is read."""
    rules = yaml.safe_load(RULES.read_text())
    return {
        "rules": {m for g in rules["groups"] for r in g["rules"] for m in METRIC.findall(r["expr"])},
        "dashboards": {m for _, _, expr in dashboard_queries(region=REGION) for m in METRIC.findall(expr)},
        "analyses": {m for query, _ in analysis_queries().values() for m in METRIC.findall(query)},
    }


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


def declared_names(stack: Stack) -> set[str]:
    """The series names every scraped target declares (``# TYPE``), samples or not: a labelled counter such as
    ``meridian_edge_kafka_errors_total{error}`` has no series until its first error, but it is exported."""
    from prometheus_client.parser import text_string_to_metric_families

    names: set[str] = set()
    for target in stack.prometheus.targets():
        text = httpx.get(target["scrapeUrl"], timeout=10).text
        for family in text_string_to_metric_families(text):
            names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    return names


def test_every_metric_the_rules_dashboards_and_analyses_read_is_exported(stack: Stack) -> None:
    used = used_metric_names()
    assert all(used.values()), used
    missing: dict[str, set[str]] = {}
    for _ in range(60):  # bounded: windows close every 2 s, MirrorMaker reports once it has copied
        exported = stack.prometheus.metric_names() | declared_names(stack)
        missing = {where: names - exported for where, names in used.items() if names - exported}
        if not missing:
            break
        stack.post(20, 100 + _)
        time.sleep(1)
    assert not missing, f"read but not exported by any service: {missing}"


def test_every_dashboard_panel_returns_data(stack: Stack) -> None:
    panels = dashboard_queries(region=REGION, rate_interval="1m")
    empty: list[tuple[str, str, str]] = []
    for attempt in range(30):  # bounded: series appear as windows close and scrapes land
        empty = [(uid, title, expr) for uid, title, expr in panels if not stack.prometheus.query(expr)]
        if not empty:
            break
        stack.post(20, 200 + attempt)
        time.sleep(1)
    assert not empty, "panels with no data:\n" + "\n".join(f"{u} / {t}: {e}" for u, t, e in empty)


def test_kafka_stopped_fires_edge_buffering_and_a_burst_of_503s_fails_the_analysis(stack: Stack) -> None:
    queries = analysis_queries()
    assert "EdgeBuffering" not in stack.firing()
    stack.broker.stop()
    statuses: list[int] = []
    for seed in range(300, 360):  # bounded: a second per round until the alert fires and the buffer refuses
        statuses += stack.post(500, seed)
        if "EdgeBuffering" in stack.firing() and 503 in statuses:
            break
        time.sleep(1)
    assert "EdgeBuffering" in stack.firing(), f"EdgeBuffering never fired; alerts {stack.prometheus.alerts()}"
    assert 503 in statuses, "the edge never refused with 503 though its buffer was full"
    query, condition = queries["error-ratio"]
    value: float | None = None
    for _ in range(30):  # bounded: the 503s reach the 1-minute rate within a few scrapes
        stack.post(50, 400 + _)
        value = stack.value(query)
        if value is not None and not succeeds(condition, value):
            break
        time.sleep(1)
    assert value is not None and not succeeds(condition, value), f"5xx ratio {value} still passes {condition!r}"
