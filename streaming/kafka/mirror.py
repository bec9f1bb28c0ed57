"""MirrorMaker 2 across the regions' Kafka clusters, and how far each mirror is behind.

Apache Kafka's own MirrorMaker 2 (``org.apache.kafka:connect-mirror``, fetched with the broker's
jars by ``deploy/local/kafka/pom.xml``) runs in dedicated mode. One process runs **in each
target region** and pulls the other regions' events topic into its own cluster, as Kafka's
documentation advises (consume remotely, produce locally): when a region is lost, its MirrorMaker
goes with it and every survivor keeps mirroring what it still can. The default replication policy
names the copy ``<source region>.<topic>`` (``us.events.raw.v1`` on ``eu``'s cluster), keeps each
record's partition and timestamp, and never mirrors a mirrored topic back.

Offsets are not kept across clusters. Nothing here relies on them: a survivor lands the mirrored
topic through its own ledger of the mirrored offsets, and silver removes the overlap with what was
replicated from the source's lake by ``event_id``.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from streaming.kafka.broker import _LOG4J2, LOCAL_JVM_OPTIONS, BrokerError, default_libs, kill_group, stop_group
from streaming.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)

MIRROR_MAIN = "org.apache.kafka.connect.mirror.MirrorMaker"


def default_jmx_config() -> Path:
    """The JMX exporter rules (``meridian_mirror_*``), found from the working directory like the jars."""
    return Path.cwd() / "deploy" / "monitoring" / "mirrormaker-jmx.yaml"


def mirrored_topic(source_region: str, topic: str) -> str:
    """The name MirrorMaker's default replication policy gives ``topic`` from ``source_region``."""
    return f"{source_region}.{topic}"


def mirror_properties(
    clusters: Mapping[str, str],
    target: str,
    topics: Sequence[str],
    *,
    replication_factor: int = 1,
    refresh_seconds: int = 5,
) -> str:
    """A dedicated-mode config that mirrors ``topics`` from every other cluster into ``target``.

    Every cluster is named (MirrorMaker needs the source's address), but only ``<source>-><target>``
    flows are enabled: each region's process mirrors into its own cluster and nowhere else. The
    topics are a regular expression of exact names, so an internal or mirrored topic is never picked.
    """
    if target not in clusters:
        raise ValueError(f"target region {target!r} has no cluster among {sorted(clusters)}")
    pattern = "|".join(t.replace(".", r"\.") for t in topics)
    lines = [
        f"clusters = {', '.join(clusters)}",
        *(f"{alias}.bootstrap.servers = {servers}" for alias, servers in clusters.items()),
    ]
    for source in clusters:
        if source == target:
            continue
        flow = f"{source}->{target}"
        lines += [f"{flow}.enabled = true", f"{flow}.topics = {pattern}"]
    factor = str(replication_factor)
    lines += [
        f"replication.factor = {factor}",
        *(
            f"{name}.replication.factor = {factor}"
            for name in ("checkpoints.topic", "heartbeats.topic", "offset-syncs.topic")
        ),
        *(f"{name}.storage.replication.factor = {factor}" for name in ("offset", "status", "config")),
        # A new source topic (or partition) is picked up within this many seconds.
        f"refresh.topics.interval.seconds = {refresh_seconds}",
        f"refresh.groups.interval.seconds = {refresh_seconds}",
        "sync.topic.configs.enabled = true",
        "sync.topic.acls.enabled = false",  # the local brokers run no authorizer
        "plugin.discovery = service_load",  # every Connect plugin here has its manifest: a faster start
        "emit.heartbeats.interval.seconds = 1",
        "emit.checkpoints.interval.seconds = 5",
        # Connect commits the source offsets it mirrored this often: after a crash at most this much
        # is mirrored a second time (harmless: silver keeps one copy per event_id).
        "offset.flush.interval.ms = 1000",
        "",
    ]
    return "\n".join(lines)


