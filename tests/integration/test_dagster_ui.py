"""What the Dagster UI shows, asked of a real dagster-webserver through its GraphQL API.

The webserver serves the UI from this same GraphQL endpoint; the browser-level test (headless
Chromium) arrives with the silver/gold issue.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from orchestration.runner import run_pending
from orchestration.settings import Settings
from streaming.generator import TrafficSpec, generate
from streaming.kafka.broker import free_port
from tests.helpers import produce_and_place, settings_env

pytestmark = pytest.mark.integration

QUERY = """
query Bronze {
  assetNodes(assetKeys: [{path: ["bronze", "events"]}]) {
    groupName
    description
    assetChecksOrError { ... on AssetChecks { checks { name blocking executionForLatestMaterialization { status } } } }
  }
  assetOrError(assetKey: {path: ["bronze", "events"]}) {
    ... on Asset { assetMaterializations(limit: 1) { metadataEntries { label } } }
  }
}
"""


def test_the_ui_shows_bronze_with_its_check_and_metadata(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    produce_and_place(
        settings.kafka_bootstrap_servers,
        settings.events_topic,
        list(generate(TrafficSpec(count=500, seed=3, malformed=0.05))),
    )
    assert run_pending(settings, warehouse=False).success
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        **settings_env(settings),
    }
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster_webserver",
            "-m",
            "orchestration.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline, data = time.monotonic() + 120, None
        while time.monotonic() < deadline:
            try:
                response = httpx.post(url, json={"query": QUERY}, timeout=10)
                body = response.json()
                if response.status_code == 200 and body.get("data", {}).get("assetNodes"):
                    data = body["data"]
                    break
            except (httpx.HTTPError, ValueError):
                pass
            assert web.poll() is None, "dagster-webserver exited"
            time.sleep(0.5)
        assert data is not None, "the webserver did not serve the bronze asset in time"
    finally:
        web.terminate()
        web.wait(timeout=30)

    node = data["assetNodes"][0]
    assert node["groupName"] == "bronze"
    assert "Kafka" in node["description"]
    checks = node["assetChecksOrError"]["checks"]
    assert [(c["name"], c["blocking"]) for c in checks] == [("bronze_events_offset_coverage", True)]
    assert checks[0]["executionForLatestMaterialization"]["status"] == "SUCCEEDED"
    labels = {e["label"] for e in data["assetOrError"]["assetMaterializations"][0]["metadataEntries"]}
    assert {"dagster/row_count", "quarantined", "quarantined_by_reason", "ranges", "bytes_written", "files"} <= labels
