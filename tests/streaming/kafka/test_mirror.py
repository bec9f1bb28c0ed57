"""MirrorMaker 2 between two real KRaft clusters: the mirrored topic, its lag under steady traffic, a crash.

Two brokers and one MirrorMaker (dedicated mode, pulling ``us`` into ``eu``) for the module. The lag is
read while a producer keeps writing, so it is a live figure, then must reach 0 once traffic stops; with
MirrorMaker killed it grows by exactly what was produced, and a restarted MirrorMaker catches up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from streaming.kafka import clients
from streaming.kafka.admin import ensure_topic, list_topics
from streaming.kafka.broker import LocalBroker, free_port
from streaming.kafka.mirror import LocalMirrorMaker, MirrorLag, mirror_lag, mirror_properties, prometheus_lines
from streaming.kafka.settings import KafkaSettings

pytestmark = pytest.mark.integration

TOPIC = "events.raw.v1"


def test_each_region_mirrors_only_into_its_own_cluster() -> None:
    text = mirror_properties({"us": "a:1", "eu": "b:2", "apac": "c:3"}, "eu", [TOPIC])
    assert "us->eu.enabled = true" in text and "apac->eu.enabled = true" in text
    assert "eu->us" not in text and "eu->apac" not in text
    assert r"us->eu.topics = events\.raw\.v1" in text
    with pytest.raises(ValueError, match="no cluster"):
        mirror_properties({"us": "a:1"}, "eu", [TOPIC])


def test_the_metrics_agent_is_optional_and_binds_loopback(tmp_path: Path) -> None:
    """The agent's HTTP server would listen on every interface given only a port; MirrorMaker's must not."""
    plain = LocalMirrorMaker(home=tmp_path, clusters={"us": "a:1", "eu": "b:2"}, target="eu", topics=[TOPIC])
    assert not any(arg.startswith("-javaagent") for arg in plain.command()) and plain.metrics_url is None
    served = LocalMirrorMaker(
        home=tmp_path, clusters={"us": "a:1", "eu": "b:2"}, target="eu", topics=[TOPIC], metrics_port=9404
    )
    (agent,) = [arg for arg in served.command() if arg.startswith("-javaagent:")]
    jar, options = agent.removeprefix("-javaagent:").split("=", 1)
    assert Path(jar).name == "jmx_prometheus_javaagent-1.0.1.jar" and Path(jar).is_file()
    assert options == f"127.0.0.1:9404:{served.jmx_config}" and served.jmx_config.is_file()
    assert served.command().index(agent) < served.command().index("-cp")  # a JVM option, before the main class


def test_lag_renders_as_prometheus_gauges() -> None:
    text = prometheus_lines([MirrorLag("us", "eu", TOPIC, {0: 3, 1: 0}, 1.5)])
    assert 'meridian_mirror_lag_records{source="us",target="eu",topic="events.raw.v1",partition="0"} 3' in text
    assert 'meridian_mirror_lag_seconds{source="us",target="eu",topic="events.raw.v1"} 1.5' in text


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LocalBroker]]:
    brokers = {r: LocalBroker(home=tmp_path_factory.mktemp(f"mirror-{r}"), partitions=3) for r in ("us", "eu")}
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda b: b.start(timeout_s=120), brokers.values()))
        for broker in brokers.values():
            ensure_topic(KafkaSettings(bootstrap_servers=broker.bootstrap_servers), TOPIC, 3)
        yield brokers
    finally:
        for broker in brokers.values():
            broker.kill()


def produce(kafka: KafkaSettings, count: int, rate: float = 0) -> None:
    producer = clients.producer(kafka)
    try:
        for i in range(count):
            producer.send(TOPIC, value=b'{"n": %d}' % i, partition=i % 3)
            if rate:
                time.sleep(1 / rate)
        producer.flush(30)
    finally:
        producer.close()


def lag_of(us: KafkaSettings, eu: KafkaSettings) -> MirrorLag:
    return mirror_lag(us, eu, TOPIC, "us", "eu")


def wait_caught_up(us: KafkaSettings, eu: KafkaSettings, timeout_s: float = 60) -> MirrorLag:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lag = lag_of(us, eu)
        if lag.total_records == 0:
            return lag
        time.sleep(0.5)
    raise AssertionError(f"the mirror did not catch up within {timeout_s}s: {lag}")


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """The samples of one metric family in a Prometheus text exposition, as (labels, value)."""
    for family in text_string_to_metric_families(text):
        if family.name == name or family.name + "_total" == name:
            return [(s.labels, s.value) for s in family.samples if s.name == name]
    return []


def assert_jmx_metrics(mirror: LocalMirrorMaker, at_least: int) -> None:
    """MirrorMaker's JMX agent serves the meridian_mirror_* series the alert rules and dashboards read.

    Polled: the agent reads the MBeans at each scrape, and the counters follow the committed batches.
    """
    assert mirror.metrics_url is not None
    deadline, text = time.monotonic() + 30, ""
    while time.monotonic() < deadline:
        try:
            text = httpx.get(mirror.metrics_url, timeout=5).text
        except httpx.TransportError:
            text = ""
        if sum(v for _, v in samples(text, "meridian_mirror_records_total")) >= at_least:
            break
        time.sleep(0.5)
    records = samples(text, "meridian_mirror_records_total")
    assert sum(v for _, v in records) >= at_least, text[-2000:]
    partition = {"source": "us", "target": "eu", "topic": "us.events.raw.v1"}
    assert {labels["partition"] for labels, _ in records} == {"0", "1", "2"}
    assert all({k: labels[k] for k in partition} == partition for labels, _ in records)
    for name in (
        "meridian_mirror_replication_latency_ms_max",
        "meridian_mirror_replication_latency_ms_avg",
        "meridian_mirror_record_age_ms_max",
    ):
        values = [v for _, v in samples(text, name)]
        assert len(values) == 3 and all(0 <= v < 300_000 for v in values), (name, values)
    assert sum(v for _, v in samples(text, "meridian_mirror_bytes_total")) > 0
    assert len(samples(text, "meridian_mirror_byte_rate")) == 3
    status = {
        (labels["connector"], labels["status"]) for labels, _ in samples(text, "meridian_mirror_connector_status")
    }
    assert ("MirrorSourceConnector", "running") in status
    tasks = {(labels["connector"], labels["status"]) for labels, _ in samples(text, "meridian_mirror_task_status")}
    assert ("MirrorSourceConnector", "running") in tasks
    failed = dict((labels["connector"], v) for labels, v in samples(text, "meridian_mirror_connector_failed_tasks"))
    running = dict((labels["connector"], v) for labels, v in samples(text, "meridian_mirror_connector_running_tasks"))
    assert failed["MirrorSourceConnector"] == 0 and running["MirrorSourceConnector"] >= 1


def test_mirror_lag_under_steady_traffic_then_a_crash_and_a_restart(
    clusters: dict[str, LocalBroker], tmp_path_factory: pytest.TempPathFactory
) -> None:
    us, eu = (KafkaSettings(bootstrap_servers=clusters[r].bootstrap_servers) for r in ("us", "eu"))
    produce(us, 300)  # before MirrorMaker starts: it mirrors from the earliest offset
    mirror = LocalMirrorMaker(
        home=tmp_path_factory.mktemp("mm2-eu"),
        clusters={r: b.bootstrap_servers for r, b in clusters.items()},
        target="eu",
        topics=[TOPIC],
        metrics_port=free_port(),
    )
    mirror.start(timeout_s=120)
    try:
        assert "us.events.raw.v1" in list_topics(eu) and "eu.events.raw.v1" not in list_topics(us)
        wait_caught_up(us, eu)
        assert_jmx_metrics(mirror, at_least=300)
        # steady traffic: the lag is measured while records keep arriving, and is a real, bounded figure
        writer = threading.Thread(target=produce, args=(us, 400, 100.0))
        writer.start()
        seen = []
        deadline = time.monotonic() + 30
        while writer.is_alive() and time.monotonic() < deadline:
            seen.append(lag_of(us, eu))
            time.sleep(0.3)
        writer.join(30)
        assert len(seen) >= 3 and all(lag.seconds >= 0 and lag.total_records >= 0 for lag in seen)
        assert all(set(lag.records) == {0, 1, 2} for lag in seen)
        wait_caught_up(us, eu)
        # MirrorMaker crashes: what is produced meanwhile is exactly the lag
        mirror.kill()
        produce(us, 90)
        stuck = lag_of(us, eu)
        assert stuck.total_records == 90 and stuck.records == {0: 30, 1: 30, 2: 30} and stuck.seconds > 0
        mirror.start(timeout_s=120)
        assert wait_caught_up(us, eu).seconds == 0
        assert_jmx_metrics(mirror, at_least=90)  # the restarted JVM serves again on the same port, counting anew
        # at least once: a restart may mirror again what was not committed, never less than everything
        mirrored = clients.range_consumer(eu)
        try:
            from kafka import TopicPartition

            tps = [TopicPartition("us.events.raw.v1", p) for p in range(3)]
            assert sum(mirrored.end_offsets(tps).values()) >= 790
        finally:
            mirrored.close()
    finally:
        mirror.kill()
