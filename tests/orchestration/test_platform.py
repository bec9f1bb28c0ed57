"""``meridian up`` end to end: traffic flows through the edge into Kafka, the stream, bronze, silver and
gold; Ctrl-C stops everything. With two regions, each gets its own broker, edge and generator."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import httpx
import orjson
import psutil
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from orchestration.defs.warehouse.project import model_key
from orchestration.lib.warehouse_engines import DuckDBWarehouse, WarehouseLockedError
from orchestration.settings import PlatformSettings
from streaming.kafka.broker import default_libs, free_port
from streaming.kafka.topics import EVENTS_RAW
from tests.helpers import metric_sum, settings_env

pytestmark = pytest.mark.integration

# The first build (seeds, silver, its checks, gold: three dbt runs) took 230-250 s on 2 cores shared with
# the other test worker; the bound is for a hang, not a speed measurement (see bench/).
GOLD_WITHIN_S = 420
POLL_S = 2.0


def gold_rows_on(settings: PlatformSettings, days: set[date]) -> int:
    """Rows of gold.fct_events on ``days``; 0 while gold does not exist yet or dbt holds DuckDB's write lock."""
    path = settings.warehouse.duckdb_path
    if not path.exists():
        return 0
    try:
        return DuckDBWarehouse(str(path), lock_timeout_s=0).count_rows("gold", "fct_events", (min(days), max(days)))
    except WarehouseLockedError:
        return 0  # a dbt build is writing: read again at the next poll
    except duckdb.CatalogException:
        return 0  # gold.fct_events is not built yet


def gold_materialized(dagster_home: Path) -> bool:
    """Dagster recorded gold.fct_events, so dbt has let go of the file; reading it earlier could hold
    DuckDB's lock just as dbt opens it for writing, and fail that build."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        return bool(instance.fetch_materializations(model_key("fct_events"), limit=1).records)


def warehouse_runs(dagster_home: Path) -> list[tuple[str, float, float]]:
    """(job, start, end) of every run of dbt builds the platform's instance recorded."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        records = [
            record
            for job in ("warehouse_bootstrap_job", "warehouse_job", "reference_job")
            for record in instance.get_run_records(filters=dg.RunsFilter(job_name=job))
        ]
        return sorted(
            (r.dagster_run.job_name, r.start_time, r.end_time or time.time()) for r in records if r.start_time
        )


def test_up_runs_generator_and_dagster_and_ctrl_c_stops_every_process(
    settings: PlatformSettings, tmp_path: Path
) -> None:
    port, stream_port, edge_port = free_port(), free_port(), free_port()
    prometheus_port, exporter_port = free_port(), free_port()
    env = {
        **os.environ,
        **settings_env(settings),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "MERIDIAN_EDGE_BUFFER_DIR": str(tmp_path / "edge-buffer"),
    }
    up = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orchestration.cli.main",
            "up",
            "--port",
            str(port),
            "--stream-port",
            str(stream_port),
            "--edge-port",
            str(edge_port),
            "--generator-rate",
            "20",  # enough to see it everywhere; the CPU goes to the builds the test waits for
            "--prometheus-port",
            str(prometheus_port),
            "--exporter-port",
            str(exporter_port),
        ],  # fmt: skip
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lake = settings.lake.root / "us" / "bronze" / "events"
    children: list[psutil.Process] = []
    started = time.monotonic()
    days = {datetime.now(UTC).date()}
    try:
        deadline = started + GOLD_WITHIN_S
        ui_ok = live = through_edge = scraped = False
        gold_today = 0
        for _ in range(int(GOLD_WITHIN_S / POLL_S) + 1):
            if time.monotonic() >= deadline:
                break
            assert up.poll() is None, up.stdout.read() if up.stdout else ""
            children = psutil.Process(up.pid).children(recursive=True) or children
            if not ui_ok:
                try:
                    ui_ok = httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=5).status_code == 200
                except httpx.HTTPError:
                    pass
            if not live:
                try:
                    body = httpx.get(f"http://127.0.0.1:{stream_port}/v1/metrics/realtime", timeout=5).json()
                    live = sum(w["events"] for w in body.get("windows", [])) > 0
                except (httpx.HTTPError, ValueError):
                    pass
            if not through_edge:
                try:
                    text = httpx.get(f"http://127.0.0.1:{edge_port}/metrics", timeout=5).text
                    through_edge = any(
                        line.startswith("meridian_edge_events_forwarded_total ") and float(line.split()[1]) > 0
                        for line in text.splitlines()
                    )
                except httpx.HTTPError:
                    pass
            if not scraped:
                scraped = scraped_jobs(prometheus_port) == {"meridian-edge", "meridian-stream", "meridian-exporter"}
            days.add(datetime.now(UTC).date())  # today, for a test that runs across midnight (UTC)
            if ui_ok and not gold_today and gold_materialized(tmp_path / "dagster"):
                gold_today = gold_rows_on(settings, days)
            if ui_ok and live and through_edge and scraped and gold_today:
                break
            time.sleep(POLL_S)
        assert ui_ok, "the Dagster UI never answered"
        assert live, "the streaming API never showed the generated traffic"
        assert through_edge, "the edge collector never forwarded the generator's traffic to Kafka"
        assert scraped, f"Prometheus never scraped the edge, stream and exporter: {scraped_jobs(prometheus_port)}"
        assert any(lake.rglob("*.parquet")), "the sensor never landed generated traffic in bronze"
        assert gold_today > 0, f"gold.fct_events had no rows for today ({sorted(days)}) {GOLD_WITHIN_S} s after start"
    finally:
        up.send_signal(signal.SIGINT)
        out, _ = up.communicate(timeout=90)
    assert "Meridian is running" in out
    assert "stopped every process Meridian started" in out
    assert up.returncode == 0, out
    assert "edge collector" in out and "Authorization: Bearer mk_" in out
    assert f"Prometheus     http://127.0.0.1:{prometheus_port}" in out
    assert len(children) >= 5  # edge, generator, stream, dagster dev, and dagster's webserver/daemon/code server
    still_running = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert still_running == [], [p.cmdline() for p in still_running]
    # gold came from warehouse_sensor's first run (reference tables, silver, gold), and dbt builds never overlapped
    runs = warehouse_runs(tmp_path / "dagster")
    assert runs and runs[0][0] == "warehouse_bootstrap_job", runs
    assert all(end <= nxt for (_, _, end), (_, nxt, _) in zip(runs, runs[1:], strict=False)), runs


