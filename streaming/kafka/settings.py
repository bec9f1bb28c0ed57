"""Where the Kafka cluster is, how to authenticate to it, and the events topic: every Kafka client's settings.

The bottom layer: the edge, the streaming service and the lakehouse all compose this one class, so
security reaches every client the same way (:mod:`streaming.kafka.clients` applies it). Variable
names are a public interface: ``KAFKA_BOOTSTRAP_SERVERS`` (the standard name, or
``MERIDIAN_KAFKA_BOOTSTRAP_SERVERS``), ``MERIDIAN_KAFKA_*`` for security, ``MERIDIAN_EVENTS_TOPIC``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from streaming.kafka.topics import EVENTS_RAW


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MERIDIAN_KAFKA_", env_file=".env", extra="ignore", populate_by_name=True
    )

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "MERIDIAN_KAFKA_BOOTSTRAP_SERVERS"),
    )
    events_topic: str = Field(default=EVENTS_RAW, validation_alias=AliasChoices("MERIDIAN_EVENTS_TOPIC"))
    events_topic_partitions: int = Field(
        default=6, gt=0, validation_alias=AliasChoices("MERIDIAN_EVENTS_TOPIC_PARTITIONS")
    )

    # Plain text by default (the local broker); SASL_SSL in production. TLS needs only the ssl_* files.
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    # How long a new client waits for the cluster before giving up (kafka-python's default is 30 s).
    bootstrap_timeout_seconds: float = Field(default=30.0, gt=0)
    # Other regions' clusters, by region name (JSON). The deployment's own region uses
    # ``bootstrap_servers``; security settings are the same for every cluster.
    region_bootstrap_servers: dict[str, str] = Field(
        default_factory=dict, validation_alias=AliasChoices("MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS")
    )

    @model_validator(mode="after")
    def _sasl_complete(self) -> KafkaSettings:
        uses_sasl = self.security_protocol.startswith("SASL_")
        if uses_sasl and not (self.sasl_mechanism and self.sasl_username and self.sasl_password):
            raise ValueError(
                f"MERIDIAN_KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs MERIDIAN_KAFKA_SASL_MECHANISM, "
                "MERIDIAN_KAFKA_SASL_USERNAME and MERIDIAN_KAFKA_SASL_PASSWORD"
            )
        if self.sasl_mechanism and not uses_sasl:
            raise ValueError(
                f"MERIDIAN_KAFKA_SASL_MECHANISM={self.sasl_mechanism} is used only with "
                "MERIDIAN_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or SASL_SSL"
            )
        return self

    def for_region(self, region: str, home: str) -> KafkaSettings:
        """The settings of ``region``'s cluster: ``home`` is the region ``bootstrap_servers`` belongs to."""
        if region == home:
            return self
        if region not in self.region_bootstrap_servers:
            raise ValueError(
                f"no Kafka cluster for region {region!r}: set it in MERIDIAN_KAFKA_REGION_BOOTSTRAP_SERVERS "
                f"(known: {sorted(self.region_bootstrap_servers) or 'none'})"
            )
        return self.model_copy(update={"bootstrap_servers": self.region_bootstrap_servers[region]})

    def describe(self) -> str:
        """Where and how clients connect, for error messages (never the password)."""
        who = f" as {self.sasl_username!r} ({self.sasl_mechanism})" if self.sasl_mechanism else ""
        return f"{self.bootstrap_servers} over {self.security_protocol}{who}"

    def client_config(self) -> dict[str, object]:
        """The connection and security part of a kafka-python client's config."""
        config: dict[str, object] = {
            "bootstrap_servers": self.bootstrap_servers,
            "bootstrap_timeout_ms": int(self.bootstrap_timeout_seconds * 1000),
        }
        if self.security_protocol != "PLAINTEXT":
            config["security_protocol"] = self.security_protocol
        if self.sasl_mechanism:
            config["sasl_mechanism"] = self.sasl_mechanism
            config["sasl_plain_username"] = self.sasl_username
            config["sasl_plain_password"] = self.sasl_password.get_secret_value() if self.sasl_password else None
        for name in ("cafile", "certfile", "keyfile"):
            value = getattr(self, f"ssl_{name}")
            if value is not None:
                config[f"ssl_{name}"] = str(value)
        return config
