"""Dagster resources shared by every domain: Kafka and the lake.

The lake backend is chosen here and only here (``LakeResource.storage``); assets receive a
:class:`LakeStorage` and never ask which one it is.
"""

from pathlib import Path

import dagster as dg
from kafka import KafkaConsumer

from orchestration.lib.bronze.reader import consumer_for
from orchestration.lib.lake import GcsLakeStorage, LakeStorage, LocalLakeStorage
from orchestration.settings import LakeBackend, Settings
from streaming.kafka.admin import beginning_offsets, end_offsets
from streaming.kafka.topics import EVENTS_RAW, METRICS_REGION_MINUTE


class KafkaResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where the event backbone is, and the few calls the lakehouse makes to it."""

    bootstrap_servers: str
    events_topic: str = EVENTS_RAW
    stream_metrics_topic: str = METRICS_REGION_MINUTE
    stream_allowed_lateness_seconds: int = 10

    def end_offsets(self, topic: str) -> dict[int, int]:
        return end_offsets(self.bootstrap_servers, topic)

    def beginning_offsets(self, topic: str) -> dict[int, int]:
        return beginning_offsets(self.bootstrap_servers, topic)

    def range_consumer(self) -> KafkaConsumer:
        return consumer_for(self.bootstrap_servers)


class LakeResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The lake of the deployment's primary storage region."""

    backend: str = LakeBackend.LOCAL.value
    region: str = "us"
    root: str = ""
    gcs_bucket_prefix: str = "meridian-lake"
    gcs_project: str = "meridian-local"
    gcs_endpoint: str | None = None

    def storage(self) -> LakeStorage:
        if self.backend == LakeBackend.GCS:
            return GcsLakeStorage(
                f"{self.gcs_bucket_prefix}-{self.region}", self.region, self.gcs_project, self.gcs_endpoint
            )
        if self.backend == LakeBackend.LOCAL:
            return LocalLakeStorage(Path(self.root), self.region)
        raise ValueError(f"unknown lake backend {self.backend!r}; use 'local' or 'gcs'")

    @classmethod
    def from_settings(cls, settings: Settings) -> "LakeResource":
        return cls(
            backend=settings.lake_backend.value,
            region=settings.primary_region,
            root=str(settings.lake_root),
            gcs_bucket_prefix=settings.gcs_bucket_prefix,
            gcs_project=settings.gcs_project,
            gcs_endpoint=settings.gcs_endpoint,
        )


def shared_resources(settings: Settings) -> tuple[KafkaResource, LakeResource]:
    """The Kafka and lake resources of a deployment, as the definitions and run-once both use them."""
    kafka = KafkaResource(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        events_topic=settings.events_topic,
        stream_metrics_topic=settings.stream_metrics_topic,
        stream_allowed_lateness_seconds=settings.stream_allowed_lateness_seconds,
    )
    return kafka, LakeResource.from_settings(settings)
