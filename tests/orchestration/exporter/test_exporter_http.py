"""The exporter over HTTP, scraped as Prometheus scrapes it, against real lakes and a real Dagster instance.

The lakes are landed and replicated by the project's own code; the instance (SQLite, in a temporary
DAGSTER_HOME) holds real materializations and asset check evaluations made by ``dagster.materialize``. The app
is served in this process; ``meridian exporter`` as a process is what tests/orchestration/test_platform.py's
Prometheus scrapes (``meridian up`` starts it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from orchestration.exporter.collector import LakeCollector
from orchestration.exporter.server import build_app
from orchestration.exporter.sources import build_sources
from streaming.kafka.broker import free_port
from tests.orchestration.exporter.exporter_lakes import TOPIC, Lakes, build_lakes, record_builds
from tests.streaming.edge.edge_helpers import wait_for

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass(frozen=True)
class World:
    lakes: Lakes
    dagster_home: Path
    instance: dg.DagsterInstance
    built: dict[str, float]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    home = tmp_path_factory.mktemp("exporter")
    lakes = build_lakes(home / "lakes")
    dagster_home = home / "dagster"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    return World(lakes, dagster_home, instance, record_builds(instance))


def scrape(url: str) -> Samples:
    response = httpx.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def check_expected(samples: Samples, world: World) -> None:
    """What both servers must say about the same lakes and instance."""
    lakes = world.lakes

    def one(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert one("meridian_lake_bronze_landed_offset", lake_region="us", topic=TOPIC, partition="0") == 25
    assert one("meridian_lake_bronze_landed_offset", lake_region="us", topic=TOPIC, partition="1") == 4
    assert one("meridian_lake_bronze_landed_offset", lake_region="eu", topic=TOPIC, partition="0") == 6
    landed = one("meridian_lake_bronze_last_landed_timestamp_seconds", lake_region="us")
    assert landed == pytest.approx(lakes.us_last_landed.timestamp(), abs=0.01)
    for (source, target), since in (
        (("us", "eu"), lakes.us_to_eu_waiting_since),
        (("eu", "us"), lakes.eu_to_us_waiting_since),
    ):
        age = time.time() - since.timestamp()
        lag = one("meridian_lake_replication_lag_seconds", source_region=source, target_region=target)
        assert age - 120 < lag <= age + 1
    # The second gold build; the silver build after it is no gold build.
    assert one("meridian_lake_gold_last_build_timestamp_seconds") == pytest.approx(world.built["gold"], abs=1e-3)
    assert world.built["silver"] > world.built["gold"]
    assert one("meridian_quality_check_failed", asset="gold/fct_events", check="no_null_ids") == 0
    assert one("meridian_quality_check_failed", asset="gold/fct_events", check="revenue_matches") == 1
    errors = {dict(k[1])["source"]: v for k, v in samples.items() if k[0] == "meridian_exporter_scrape_errors_total"}
    sources = ["lake:us", "lake:eu", "replication:us->eu", "replication:eu->us", "dagster:gold", "dagster:checks"]
    assert errors == dict.fromkeys([*sources, "exporter"], 0.0)


def test_metrics_served_in_process(world: World) -> None:
    collector = LakeCollector(build_sources(world.lakes.settings, lambda: world.instance), cache_seconds=0)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(collector), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, 20, "the exporter's HTTP server")
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{url}/healthz", timeout=10).text == "ok"
        check_expected(scrape(url), world)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
