"""The whole pipeline against a broker that requires SCRAM-SHA-512, with credentials from settings.

The broker opens a SASL_PLAINTEXT listener whose user is created at format time (KRaft's
``--add-scram``); every client of the platform connects to that listener only: ``meridian topics``
and ``produce``, the edge's forwarder, the streaming service, the bronze sensor and landing, and the
stream-metrics landing. A client without credentials, or with a wrong password, is refused by the
broker and the command says what to check. TLS (SSL, SASL_SSL) adds only certificate settings on top
of the same code path; it is not exercised here (no certificates are made by the tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import httpx
import pytest
from pydantic import SecretStr

from orchestration.definitions import build_definitions
from orchestration.runner import run_pending
from orchestration.settings import PlatformSettings
from streaming.edge.client import EdgeClient, PostReport
from streaming.generator import TrafficSpec, generate
from streaming.kafka.admin import end_offsets
from streaming.kafka.broker import LocalBroker
from streaming.kafka.settings import KafkaSettings
from tests.helpers import SCRAM_PASSWORD, SCRAM_USER, kafka_env, read_layer
from tests.streaming.edge.edge_helpers import KEY, InProcessEdge, edge_settings, metric, wait_for
from tests.streaming.realtime.service_helpers import StreamProcess, end_of, stream_settings, tick

pytestmark = pytest.mark.integration

USER, PASSWORD = SCRAM_USER, SCRAM_PASSWORD
TOPIC = "secure.events.v1"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture()
def broker(scram_broker: LocalBroker) -> LocalBroker:
    return scram_broker


def secured(broker: LocalBroker, **changes: object) -> KafkaSettings:
    fields: dict[str, object] = {
        "bootstrap_servers": broker.sasl_bootstrap_servers,
        "events_topic": TOPIC,
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_username": USER,
        "sasl_password": SecretStr(PASSWORD),
        "bootstrap_timeout_seconds": 5.0,
        **changes,
    }
    return KafkaSettings(**fields)


def meridian(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MERIDIAN_", "KAFKA_"))}
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli.main", *args],
        env={**clean, "TYPER_USE_RICH": "0", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_clients_without_the_right_credentials_are_refused_with_what_to_check(
    broker: LocalBroker, tmp_path: Path
) -> None:
    timeout = {"MERIDIAN_KAFKA_BOOTSTRAP_TIMEOUT_SECONDS": "3"}
    anonymous = meridian(
        "topics", env={"KAFKA_BOOTSTRAP_SERVERS": broker.sasl_bootstrap_servers, **timeout}, cwd=tmp_path
    )
    wrong = meridian(
        "topics", env={**kafka_env(secured(broker, sasl_password=SecretStr("not-it"))), **timeout}, cwd=tmp_path
    )
    for refused in (anonymous, wrong):
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "could not connect to Kafka" in refused.stderr and "MERIDIAN_KAFKA_SASL_USERNAME" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert PASSWORD not in wrong.stderr + anonymous.stderr and "not-it" not in wrong.stderr


def test_the_pipeline_runs_against_the_scram_listener(broker: LocalBroker, tmp_path: Path) -> None:
    kafka = secured(broker)
    env = kafka_env(kafka)
    created = meridian("topics", "--partitions", "6", env=env, cwd=tmp_path)
    assert created.returncode == 0 and f"topic {TOPIC} ready" in created.stdout, created.stderr

    # meridian produce: a file of generated events over 30 minutes of event time
    records = list(generate(TrafficSpec(count=3000, seed=5, start=START, days=30 / 1440, ordered=True, malformed=0.01)))
    lines = tmp_path / "events.jsonl"
    lines.write_bytes(b"\n".join(r.value.replace(b"\n", b" ") for r in records) + b"\n")
    produced = meridian("produce", str(lines), env=env, cwd=tmp_path)
    assert produced.returncode == 0 and "acknowledged 3000, failed 0" in produced.stdout, produced.stderr

    settings = PlatformSettings.under(tmp_path, kafka.bootstrap_servers, TOPIC)
    settings = stream_settings(settings.replaced(kafka=kafka.model_dump()))

    # the edge forwards through the same listener
    edge = InProcessEdge(edge_settings(settings, tmp_path / "buffer"))
    try:
        client, report = EdgeClient(edge.url, KEY), PostReport()
        live = [r.value for r in generate(TrafficSpec(count=200, seed=6, malformed=0, live=True))]
        client.send(live, report)
        client.close()
        assert report.accepted == 200
        wait_for(
            lambda: metric(httpx.get(edge.url + "/metrics").text, "meridian_edge_events_forwarded_total") == 200,
            60,
            "forwarding",
        )
    finally:
        edge.stop()

    # the streaming service consumes, checkpoints and emits through it
    by_partition: dict[int, list[tuple[bytes, bool]]] = {}
    tick(settings, by_partition, end_of(START, 30 / 1440), 6)
    service = StreamProcess(settings, tmp_path / "stream.log").start()
    try:
        service.wait_for("all six partitions", lambda: len(service.partitions()) == 6)
        service.wait_for("emitted windows", lambda: service.metric("meridian_stream_windows_emitted_total") > 0)
        service.wait_for("a checkpoint", lambda: service.metric("meridian_stream_checkpoints_total") >= 2)
        assert service.get("/v1/metrics/realtime").status_code == 200
    finally:
        service.stop()
    assert sum(end_offsets(kafka, settings.stream.metrics_topic).values()) > 0

    # Dagster: the sensor plans ranges, bronze lands them, the metrics topic lands too
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        sensor = defs.resolve_sensor_def("bronze_events_sensor")
        tick_result = sensor(dg.build_sensor_context(instance=instance, resources=defs.resources))
        assert isinstance(tick_result, dg.SensorResult) and tick_result.run_requests
        landing = defs.resolve_job_def("stream_metrics_job").execute_in_process(instance=instance, raise_on_error=False)
    summary = run_pending(settings, warehouse=False)
    assert summary.success, summary.render()
    landed = read_layer(settings.lake.root, "us", "events", TOPIC)
    quarantined = read_layer(settings.lake.root, "us", "quarantine", TOPIC)
    assert landed.num_rows + quarantined.num_rows == 3000 + 200 + 6
    assert set(landed.column("edge_id").to_pylist()) >= {None, settings_edge_id()}
    (materialization,) = landing.asset_materializations_for_node("streaming__region_minute")
    assert materialization.metadata["dagster/row_count"].value > 0  # type: ignore[union-attr]


def settings_edge_id() -> str:
    from streaming.edge.settings import EdgeSettings

    return EdgeSettings().id
