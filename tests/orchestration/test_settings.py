"""Kafka security settings reach the clients' config; secrets stay secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.settings import PlatformSettings


def test_plaintext_adds_nothing() -> None:
    assert PlatformSettings().kafka_client_config() == {}


def test_sasl_ssl_is_passed_through_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    monkeypatch.setenv("MERIDIAN_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("MERIDIAN_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("MERIDIAN_KAFKA_SASL_USERNAME", "meridian")
    monkeypatch.setenv("MERIDIAN_KAFKA_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("MERIDIAN_KAFKA_SSL_CAFILE", str(ca))
    settings = PlatformSettings()
    assert settings.kafka_client_config() == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "meridian",
        "sasl_plain_password": "s3cret",
        "ssl_cafile": str(ca),
    }
    assert "s3cret" not in repr(settings)


def test_an_unknown_protocol_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_KAFKA_SECURITY_PROTOCOL", "KERBEROS")
    with pytest.raises(ValueError, match="security_protocol"):
        PlatformSettings()