@dataclass
class LocalMirrorMaker:
    """MirrorMaker 2 for one target region, whose config and log live under ``home``."""

    home: Path
    clusters: dict[str, str]  # region -> bootstrap servers, the target's among them
    target: str
    topics: list[str]
    libs: Path = field(default_factory=default_libs)
    heap: str = "384m"
    # Serve MirrorMaker's JMX metrics (replication latency, record age, connector status) for Prometheus
    # on 127.0.0.1:<metrics_port>/metrics, through the JMX exporter agent ``make kafka`` fetched with the jars.
    metrics_port: int | None = None
    jmx_config: Path = field(default_factory=default_jmx_config)
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def log_file(self) -> Path:
        return self.home / "mirror-maker.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def command(self) -> list[str]:
        if not any(self.libs.glob("connect-mirror-[0-9]*.jar")):
            raise BrokerError(f"no MirrorMaker jars in {self.libs}; run `make kafka` to fetch them from Maven Central")
        return [
            "java",
            f"-Xmx{self.heap}",
            "-Xms64m",
            *LOCAL_JVM_OPTIONS,
            *self._agent(),
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            f"{self.libs}/*",
            MIRROR_MAIN,
            str(self.home / "mm2.properties"),  # before --clusters, whose list would take it
            "--clusters",
            self.target,
        ]

    def _agent(self) -> list[str]:
        """``-javaagent:<jar>=127.0.0.1:<port>:<rules>``: the exporter binds loopback only, like the brokers."""
        if self.metrics_port is None:
            return []
        jars = sorted(self.libs.glob("jmx_prometheus_javaagent-*.jar"))
        if not jars:
            raise BrokerError(f"no JMX exporter agent in {self.libs}; run `make kafka` to fetch it from Maven Central")
        if not self.jmx_config.is_file():
            raise BrokerError(f"no JMX exporter rules at {self.jmx_config}: run from the repository root")
        return [f"-javaagent:{jars[-1]}=127.0.0.1:{self.metrics_port}:{self.jmx_config}"]

    @property
    def metrics_url(self) -> str | None:
        return None if self.metrics_port is None else f"http://127.0.0.1:{self.metrics_port}/metrics"

    def start(self, timeout_s: float = 90.0) -> LocalMirrorMaker:
        """Start the JVM and wait until every other region's topics exist, mirrored, on the target."""
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "log4j2.properties").write_text(_LOG4J2)
        (self.home / "mm2.properties").write_text(mirror_properties(self.clusters, self.target, self.topics))
        with self.log_file.open("ab") as out:
            self._proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready(timeout_s)
        log.info("MirrorMaker into %s ready (pid %s)", self.target, self._proc.pid)
        return self

    def expected_topics(self) -> list[str]:
        return [
            mirrored_topic(source, topic) for source in self.clusters if source != self.target for topic in self.topics
        ]

    def wait_ready(self, timeout_s: float) -> None:
        """Ready once the mirrored topics exist on the target (MirrorMaker creates them when it starts flowing).

        A source that is down at start is not waited for: only the mirrors of reachable sources count,
        and when no source answers the process is ready as soon as it runs.
        """
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        deadline = time.monotonic() + timeout_s
        wanted = set(self.expected_topics())
        last: object = None
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise BrokerError(f"MirrorMaker exited with {self._proc.returncode}:\n{self.tail_log()}")
            try:
                admin = KafkaAdminClient(bootstrap_servers=self.clusters[self.target], request_timeout_ms=3000)
                try:
                    present = set(admin.list_topics())
                finally:
                    admin.close()
                missing = wanted - present
                if not missing:
                    return
                last = f"missing {sorted(missing)}"
            except (KafkaError, OSError, ValueError) as exc:
                last = exc
            time.sleep(0.5)
        raise BrokerError(f"MirrorMaker into {self.target} not ready after {timeout_s}s ({last}):\n{self.tail_log()}")

    def tail_log(self, lines: int = 40) -> str:
        if not self.log_file.exists():
            return "(no MirrorMaker log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the JVM, as a crash or a lost region would."""
        kill_group(self._proc)

    def stop(self, timeout_s: float = 30.0) -> None:
        stop_group(self._proc, timeout_s)