def scraped_jobs(prometheus_port: int) -> set[str]:
    """The jobs whose every target the platform's Prometheus scraped successfully (empty until it answers)."""
    try:
        body = httpx.get(f"http://127.0.0.1:{prometheus_port}/api/v1/targets", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return set()
    targets = body["data"]["activeTargets"]
    down = {t["labels"]["job"] for t in targets if t["health"] != "up"}
    return {t["labels"]["job"] for t in targets} - down


TWO_REGIONS_WITHIN_S = 120


def free_base_port(*offsets: int) -> int:
    """A port ``p`` such that ``p + offset`` is free on 127.0.0.1 right now for every offset."""

    def free(port: int) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
            return True

    for _ in range(200):
        base = free_port()
        if base + max(offsets) < 65536 and all(free(base + offset) for offset in offsets):
            return base
    raise AssertionError(f"no free ports at offsets {offsets} of any base port")


def broker_topics(bootstrap: str) -> set[str]:
    """The topics a broker lists: it answers a real metadata request, or this raises."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        assert admin.describe_cluster()["brokers"], f"{bootstrap} lists no broker"
        return set(admin.list_topics())
    finally:
        admin.close()


def events_in(bootstrap: str, topic: str) -> dict[str, dict[str, object]]:
    """Every event of ``topic`` up to its current end, by event_id."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=1000)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        events: dict[str, dict[str, object]] = {}
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < ends[tp] for tp in partitions) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    event = orjson.loads(record.value)
                    events[str(event.get("event_id"))] = event
        return events
    finally:
        consumer.close()


def post_event(edge_url: str, key: str, event: dict[str, object]) -> int | None:
    """The edge's status for one event, or None while it does not answer yet."""
    try:
        return httpx.post(
            f"{edge_url}/v1/events", json=[event], headers={"Authorization": f"Bearer {key}"}, timeout=5
        ).status_code
    except httpx.HTTPError:
        return None


def forwarded(edge_url: str) -> float:
    try:
        return metric_sum(httpx.get(f"{edge_url}/metrics", timeout=5).text, "meridian_edge_events_forwarded_total")
    except httpx.HTTPError:
        return 0.0


