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
    with pytest.raises(ValueError, match="MERIDIAN_LAKE_BACKEND=local.*MERIDIAN_DBT_TARGET=local"):
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
