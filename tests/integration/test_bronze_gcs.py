"""The production lake backend end to end: Kafka -> bronze on GCS (fake-gcs-server on loopback)."""

from __future__ import annotations

import io
import uuid

import pyarrow.parquet as pq
import pytest

from orchestration.defs.shared.resources import LakeResource
from orchestration.lib.lake import GcsLakeStorage
from orchestration.runner import run_pending
from orchestration.settings import LakeBackend, PlatformSettings
from streaming.generator import TrafficSpec, generate
from tests.helpers import produce_and_place

pytestmark = pytest.mark.integration


def test_bronze_lands_in_the_regional_gcs_bucket(settings: PlatformSettings, gcs_endpoint: str) -> None:
    prefix = f"lake-{uuid.uuid4().hex[:8]}"
    settings = settings.replaced(
        lake={"backend": LakeBackend.GCS, "gcs_bucket_prefix": prefix, "gcs_endpoint": gcs_endpoint}
    )
    storage = LakeResource.from_settings(settings.lake).storage()
    assert isinstance(storage, GcsLakeStorage) and storage.bucket_name == f"{prefix}-us"
    storage._get_bucket().client.create_bucket(storage.bucket_name)
    records = list(generate(TrafficSpec(count=3000, seed=8, malformed=0.02)))
    produce_and_place(settings.kafka.bootstrap_servers, settings.kafka.events_topic, records)

    summary = run_pending(settings, warehouse=False)

    assert summary.success, summary.render()
    events = [pq.read_table(io.BytesIO(storage.read(p))) for p in storage.list("bronze/events/")]
    quarantine = [pq.read_table(io.BytesIO(storage.read(p))) for p in storage.list("bronze/quarantine/")]
    assert sum(t.num_rows for t in events) + sum(t.num_rows for t in quarantine) == len(records)
    assert sum(t.num_rows for t in quarantine) == sum(1 for r in records if r.expected_reason)
