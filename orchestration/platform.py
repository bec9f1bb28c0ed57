"""``meridian up``: the whole local platform as child processes, stopped together.

Kafka (unless ``KAFKA_BOOTSTRAP_SERVERS`` names a cluster), its topics, the edge collector,
the synthetic traffic generator (posting through the edge), the streaming service and
``dagster dev``. Every child runs in its own process group so that
Ctrl-C, or any child dying, stops all of them; nothing is left running.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from orchestration.settings import PlatformSettings, get_settings

log = logging.getLogger(__name__)
LOCAL = Path(".local")
# The local instance's config; like the dbt project, it sits in the repository beside the packages.
DAGSTER_YAML = Path(__file__).resolve().parents[1] / "deploy" / "local" / "dagster" / "dagster.yaml"


def _spawn(cmd: list[str], env: dict[str, str], logfile: Path) -> subprocess.Popen[bytes]:
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with logfile.open("ab") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """Interrupt a child as Ctrl-C would, then make sure its whole process tree is gone.

    ``dagster dev`` starts code servers in sessions of their own that would otherwise linger
    until their heartbeat times out, so every descendant is collected first and reaped here.
    """
    import psutil

    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for member in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.send_signal(signal.SIGINT if member.pid == proc.pid else signal.SIGTERM)
    _, alive = psutil.wait_procs(family, timeout=timeout_s)
    for member in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(alive, timeout=10)
    proc.poll()


def _warehouse_location(settings: PlatformSettings) -> str:
    if settings.warehouse.uses_bigquery:
        return f"BigQuery {settings.bigquery.project} (dbt target {settings.warehouse.dbt_target})"
    return str(settings.warehouse.duckdb_path.absolute())


def run_platform(generator_rate: float, port: int, stream_port: int | None = None, edge_port: int | None = None) -> int:
    import orjson

    from streaming.edge.auth import mint_key
    from streaming.edge.settings import EdgeSettings
    from streaming.kafka.admin import ensure_topic
    from streaming.kafka.broker import LocalBroker

    settings = get_settings()
    follow = settings.follow
    broker = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if not bootstrap:
            broker = LocalBroker(
                home=LOCAL / "kafka" / "broker",
                port=9092,
                controller_port=9093,
                partitions=settings.kafka.events_topic_partitions,
            )
            broker.start()
            bootstrap = broker.bootstrap_servers
        kafka = settings.kafka.model_copy(update={"bootstrap_servers": bootstrap})
        ensure_topic(kafka, kafka.events_topic, kafka.events_topic_partitions)
        dagster_home = Path(os.environ.get("DAGSTER_HOME") or LOCAL / "dagster")
        dagster_home.mkdir(parents=True, exist_ok=True)
        shutil.copy(DAGSTER_YAML, dagster_home / "dagster.yaml")
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "DAGSTER_HOME": str(dagster_home),
            "TYPER_USE_RICH": "0",
        }
        bindir = Path(sys.executable).parent
        logs = LOCAL / "logs"
        # The edge collector in front of Kafka, with a key minted for this run (printed below, so
        # you can post your own events); the generator's traffic goes through it.
        edge_settings = EdgeSettings()
        edge_port = edge_port or edge_settings.http_port
        edge_url = f"http://127.0.0.1:{edge_port}"
        edge_key, edge_entry = mint_key("local")
        keys = [*edge_settings.api_keys, edge_entry]
        edge_env = {**env, "MERIDIAN_EDGE_API_KEYS": orjson.dumps(keys).decode()}
        children.append(
            ("edge", _spawn([str(bindir / "meridian"), "edge", "--port", str(edge_port)], edge_env, logs / "edge.log"))
        )
        if generator_rate > 0:
            children.append(
                (
                    "generator",
                    _spawn(
                        [
                            str(bindir / "meridian"),
                            "generate",
                            "--rate",
                            str(generator_rate),
                            "--count",
                            "1000000000",
                            "--to",
                            edge_url,
                            "--batch-size",
                            str(max(1, int(generator_rate // 4))),
                        ],
                        {**env, "MERIDIAN_EDGE_API_KEY": edge_key},
                        logs / "generator.log",
                    ),
                )
            )
        stream_port = stream_port or settings.stream.http_port
        children.append(
            (
                "stream",
                _spawn(
                    [str(bindir / "meridian"), "stream", "--port", str(stream_port)],
                    env,
                    logs / "stream.log",
                ),
            )
        )
        children.append(
            (
                "dagster",
                _spawn(
                    [
                        str(bindir / "dagster"),
                        "dev",
                        "-m",
                        "orchestration.definitions",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(port),
                    ],
                    env,
                    logs / "dagster.log",
                ),
            )
        )
        print(
            "\n".join(
                [
                    "Meridian is running:",
                    f"  Kafka          {bootstrap}"
                    + (f" (local KRaft broker, log {broker.log_file})" if broker else ""),
                    f"  topic          {kafka.events_topic} ({kafka.events_topic_partitions} partitions)",
                    f"  edge collector {edge_url}/v1/events  (log {logs / 'edge.log'})",
                    f"                 Authorization: Bearer {edge_key}",
                    f"  generator      {generator_rate} events/s through the edge, log {logs / 'generator.log'}"
                    if generator_rate > 0
                    else "  generator      off",
                    f"  Dagster UI     http://127.0.0.1:{port}  (log {logs / 'dagster.log'})",
                    f"  real-time API  http://127.0.0.1:{stream_port}/v1/metrics/realtime  (log {logs / 'stream.log'})",
                    f"  DAGSTER_HOME   {dagster_home}",
                    f"  lake           {(settings.lake.root / settings.lake.primary_region).absolute()}",
                    f"  warehouse      {_warehouse_location(settings)}: silver and gold follow bronze "
                    f"(warehouse_sensor, a build at most every {follow.interval_seconds} s)",
                    "Press Ctrl-C to stop everything.",
                ]
            ),
            flush=True,
        )
        while not stopping:
            for name, proc in children:
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; stopping the platform (see {logs})", flush=True)
                    return 1
            if broker is not None and not broker.is_running():
                print(f"the Kafka broker died; see {broker.log_file}", flush=True)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        for _name, proc in reversed(children):
            _stop(proc)
        if broker is not None:
            broker.stop()
        print("stopped every process Meridian started", flush=True)