def test_up_with_two_regions_starts_a_broker_edge_and_generator_per_region_and_ctrl_c_stops_them(
    tmp_path: Path,
) -> None:
    kafka_port = free_base_port(0, 1, 100, 101)  # us on +0/+1, eu on +100/+101 (the platform's stride)
    edge_port = free_base_port(0, 1)
    port, stream_port = free_port(), free_port()
    eu_store = tmp_path / "eu-store"
    env = {
        **{k: v for k, v in os.environ.items() if "KAFKA" not in k and k != "DAGSTER_HOME"},
        "MERIDIAN_KAFKA_LIBS": str(default_libs().absolute()),
        "MERIDIAN_REGIONS": json.dumps(["us", "eu"]),
        "MERIDIAN_PRIMARY_REGION": "us",
        "MERIDIAN_AGGREGATION_REGION": "eu",
        "MERIDIAN_REGION_STORES": json.dumps({"eu": f"file://{eu_store}"}),
        "MERIDIAN_LAKE_ROOT": str(tmp_path / "lake"),
        "MERIDIAN_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    # Run where .local/ is this test's own: the brokers, edge buffers and logs land in tmp_path.
    up = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orchestration.cli.main",
            "up",
            "--port",
            str(port),
            "--stream-port",
            str(stream_port),
            "--edge-port",
            str(edge_port),
            "--kafka-port",
            str(kafka_port),
            "--generator-rate",
            "10",
        ],  # fmt: skip
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert up.stdout is not None
        for line in up.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    bootstrap = {"us": f"127.0.0.1:{kafka_port}", "eu": f"127.0.0.1:{kafka_port + 100}"}
    edges = {"us": f"http://127.0.0.1:{edge_port}", "eu": f"http://127.0.0.1:{edge_port + 1}"}
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + TWO_REGIONS_WITHIN_S
        while not any("Press Ctrl-C" in line for line in lines):
            assert up.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        out = "".join(lines)
        assert "region us (primary)" in out and "region eu (aggregation region)" in out, out
        assert str(tmp_path / "lake" / "us") in out and f"file://{eu_store}" in out, out
        assert all(f"Kafka        {servers} (local KRaft broker" in out for servers in bootstrap.values()), out
        assert "primary region us only" in out, out  # the streaming service
        key = re.search(r"Authorization: Bearer (mk_\S+)", out)
        assert key, out

        for region, servers in bootstrap.items():
            assert EVENTS_RAW in broker_topics(servers), f"no {EVENTS_RAW} on {region}'s broker {servers}"
        sent = {}
        for region, url in edges.items():
            event = {
                "event_id": str(uuid.uuid4()),
                "event_type": "page_view",
                "occurred_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "region": region,
                "user_id": f"u-{region}-platform-test",
                "schema_version": 1,
            }
            status = None
            while status is None and time.monotonic() < deadline:
                status = post_event(url, key.group(1), event)
                time.sleep(0 if status else 0.5)
            assert status == 200, f"{region}'s edge at {url} answered {status}"
            sent[region] = str(event["event_id"])
        # each edge forwards to its own region's broker, and only there
        for region, servers in bootstrap.items():
            landed: dict[str, dict[str, object]] = {}
            while sent[region] not in landed and time.monotonic() < deadline:
                landed = events_in(servers, EVENTS_RAW)
            assert sent[region] in landed, f"the event posted to {region}'s edge never reached {servers}"
            assert landed[sent[region]]["edge_region"] == region
            assert all(event_id not in landed for other, event_id in sent.items() if other != region)
        # both generators post through their own edge
        while not all(forwarded(url) > 1 for url in edges.values()) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert all(forwarded(url) > 1 for url in edges.values()), "a generator's traffic never reached its edge"

        # every child was told both regions' brokers, and each edge forwards to its own
        direct = psutil.Process(up.pid).children()
        jvms = [p for p in direct if "kafka.Kafka" in p.cmdline()]
        assert len(jvms) == 2, [p.cmdline() for p in direct]
        for child in direct:
            if child in jvms or child.name() == "prometheus":  # Prometheus scrapes; it reads no Kafka
                continue
            child_env = child.environ()
            assert json.loads(child_env["MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS"]) == {"eu": bootstrap["eu"]}
            if "edge" in child.cmdline():
                region = child_env["MERIDIAN_EDGE_REGION"]
                assert child_env["KAFKA_BOOTSTRAP_SERVERS"] == bootstrap[region], child.cmdline()
        assert sum("edge" in p.cmdline() for p in direct) == 2, [p.cmdline() for p in direct]
        assert any("dev" in p.cmdline() for p in direct), [p.cmdline() for p in direct]  # dagster dev
        children = psutil.Process(up.pid).children(recursive=True)
    finally:
        up.send_signal(signal.SIGINT)
        try:
            up.wait(timeout=90)
        finally:
            if up.poll() is None:
                up.kill()
            reader.join(timeout=10)
    out = "".join(lines)
    assert "stopped every process Meridian started" in out, out
    assert up.returncode == 0, out
    assert len(children) >= 8  # 2 brokers, 2 edges, 2 generators, the stream, dagster dev
    still_running = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert still_running == [], [p.cmdline() for p in still_running]
    for servers in bootstrap.values():
        host, port_text = servers.split(":")
        with pytest.raises(OSError):
            socket.create_connection((host, int(port_text)), timeout=1).close()
