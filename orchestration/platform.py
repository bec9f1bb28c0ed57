"""``meridian up``: the whole local platform as child processes, stopped together.

Kafka (unless ``KAFKA_BOOTSTRAP_SERVERS`` names a cluster), its topics, the edge collector,
the synthetic traffic generator (posting through the edge), the streaming service, ``dagster dev``,
the lake's Prometheus exporter and a Prometheus server scraping them with the chart's alert rules.
Every child runs in its own process group so that Ctrl-C, or any child dying, stops all of them;
nothing is left running.

With ``MERIDIAN_DAGSTER_STORAGE=postgres`` the Dagster instance keeps its runs and events in
PostgreSQL, as production does: the server ``MERIDIAN_DAGSTER_POSTGRES_URL`` names, or else a
local one started here (data in ``.local/postgres``, kept between runs) and stopped with the rest.

With several ``MERIDIAN_REGIONS`` and no ``KAFKA_BOOTSTRAP_SERVERS``, every region gets a local
broker of its own, an edge forwarding to it and a generator posting to that edge, and Dagster is
told every region's broker (``MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS``) so it lands them all;
:mod:`orchestration.lib.local_platform` says which ports and folders each region takes. With
``KAFKA_BOOTSTRAP_SERVERS`` set, the regions with a cluster configured get an edge and a generator.
The streaming service reads the primary region's Kafka only.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from orchestration.lib import processes
from orchestration.lib.dagster_instance import (
    POSTGRES_URL_ENV,
    DagsterStorage,
    instance_postgres_url,
    write_instance_yaml,
)
from orchestration.lib.local_monitoring import PrometheusError, start_mirrors, start_prometheus
from orchestration.lib.local_platform import (
    PlatformView,
    RegionView,
    broker_ports,
    external_clusters,
    region_slots,
    regional,
    regional_path,
    split_rate,
    store_location,
    summary,
    warehouse_location,
)
from orchestration.lib.local_prometheus import LocalPrometheus
from orchestration.settings import DagsterInstanceSettings, get_settings

log = logging.getLogger(__name__)
LOCAL = Path(".local")
# The local instance's config; like the dbt project, it sits in the repository beside the packages.
DAGSTER_YAML = Path(__file__).resolve().parents[1] / "deploy" / "local" / "dagster" / "dagster.yaml"
KAFKA_PORT = 9092  # the primary region's local broker; its controller on the next port
# The local PostgreSQL of the Dagster instance: not 5432, where Debian's own cluster listens once installed.
POSTGRES_PORT = 15432
PROMETHEUS_PORT = 9090
EXPORTER_PORT = 9108


def run_platform(
    generator_rate: float,
    port: int,
    stream_port: int | None = None,
    edge_port: int | None = None,
    kafka_port: int = KAFKA_PORT,
    prometheus_port: int = PROMETHEUS_PORT,
    exporter_port: int = EXPORTER_PORT,
) -> int:
    import orjson

    from orchestration.lib.local_postgres import LocalPostgres
    from streaming.edge.auth import mint_key
    from streaming.edge.settings import EdgeSettings
    from streaming.kafka.admin import ensure_topic
    from streaming.kafka.broker import LocalBroker
    from streaming.kafka.mirror import LocalMirrorMaker

    settings = get_settings()
    instance = DagsterInstanceSettings()
    postgres: LocalPostgres | None = None
    prometheus: LocalPrometheus | None = None
    mirrors: dict[str, LocalMirrorMaker] = {}
    follow = settings.follow
    primary = settings.lake.primary_region
    brokers: dict[str, LocalBroker] = {}
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if bootstrap:
            clusters = external_clusters(settings, bootstrap)
        else:
            for slot, region in enumerate(region_slots(settings.lake.regions, primary)):
                client_port, controller_port = broker_ports(kafka_port, slot)
                broker = brokers[region] = LocalBroker(
                    home=LOCAL / "kafka" / regional("broker", region, primary),
                    port=client_port,
                    controller_port=controller_port,
                    partitions=settings.kafka.events_topic_partitions,
                )
                broker.start()
                if stopping:
                    return 0
            clusters = {region: broker.bootstrap_servers for region, broker in brokers.items()}
            bootstrap = clusters[primary]
        kafka = settings.kafka.model_copy(update={"bootstrap_servers": bootstrap})
        for servers in clusters.values():
            regional_kafka = kafka.model_copy(update={"bootstrap_servers": servers})
            ensure_topic(regional_kafka, kafka.events_topic, kafka.events_topic_partitions)
        if len(brokers) > 1 and settings.mirror_sources(primary):  # DR on: production's MirrorMakers too
            mirrors = start_mirrors(clusters, kafka.events_topic, LOCAL / "kafka")
        dagster_home = Path(os.environ.get("DAGSTER_HOME") or LOCAL / "dagster")
        write_instance_yaml(dagster_home, DAGSTER_YAML.read_text(), instance.storage)
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "DAGSTER_HOME": str(dagster_home.absolute()),  # dagster refuses a relative one
            "TYPER_USE_RICH": "0",
        }
        storage_line = ""  # SQLite: files in DAGSTER_HOME, which the summary shows
        if instance.storage is DagsterStorage.POSTGRES:
            if instance.postgres_url is None:
                postgres = LocalPostgres(home=LOCAL / "postgres", port=POSTGRES_PORT)
                postgres.start()
                env[POSTGRES_URL_ENV] = instance_postgres_url(postgres.create_database("dagster"))
                storage_line = (
                    f"Dagster storage: PostgreSQL {env[POSTGRES_URL_ENV]} (data in {postgres.data_dir}, "
                    f"log {postgres.log_file}); in another shell export {POSTGRES_URL_ENV} to reach it"
                )
            else:
                storage_line = f"Dagster storage: PostgreSQL from {POSTGRES_URL_ENV}"
            if stopping:
                return 0
        if len(brokers) > 1:
            # Our brokers replace whatever the environment named: Dagster lands every region from them.
            others = {region: servers for region, servers in clusters.items() if region != primary}
            env["MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS"] = orjson.dumps(others).decode()
        bindir = Path(sys.executable).parent
        logs = LOCAL / "logs"
        # One edge collector per region in front of its Kafka, all taking a key minted for this run
        # (printed below, so you can post your own events); the generators' traffic goes through them.
        edge_settings = EdgeSettings()
        edge_port = edge_port or edge_settings.http_port
        edge_key, edge_entry = mint_key("local")
        keys = [*edge_settings.api_keys, edge_entry]
        # The rate is the platform's total, split evenly across the regions' edges.
        rate = split_rate(generator_rate, len(clusters)) if generator_rate > 0 else 0.0
        views = []
        edge_urls = [f"http://127.0.0.1:{edge_port + slot}" for slot in range(len(clusters))]
        for slot, (region, servers) in enumerate(clusters.items()):
            edge_name, generator_name = regional("edge", region, primary), regional("generator", region, primary)
            edge_url = f"http://127.0.0.1:{edge_port + slot}"
            edge_env = {
                **env,
                "KAFKA_BOOTSTRAP_SERVERS": servers,
                "MERIDIAN_EDGE_API_KEYS": orjson.dumps(keys).decode(),
                "MERIDIAN_EDGE_REGION": region,
            }
            edge_cmd = [str(bindir / "meridian"), "edge", "--port", str(edge_port + slot)]
            generator_extra: list[str] = []
            if region != primary:
                edge_env["MERIDIAN_EDGE_ID"] = f"edge-local-{region}"
                edge_cmd += ["--buffer-dir", str(regional_path(edge_settings.buffer_dir, region, primary))]
                generator_extra = ["--seed", str(slot)]  # its own users and event ids, not the primary's again
            children.append((edge_name, processes.spawn(edge_cmd, edge_env, logs / f"{edge_name}.log")))
            if rate > 0:
                children.append(
                    (
                        generator_name,
                        processes.spawn(
                            [
                                str(bindir / "meridian"),
                                "generate",
                                "--rate",
                                str(rate),
                                "--count",
                                "1000000000",
                                "--to",
                                # its own region's edge first, then the others': it fails over to them
                                ",".join(edge_urls[slot:] + edge_urls[:slot]),
                                "--batch-size",
                                str(max(1, int(rate // 4))),
                                *generator_extra,
                            ],
                            {**env, "MERIDIAN_EDGE_API_KEY": edge_key},
                            logs / f"{generator_name}.log",
                        ),
                    )
                )
            views.append(
                RegionView(
                    region=region,
                    store=store_location(settings, region),
                    kafka=servers,
                    broker_log=brokers[region].log_file if region in brokers else None,
                    edge_url=edge_url,
                    edge_log=logs / f"{edge_name}.log",
                    generator_rate=rate,
                    generator_log=logs / f"{generator_name}.log" if rate > 0 else None,
                )
            )
        stream_port = stream_port or settings.stream.http_port
        children.append(
            (
                "stream",
                processes.spawn(
                    [str(bindir / "meridian"), "stream", "--port", str(stream_port)],
                    env,
                    logs / "stream.log",
                ),
            )
        )
        children.append(
            (
                "dagster",
                processes.spawn(
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
        children.append(
            (
                "exporter",
                processes.spawn(
                    [str(bindir / "meridian"), "exporter", "--port", str(exporter_port)], env, logs / "exporter.log"
                ),
            )
        )
        edges = {view.region: view.edge_url for view in views if view.edge_url}
        try:
            prometheus = start_prometheus(
                LOCAL / "prometheus",
                prometheus_port,
                edges,
                primary,
                f"127.0.0.1:{stream_port}",
                f"127.0.0.1:{exporter_port}",
                mirrors,
            )
        except PrometheusError as exc:
            print(f"Prometheus: {exc}; running without it", flush=True)
        landed = set(clusters)
        views += [RegionView(r, store_location(settings, r)) for r in settings.lake.regions if r not in landed]
        print(
            summary(
                PlatformView(
                    regions=views,
                    primary=primary,
                    aggregation=settings.lake.aggregation,
                    topic=kafka.events_topic,
                    partitions=kafka.events_topic_partitions,
                    edge_key=edge_key,
                    generator_rate=generator_rate,
                    dagster_url=f"http://127.0.0.1:{port}",
                    stream_url=f"http://127.0.0.1:{stream_port}",
                    logs=logs,
                    dagster_home=dagster_home,
                    warehouse=warehouse_location(settings),
                    warehouse_interval_s=follow.interval_seconds,
                    exporter_url=f"http://127.0.0.1:{exporter_port}",
                    prometheus_url=prometheus.url if prometheus else None,
                    prometheus_log=prometheus.log_file if prometheus else None,
                    mirrors=tuple((r, str(m.metrics_url), m.log_file) for r, m in mirrors.items()),
                )
            ),
            flush=True,
        )
        if storage_line:
            print(storage_line, flush=True)
        while not stopping:
            for name, proc in children:
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; stopping the platform (see {logs})", flush=True)
                    return 1
            for region, broker in brokers.items():
                if not broker.is_running():
                    which = "" if region == primary else f" of region {region}"
                    print(f"the Kafka broker{which} died; see {broker.log_file}", flush=True)
                    return 1
            for region, mirror in mirrors.items():
                if not mirror.is_running():
                    print(f"MirrorMaker into {region} died; see {mirror.log_file}", flush=True)
                    return 1
            if prometheus is not None and not prometheus.is_running():
                print(f"Prometheus died; see {prometheus.log_file}", flush=True)
                return 1
            if postgres is not None and not postgres.is_running():
                print(f"Dagster's PostgreSQL died; see {postgres.log_file}", flush=True)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        for _name, proc in reversed(children):
            processes.stop(proc)
        if prometheus is not None:
            prometheus.stop()
        for mirror in mirrors.values():
            mirror.stop()
        if postgres is not None:
            postgres.stop()
        for broker in reversed(brokers.values()):
            broker.stop()
        print("stopped every process Meridian started", flush=True)
