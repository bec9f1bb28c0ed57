"""How processes compose settings: each validates only what it uses, and prod refuses a laptop setup."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.settings import LakeSettings, PlatformSettings
from quality.alerts.settings import AlertSettings
from streaming.edge.settings import EdgeSettings
from streaming.kafka.settings import KafkaSettings
from streaming.realtime.settings import StreamSettings


def test_a_bad_alert_value_stops_only_what_sends_alerts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_ALERT_SMTP_PORT", "not-a-port")
    with pytest.raises(ValueError, match="smtp_port"):
        AlertSettings()
    with pytest.raises(ValueError, match="smtp_port"):
        PlatformSettings()  # the Dagster code location sends alerts: it must refuse to start
    EdgeSettings(), StreamSettings(), KafkaSettings()  # the edge and the stream never read it


def test_the_edge_starts_past_a_bad_alert_value(tmp_path: Path) -> None:
    """As a process: the edge gets as far as its own check (no API keys), never tripping on alerts."""
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli.main", "edge", "--buffer-dir", str(tmp_path / "b")],
        env={"PATH": "/usr/bin:/bin", "MERIDIAN_ALERT_SMTP_PORT": "not-a-port", "MERIDIAN_EDGE_API_KEYS": "[]"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "MERIDIAN_EDGE_API_KEYS" in result.stderr, result.stderr


def test_a_bad_edge_value_is_named_with_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli.main", "edge"],
        env={"PATH": "/usr/bin:/bin", "MERIDIAN_EDGE_MAX_DEPTH": "0"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "invalid settings (EdgeSettings): max_depth" in result.stderr and "Traceback" not in result.stderr


def test_prod_refuses_a_local_lake_and_duckdb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_ENV", "prod")
    with pytest.raises(ValueError, match="a local lake for us.*MERIDIAN_DBT_TARGET=local"):
        PlatformSettings()
    monkeypatch.setenv("MERIDIAN_LAKE_BACKEND", "gcs")
    monkeypatch.setenv("MERIDIAN_DBT_TARGET", "prod")
    assert PlatformSettings().lake.env == "prod"


def test_the_primary_region_must_be_one_of_the_regions() -> None:
    with pytest.raises(ValueError, match="MERIDIAN_PRIMARY_REGION='mars'"):
        LakeSettings(primary_region="mars")
    assert LakeSettings(regions=["eu"], primary_region="eu").bucket("eu") == "meridian-lake-eu"


def test_an_unknown_kafka_protocol_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_KAFKA_SECURITY_PROTOCOL", "KERBEROS")
    with pytest.raises(ValueError, match="security_protocol"):
        KafkaSettings()


def test_regions_name_their_stores_kafka_and_aggregation_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_REGIONS", '["us", "eu", "apac"]')
    monkeypatch.setenv("MERIDIAN_REGION_STORES", '{"us": "gs://acme-us", "eu": "s3://acme-eu"}')
    monkeypatch.setenv("MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS", '{"eu": "kafka-eu:9092"}')
    monkeypatch.setenv("MERIDIAN_AGGREGATION_REGION", "eu")
    settings = PlatformSettings()
    lake = settings.lake
    assert [lake.store_uri(r) for r in lake.regions] == ["gs://acme-us", "s3://acme-eu", "local"]
    assert lake.aggregation == "eu"
    # the home region lands with KAFKA_BOOTSTRAP_SERVERS; eu has a cluster configured; apac has none here
    assert settings.ingest_regions() == ["us", "eu"]
    assert settings.kafka.for_region("eu", "us").bootstrap_servers == "kafka-eu:9092"
    with pytest.raises(ValueError, match="no Kafka cluster for region 'apac'"):
        settings.kafka.for_region("apac", "us")
    assert len(settings.replication_pairs()) == 6


def test_one_region_unless_configured() -> None:
    settings = PlatformSettings()
    assert settings.lake.regions == ["us"] and settings.ingest_regions() == ["us"]
    assert settings.replication_pairs() == [] and settings.lake.aggregation == "us"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MERIDIAN_REGION_STORES", '{"mars": "local"}', "names regions \\['mars'\\]"),
        ("MERIDIAN_REGION_STORES", '{"us": "ftp://x"}', "use local, file:///path, gs://bucket or s3://bucket"),
        ("MERIDIAN_AGGREGATION_REGION", "mars", "MERIDIAN_AGGREGATION_REGION='mars'"),
        ("MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS", '{"mars": "k:1"}', "names regions \\['mars'\\]"),
        ("MERIDIAN_REPLICATION_LAG_WARN_SECONDS", "1000", "is above MERIDIAN_REPLICATION_LAG_FAIL_SECONDS"),
    ],
)
def test_inconsistent_regions_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=message):
        PlatformSettings()


def test_prod_refuses_a_local_store_named_for_one_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_ENV", "prod")
    monkeypatch.setenv("MERIDIAN_DBT_TARGET", "prod")
    monkeypatch.setenv("MERIDIAN_REGIONS", '["us", "eu"]')
    monkeypatch.setenv("MERIDIAN_LAKE_BACKEND", "gcs")
    monkeypatch.setenv("MERIDIAN_REGION_STORES", '{"eu": "file:///data/eu"}')
    with pytest.raises(ValueError, match="a local lake for eu"):
        PlatformSettings()
