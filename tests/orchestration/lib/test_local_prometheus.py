"""The local Prometheus's configuration: what ``meridian up`` scrapes, checked by Prometheus's own ``promtool``."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import orjson

from orchestration.lib.local_prometheus import RULES, find_binary, local_targets, prometheus_config


def test_every_edge_is_scraped_with_its_region_and_the_stream_and_exporter_once() -> None:
    targets = local_targets(
        {"us": "http://127.0.0.1:8090", "eu": "http://127.0.0.1:8091"}, "us", "127.0.0.1:8081", "127.0.0.1:9108"
    )
    config = prometheus_config(targets, [RULES], interval_s=2)
    jobs = {job["job_name"]: job["static_configs"] for job in config["scrape_configs"]}
    assert jobs["meridian-edge"] == [
        {"targets": ["127.0.0.1:8090"], "labels": {"region": "us"}},
        {"targets": ["127.0.0.1:8091"], "labels": {"region": "eu"}},
    ]
    assert jobs["meridian-stream"] == [{"targets": ["127.0.0.1:8081"], "labels": {"region": "us"}}]
    assert jobs["meridian-exporter"] == [{"targets": ["127.0.0.1:9108"], "labels": {"region": "us"}}]
    assert config["global"] == {"scrape_interval": "2s", "evaluation_interval": "2s"}


def test_promtool_accepts_the_config_with_the_charts_rules(tmp_path: Path) -> None:
    """promtool (Debian's, the same version as the server) parses the config and the rule file it loads."""
    config = prometheus_config(local_targets({"us": "http://127.0.0.1:1"}, "us", "127.0.0.1:2", "127.0.0.1:3"), [RULES])
    path = tmp_path / "prometheus.yml"
    path.write_bytes(orjson.dumps(config))
    promtool = str(Path(find_binary()).with_name("promtool"))
    checked = subprocess.run([promtool, "check", "config", str(path)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # the rules were found and parsed, not skipped
    assert re.search(rf"Checking {re.escape(str(RULES.absolute()))}\n\s+SUCCESS: \d+ rules found", checked.stdout)
