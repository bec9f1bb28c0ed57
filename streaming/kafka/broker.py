"""A single-node Apache Kafka broker in KRaft mode, run from the jars Maven Central serves.

Used by ``meridian up`` for the local platform, by the test suite (a broker per session on
free ports) and by the benchmarks. The jars are fetched by ``deploy/local/kafka/pom.xml``
(``make kafka``); this module only writes config, formats storage, and starts, checks,
kills and restarts the JVM.

Besides the unauthenticated PLAINTEXT listener, the broker can open a SASL_PLAINTEXT listener
with SCRAM-SHA-512 so clients can be tested against the authentication production uses. The
SCRAM credentials go into the metadata log when storage is formatted, so they exist before the
first client connects and survive restarts.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# A laptop's JVM, not a server's: the C1 compiler only and the serial collector bring a broker up in
# about half the CPU (measured here: 5.2 s against 10.1 s of CPU to start, take 20k records and idle
# 30 s) and leave the cores to the rest of the platform. Peak throughput is a production cluster's.
LOCAL_JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true")

SCRAM_MECHANISM = "SCRAM-SHA-512"
_SASL_LISTENER = "SASL_PLAINTEXT"
# The StorageTool parses ``--add-scram`` as ``MECH=[key=value,...]`` with no escaping: a comma
# ends the value and double quotes are taken as quoting, so either would store another credential.
_SCRAM_FORBIDDEN = frozenset(',"')

_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
"""


class BrokerError(RuntimeError):
    """The broker could not be started or did not become ready."""


def default_libs() -> Path:
    """The jars ``make kafka`` fetched, found from the working directory rather than this file.

    Relative to the working directory so an installed package (not a source checkout) works too;
    ``MERIDIAN_KAFKA_LIBS`` points elsewhere. Read when a broker is built, never at import.
    """
    override = os.environ.get("MERIDIAN_KAFKA_LIBS")
    return Path(override) if override else Path.cwd() / ".local" / "kafka" / "libs"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_properties(
    home: Path, port: int, controller_port: int, partitions: int, sasl_port: int | None = None
) -> str:
    """KRaft config for one combined broker+controller bound to loopback only.

    With ``sasl_port``, clients may also connect there with SCRAM-SHA-512; the broker and the
    controller keep talking PLAINTEXT to each other, so no broker credential is needed.
    """
    listeners = [f"PLAINTEXT://127.0.0.1:{port}"]
    protocols = ["PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"]
    sasl: list[str] = []
    if sasl_port is not None:
        listeners.append(f"{_SASL_LISTENER}://127.0.0.1:{sasl_port}")
        protocols.append(f"{_SASL_LISTENER}:SASL_PLAINTEXT")
        prefix = f"listener.name.{_SASL_LISTENER.lower()}"
        sasl = [
            f"sasl.enabled.mechanisms={SCRAM_MECHANISM}",
            f"{prefix}.sasl.enabled.mechanisms={SCRAM_MECHANISM}",
            # No user_* options: SCRAM checks clients against the credentials in the metadata log.
            f"{prefix}.{SCRAM_MECHANISM.lower()}.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        ]
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            f"listeners={','.join([*listeners, f'CONTROLLER://127.0.0.1:{controller_port}'])}",
            f"advertised.listeners={','.join(listeners)}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            f"listener.security.protocol.map={','.join(protocols)}",
            *sasl,
            f"log.dirs={home / 'data'}",
            f"num.partitions={partitions}",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=6",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
            "log.retention.hours=168",
            "",
        ]
    )


