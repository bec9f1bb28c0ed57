"""Dagster resources shared by every domain: Kafka and the lake.

The lake backend is chosen here and only here (``LakeResource.storage``); assets receive a
:class:`LakeStorage` and never ask which one it is. Kafka's clients come from
:mod:`streaming.kafka.clients` with the deployment's security settings, like every other client.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from kafka import KafkaConsumer
from pydantic import SecretStr

from orchestration.defs.dr.settings import DrSettings
from orchestration.lib.lake import LakeStorage
from orchestration.lib.lake.stores import StoreOptions, open_store
from orchestration.lib.lease import Lease, LeaseLog
from orchestration.settings import LakeSettings, PlatformSettings
from streaming.kafka import clients
from streaming.kafka.admin import beginning_offsets, end_offsets, list_topics
from streaming.kafka.settings import KafkaSettings
from streaming.kafka.topics import EVENTS_RAW, METRICS_REGION_MINUTE


def secret(value: SecretStr | None, env_name: str) -> str | dg.EnvVar | None:
    """A secret as resource config: a reference to its variable when it came from the environment,
    so the Dagster UI and run config show the variable's name, never the value."""
    if value is None:
        return None
    if os.environ.get(env_name) == value.get_secret_value():
        return dg.EnvVar(env_name)
    return value.get_secret_value()


class KafkaResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where the event backbone is, how to authenticate, and the few calls the lakehouse makes to it."""

    bootstrap_servers: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    events_topic: str = EVENTS_RAW
    stream_metrics_topic: str = METRICS_REGION_MINUTE
    stream_allowed_lateness_seconds: int = 10
    home_region: str = "us"  # the region ``bootstrap_servers`` belongs to
    region_bootstrap_servers: dict[str, str] = {}  # other regions' clusters

    def kafka_settings(self) -> KafkaSettings:
        return KafkaSettings(
            bootstrap_servers=self.bootstrap_servers,
            events_topic=self.events_topic,
            security_protocol=self.security_protocol,  # type: ignore[arg-type]
            sasl_mechanism=self.sasl_mechanism,  # type: ignore[arg-type]
            sasl_username=self.sasl_username,
            sasl_password=SecretStr(self.sasl_password) if self.sasl_password else None,
            ssl_cafile=Path(self.ssl_cafile) if self.ssl_cafile else None,
            ssl_certfile=Path(self.ssl_certfile) if self.ssl_certfile else None,
            ssl_keyfile=Path(self.ssl_keyfile) if self.ssl_keyfile else None,
        )

    def for_region(self, region: str) -> KafkaResource:
        """This resource pointed at ``region``'s cluster (same security, same topics)."""
        if region == self.home_region:
            return self
        settings = self.kafka_settings().model_copy(update={"region_bootstrap_servers": self.region_bootstrap_servers})
        servers = settings.for_region(region, self.home_region).bootstrap_servers
        return self.model_copy(update={"bootstrap_servers": servers, "home_region": region})

    def end_offsets(self, topic: str) -> dict[int, int]:
        return end_offsets(self.kafka_settings(), topic)

    def topics(self) -> set[str]:
        return list_topics(self.kafka_settings())

    def beginning_offsets(self, topic: str) -> dict[int, int]:
        return beginning_offsets(self.kafka_settings(), topic)

    def range_consumer(self) -> KafkaConsumer:
        return clients.range_consumer(self.kafka_settings())

    @classmethod
    def from_settings(cls, settings: PlatformSettings) -> KafkaResource:
        kafka = settings.kafka
        return cls(
            bootstrap_servers=kafka.bootstrap_servers,
            security_protocol=kafka.security_protocol,
            sasl_mechanism=kafka.sasl_mechanism,
            sasl_username=kafka.sasl_username,
            sasl_password=secret(kafka.sasl_password, "MERIDIAN_KAFKA_SASL_PASSWORD"),
            ssl_cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None,
            ssl_certfile=str(kafka.ssl_certfile) if kafka.ssl_certfile else None,
            ssl_keyfile=str(kafka.ssl_keyfile) if kafka.ssl_keyfile else None,
            events_topic=kafka.events_topic,
            stream_metrics_topic=settings.stream.metrics_topic,
            stream_allowed_lateness_seconds=settings.stream.allowed_lateness_seconds,
            home_region=settings.lake.primary_region,
            region_bootstrap_servers=dict(kafka.region_bootstrap_servers),
        )


class LakeResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Every region's lake store; ``storage()`` is the deployment's own region's (the primary)."""

    region: str = "us"
    regions: list[str] = ["us"]
    aggregation_region: str = "us"
    stores: dict[str, str] = {}  # region -> store URI (local, file:///path, gs://bucket, s3://bucket)
    root: str = ""
    gcs_project: str = "meridian-local"
    gcs_endpoint: str | None = None
    s3_endpoint: str | None = None
    s3_region_name: str = "us-east-1"
    # Disaster recovery on: the store of the aggregation lease (a URI like the regions'), else None and the
    # aggregation region is the configured one for good.
    lease_store: str | None = None

    def storage(self, region: str | None = None) -> LakeStorage:
        """The store of ``region`` (default: this deployment's own)."""
        region = region or self.region
        return open_store(self.stores.get(region, "local"), region, self._options())

    def lease_storage(self) -> LakeStorage:
        """Where the lease and the heartbeats live (``local``: ``<root>/_global``, beside the regions)."""
        if self.lease_store is None:
            raise ValueError("disaster recovery is off (MERIDIAN_DR_ENABLED): there is no aggregation lease")
        return open_store(self.lease_store, "_global", self._options())

    def leases(self) -> LeaseLog:
        return LeaseLog(self.lease_storage())

    def aggregation_lease(self) -> Lease | None:
        """The current lease (bootstrapped for the configured aggregation region when there is none yet)."""
        if self.lease_store is None:
            return None
        return self.leases().ensure(self.aggregation_region, by=f"{self.region}/dagster")

    def aggregation_holder(self) -> str:
        """The region global silver and gold are built in now: the lease holder, or the configured one."""
        lease = self.aggregation_lease()
        return lease.aggregation_region if lease else self.aggregation_region

    def _options(self) -> StoreOptions:
        return StoreOptions(
            root=Path(self.root),
            gcs_project=self.gcs_project,
            gcs_endpoint=self.gcs_endpoint,
            s3_endpoint=self.s3_endpoint,
            s3_region_name=self.s3_region_name,
        )

    def global_bronze(self, topic: str) -> tuple[LakeStorage, list[str]]:
        """What global silver reads: the aggregation region's store (the lease holder's, with disaster
        recovery on), and there its own bronze rows files of ``topic`` plus every other region's replicas
        whose manifests exist (never a listing of them)."""
        return self.bronze_in(self.aggregation_holder(), topic)

    def bronze_in(self, region: str, topic: str) -> tuple[LakeStorage, list[str]]:
        """Every bronze rows file of ``topic`` that ``region``'s store holds for global silver: its own
        ledger, the ledgers of the mirrored topics it landed (``<other region>.<topic>``), and every
        manifested replica of both kinds from the other regions. Copies of one event reached by several
        of these paths are removed by ``event_id`` in silver."""
        from orchestration.lib.bronze.landing import BRONZE
        from orchestration.lib.replication.readers import replicated_rows_files

        store = self.storage(region)
        others = [r for r in self.regions if r != region]
        topics = [topic, *(f"{source}.{topic}" for source in others)]
        files = [path for name in topics for path in BRONZE.rows_paths(store, name)]
        for source in others:
            for name in topics:
                files += replicated_rows_files(store, source, BRONZE.rows_prefix, name)
        return store, files

    @classmethod
    def from_settings(cls, lake: LakeSettings, dr: DrSettings | None = None) -> LakeResource:
        return cls(
            region=lake.primary_region,
            regions=list(lake.regions),
            aggregation_region=lake.aggregation,
            stores={region: lake.store_uri(region) for region in lake.regions},
            root=str(lake.root.absolute()),
            gcs_project=lake.gcs_project,
            gcs_endpoint=lake.gcs_endpoint,
            s3_endpoint=lake.s3_endpoint,
            s3_region_name=lake.s3_region_name,
            lease_store=dr.lease_store if dr is not None and dr.enabled else None,
        )


def shared_resources(settings: PlatformSettings) -> tuple[KafkaResource, LakeResource]:
    """The Kafka and lake resources of a deployment, as the definitions and run-once both use them."""
    return KafkaResource.from_settings(settings), LakeResource.from_settings(settings.lake, settings.dr)
