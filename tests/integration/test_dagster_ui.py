"""What a user sees in the Dagster UI, from a real dagster-webserver on a free loopback port.

Two views of the same server: its GraphQL API (exact facts about assets, checks, metadata) and
Debian's Chromium driven headless by Playwright (the page a person looks at, with a screenshot
saved under artifacts/ui/). No browser is downloaded: Playwright is pointed at /usr/bin/chromium.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from orchestration.runner import run_pending
from orchestration.settings import PlatformSettings
from streaming.generator import TrafficSpec, generate
from streaming.kafka.broker import free_port
from tests.helpers import REPO_ROOT, platform_settings, produce_and_place, query_warehouse, settings_env

pytestmark = pytest.mark.integration

ARTIFACTS = REPO_ROOT / "artifacts" / "ui"
CHROMIUM = "/usr/bin/chromium"
QUERY = """
query Asset($path: [String!]!) {
  assetNodes(assetKeys: [{path: $path}]) {
    groupName
    description
    assetChecksOrError { ... on AssetChecks { checks { name blocking executionForLatestMaterialization { status } } } }
  }
  assetOrError(assetKey: {path: $path}) {
    ... on Asset { assetMaterializations(limit: 1) { metadataEntries { label ... on IntMetadataEntry { intValue } } } }
  }
}
"""


@pytest.fixture(scope="module")  # --dist loadscope keeps a module on one worker
def webserver(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, PlatformSettings]]:
    """A webserver over an instance where bronze, silver and gold have all been materialized."""
    from streaming.kafka.admin import ensure_topic

    tmp = tmp_path_factory.mktemp("ui")
    # two regions (eu's lake a second folder, landed by another deployment): the replication group shows too
    settings = platform_settings(kafka_broker.bootstrap_servers, "ui.events.v1", tmp, lake={"regions": ["us", "eu"]})
    ensure_topic(settings.kafka, settings.kafka.events_topic, 6)
    home = tmp / "dagster_home"
    home.mkdir()
    old_home = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        produce_and_place(
            settings.kafka.bootstrap_servers,
            settings.kafka.events_topic,
            list(generate(TrafficSpec(count=1500, seed=3, malformed=0.03, days=2))),
        )
        assert run_pending(settings).success
    finally:
        if old_home is None:
            os.environ.pop("DAGSTER_HOME")
        else:
            os.environ["DAGSTER_HOME"] = old_home
    port = free_port()
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
        env={**os.environ, **settings_env(settings), "DAGSTER_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert web.poll() is None, "dagster-webserver exited"
            if graphql(base, ["bronze", "events"]).get("assetNodes"):
                break
            time.sleep(0.5)
        else:
            pytest.fail("the webserver did not serve the assets in time")
        yield base, settings
    finally:
        web.terminate()
        web.wait(timeout=30)


def graphql(base: str, path: list[str]) -> dict[str, Any]:
    try:
        response = httpx.post(f"{base}/graphql", json={"query": QUERY, "variables": {"path": path}}, timeout=10)
        return response.json().get("data") or {}
    except (httpx.HTTPError, ValueError):
        return {}


def test_bronze_shows_its_blocking_check_and_metadata(webserver: tuple[str, PlatformSettings]) -> None:
    data = graphql(webserver[0], ["bronze", "events"])
    node = data["assetNodes"][0]
    assert node["groupName"] == "bronze"
    assert "Kafka" in node["description"]
    checks = node["assetChecksOrError"]["checks"]
    assert {c["name"]: c["blocking"] for c in checks} == {
        "bronze_events_offset_coverage": True,
        "bronze_schema_matches_contract": True,  # quality rules: ERROR ones block
        "bronze_parse_rate": False,
        "bronze_quarantine_ratio": False,
    }
    assert all(c["executionForLatestMaterialization"]["status"] == "SUCCEEDED" for c in checks)
    labels = {e["label"] for e in data["assetOrError"]["assetMaterializations"][0]["metadataEntries"]}
    assert {"dagster/row_count", "quarantined", "quarantined_by_reason", "ranges", "bytes_written", "files"} <= labels


def test_gold_assets_show_dbt_tests_as_passed_checks(webserver: tuple[str, PlatformSettings]) -> None:
    data = graphql(webserver[0], ["gold", "fct_events"])
    node = data["assetNodes"][0]
    assert node["groupName"] == "gold"
    checks = {c["name"]: c["executionForLatestMaterialization"]["status"] for c in node["assetChecksOrError"]["checks"]}
    assert checks["unique_fct_events_event_id"] == "SUCCEEDED"
    assert all(status == "SUCCEEDED" for status in checks.values()), checks
    assert data["assetOrError"]["assetMaterializations"], "gold/fct_events was never materialized"
    entries = data["assetOrError"]["assetMaterializations"][0]["metadataEntries"]
    row_count = next(e["intValue"] for e in entries if e["label"] == "dagster/row_count")
    assert [(row_count,)] == query_warehouse(webserver[1], "select count(*) from gold.fct_events")
    assert graphql(webserver[0], ["silver", "stg_events"])["assetNodes"][0]["groupName"] == "silver"


def test_replication_shows_its_checks_and_lag_metadata(webserver: tuple[str, PlatformSettings]) -> None:
    data = graphql(webserver[0], ["replication", "us_to_eu"])
    node = data["assetNodes"][0]
    assert node["groupName"] == "replication" and "manifest" in node["description"]
    checks = {c["name"]: c for c in node["assetChecksOrError"]["checks"]}
    assert {name: c["blocking"] for name, c in checks.items()} == {
        "replica_complete": True,
        "replica_checksums_and_rows": True,
        "replica_no_orphans": False,
        "replica_lag": False,
    }
    assert all(c["executionForLatestMaterialization"]["status"] == "SUCCEEDED" for c in checks.values()), checks
    entries = data["assetOrError"]["assetMaterializations"][0]["metadataEntries"]
    assert {"lag_seconds", "bytes_copied", "files_copied", "replicated_up_to"} <= {e["label"] for e in entries}
    files = next(e["intValue"] for e in entries if e["label"] == "files_copied")
    assert files >= 1  # run-once copied us's landed ranges into eu


def dismiss_welcome(page: Any) -> None:
    """Close the "join the community" dialog a fresh browser profile gets, if it shows up."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.first.wait_for(timeout=5_000)
    except Exception:  # playwright TimeoutError: no dialog this time
        return
    skip.first.click()