@dataclass
class LocalBroker:
    """One KRaft broker whose data, config and log live under ``home``.

    ``scram_users`` (username -> password) opens a SCRAM-SHA-512 listener on ``sasl_port`` for
    those users. They are written when storage is first formatted: for a ``home`` formatted
    earlier, the users it was formatted with stay and a changed ``scram_users`` has no effect.
    """

    home: Path
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)
    libs: Path = field(default_factory=default_libs)
    partitions: int = 6
    heap: str = "768m"
    scram_users: dict[str, str] = field(default_factory=dict, repr=False)
    sasl_port: int = field(default_factory=free_port)
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        _check_scram_users(self.scram_users)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def sasl_bootstrap_servers(self) -> str:
        """The SCRAM-SHA-512 listener; it accepts connections only when ``scram_users`` is set."""
        return f"127.0.0.1:{self.sasl_port}"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    def _java(self, main: str, *args: str) -> list[str]:
        if not any(self.libs.glob("kafka_2.13-*.jar")):
            raise BrokerError(f"no Kafka jars in {self.libs}; run `make kafka` to fetch them from Maven Central")
        return [
            "java",
            f"-Xmx{self.heap}",
            "-Xms128m",
            *LOCAL_JVM_OPTIONS,
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            f"{self.libs}/*",
            main,
            *args,
        ]

    def prepare(self) -> None:
        """Write config and format storage once (a restart keeps the data)."""
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "log4j2.properties").write_text(_LOG4J2)
        config = self.home / "server.properties"
        sasl_port = self.sasl_port if self.scram_users else None
        config.write_text(server_properties(self.home, self.port, self.controller_port, self.partitions, sasl_port))
        if (self.home / "data" / "meta.properties").exists():
            return
        cluster_id = uuid.uuid4().hex[:22]
        scram = [
            arg
            for name, password in self.scram_users.items()
            for arg in ("--add-scram", f"{SCRAM_MECHANISM}=[name={name},password={password}]")
        ]
        result = subprocess.run(
            self._java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config), *scram),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            output = _redact(f"{result.stdout}{result.stderr}", self.scram_users.values())
            raise BrokerError(f"formatting Kafka storage failed: {output}")

    def start(self, timeout_s: float = 60.0) -> LocalBroker:
        self.prepare()
        with self.log_file.open("ab") as out:
            self._proc = subprocess.Popen(
                self._java("kafka.Kafka", str(self.home / "server.properties")),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready(timeout_s)
        log.info("Kafka broker ready on %s (pid %s)", self.bootstrap_servers, self._proc.pid)
        if self.scram_users:
            log.info("Kafka %s listener on %s", SCRAM_MECHANISM, self.sasl_bootstrap_servers)
        return self

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Poll with a real metadata request until the broker answers, or fail with its log."""
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        deadline = time.monotonic() + timeout_s
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise BrokerError(f"broker exited with {self._proc.returncode}:\n{self.tail_log()}")
            try:
                # A plain TCP probe first: the admin client backs off for seconds after a refused connection.
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                admin = KafkaAdminClient(bootstrap_servers=self.bootstrap_servers, request_timeout_ms=3000)
                try:
                    cluster = admin.describe_cluster()
                    if cluster.get("brokers"):
                        return
                finally:
                    admin.close()
            except (KafkaError, OSError, ValueError) as exc:
                last = exc
            time.sleep(0.2)
        raise BrokerError(f"broker not ready after {timeout_s}s ({last}):\n{self.tail_log()}")

    def tail_log(self, lines: int = 40) -> str:
        if not self.log_file.exists():
            return "(no broker log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the JVM, as a crash would; data on disk stays for a restart."""
        kill_group(self._proc)

    def stop(self, timeout_s: float = 30.0) -> None:
        stop_group(self._proc, timeout_s)

    def restart(self, timeout_s: float = 90.0) -> None:
        self.kill()
        self.start(timeout_s)


def kill_group(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL a JVM started in its own process group (and all it started), as a crash would."""
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def stop_group(proc: subprocess.Popen[bytes] | None, timeout_s: float = 30.0) -> None:
    """SIGTERM the group, then SIGKILL it if it is still there after ``timeout_s``."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_group(proc)


def _check_scram_users(users: Mapping[str, str]) -> None:
    """Refuse what the StorageTool would misparse, before a JVM is started for nothing."""
    for name, password in users.items():
        for what, value in (("username", name), ("password", password)):
            if not value or _SCRAM_FORBIDDEN.intersection(value):
                raise ValueError(
                    f"the SCRAM {what} of user {name!r} must be non-empty and contain no comma or double quote; "
                    "choose another one"
                )


def _redact(text: str, secrets: Iterable[str]) -> str:
    """The StorageTool echoes a credential it cannot parse; keep passwords out of errors and logs."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