@dataclass(frozen=True)
class MirrorLag:
    """How far ``<source>.<topic>`` on the target is behind ``topic`` on the source.

    ``records`` per partition: the source's records newer than the newest record mirrored. MirrorMaker
    keeps each record's partition and timestamp, so the newest mirrored timestamp finds its place in the
    source (``offsets_for_times``); counting records instead would read "caught up" as soon as a restarted
    MirrorMaker has mirrored some records twice (it is at least once). Records sharing the newest
    mirrored millisecond count as mirrored. ``seconds``: the age of the oldest record not mirrored yet
    (0 when caught up), like replication's lag: how long the data at risk has been at risk.
    """

    source: str
    target: str
    topic: str
    records: dict[int, int]
    seconds: float

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


def mirror_lag(
    source: KafkaSettings, target: KafkaSettings, topic: str, source_region: str, target_region: str
) -> MirrorLag:
    """Measure the mirror of ``topic`` from ``source_region`` on ``target_region``'s cluster (a few requests)."""
    from streaming.kafka import clients

    mirror = mirrored_topic(source_region, topic)
    src, dst = clients.range_consumer(source), clients.range_consumer(target)
    try:
        src_bounds, dst_bounds = _bounds(src, topic), _bounds(dst, mirror)
        records: dict[int, int] = {}
        oldest: list[int] = []  # timestamps of the oldest unmirrored record of each lagging partition
        for p, (begin, end) in src_bounds.items():
            first_unmirrored = begin
            d_begin, d_end = dst_bounds.get(p, (0, 0))
            if d_end > d_begin:
                newest = _timestamp_at(dst, mirror, p, d_end - 1)
                found = src.offsets_for_times({TopicPartition(topic, p): newest + 1})[TopicPartition(topic, p)]
                first_unmirrored = end if found is None else max(begin, found.offset)
            records[p] = max(0, end - first_unmirrored)
            if records[p]:
                oldest.append(_timestamp_at(src, topic, p, first_unmirrored))
        seconds = max(0.0, time.time() - min(oldest) / 1000) if oldest else 0.0
        return MirrorLag(source_region, target_region, topic, records, seconds)
    finally:
        src.close()
        dst.close()


def _bounds(consumer: KafkaConsumer, topic: str) -> dict[int, tuple[int, int]]:
    partitions = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    if not tps:
        return {}
    begin, end = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
    return {tp.partition: (begin[tp], end[tp]) for tp in tps}


def _timestamp_at(consumer: KafkaConsumer, topic: str, partition: int, offset: int) -> int:
    """The timestamp (ms) of the record at ``offset`` (or the next one there is); 0 when there is none."""
    if offset < 0:
        return 0
    tp = TopicPartition(topic, partition)
    consumer.assign([tp])
    consumer.seek(tp, offset)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500, max_records=1).values():
            for record in records:
                return int(record.timestamp)
    return 0


def prometheus_lines(lags: Sequence[MirrorLag]) -> str:
    """The lags in Prometheus's text format (for a textfile collector, or the exporter to serve)."""
    lines = [
        "# HELP meridian_mirror_lag_records Records on the source not yet on its mirror, per partition.",
        "# TYPE meridian_mirror_lag_records gauge",
    ]
    for lag in lags:
        for partition, n in sorted(lag.records.items()):
            lines.append(
                f'meridian_mirror_lag_records{{source="{lag.source}",target="{lag.target}",'
                f'topic="{lag.topic}",partition="{partition}"}} {n}'
            )
    lines += [
        "# HELP meridian_mirror_lag_seconds Newest source record time less the newest mirrored one.",
        "# TYPE meridian_mirror_lag_seconds gauge",
        *(
            f'meridian_mirror_lag_seconds{{source="{lag.source}",target="{lag.target}",topic="{lag.topic}"}} '
            f"{lag.seconds:g}"
            for lag in lags
        ),
    ]
    return "\n".join(lines) + "\n"