def test_a_person_sees_the_layers_and_a_gold_asset_with_its_checks(webserver: tuple[str, PlatformSettings]) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    base = webserver[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{base}/asset-groups", wait_until="networkidle", timeout=120_000)
            dismiss_welcome(page)
            for group in ("bronze", "replication", "silver", "gold"):
                page.get_by_text(group, exact=True).first.wait_for(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "asset-groups.png"), full_page=True)

            page.goto(f"{base}/assets/gold/fct_events", wait_until="networkidle", timeout=120_000)
            dismiss_welcome(page)
            page.get_by_text("Latest materialization").first.wait_for(timeout=60_000)
            page.get_by_text("Latest check results").first.wait_for(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "gold-fct_events.png"), full_page=True)

            page.goto(f"{base}/assets/replication/us_to_eu", wait_until="networkidle", timeout=120_000)
            dismiss_welcome(page)
            page.get_by_text("Latest materialization").first.wait_for(timeout=60_000)
            page.get_by_text("lag_seconds").first.wait_for(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "replication-us_to_eu.png"), full_page=True)

            page.goto(f"{base}/assets/replication/us_to_eu?view=checks", wait_until="networkidle", timeout=120_000)
            dismiss_welcome(page)
            page.get_by_text("replica_lag").first.wait_for(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "replication-us_to_eu-checks.png"), full_page=True)

            page.goto(f"{base}/assets/gold/fct_events?view=checks", wait_until="networkidle", timeout=120_000)
            dismiss_welcome(page)
            page.get_by_text("unique_fct_events_event_id").first.wait_for(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "gold-fct_events-checks.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "gold-fct_events-checks.png").stat().st_size > 10_000
    assert (ARTIFACTS / "replication-us_to_eu-checks.png").stat().st_size > 10_000
