"""Three regions end to end: three Kafka brokers, three stores on three backends, one run-once.

``us`` keeps its lake in a local folder and is the aggregation region, ``eu`` on S3 (SeaweedFS), ``apac``
on GCS (fake-gcs-server); each region has its own KRaft broker. Traffic goes to every region, some events
to two regions (a client retrying against another region's edge), and a few event_ids reach two regions
with different content. After ``meridian run-once``'s pipeline: every region holds every other region's
ranges with verified manifests, global gold equals the independent oracle over the union (each event
once), and the conflicts are counted, not resolved silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from orchestration.defs.replication.assets import LEDGERS
from orchestration.defs.shared.resources import LakeResource
from orchestration.lib.bronze.landing import BRONZE
from orchestration.lib.replication import audit
from orchestration.runner import run_pending
from orchestration.settings import PlatformSettings
from streaming.generator import GeneratedRecord, TrafficSpec, generate
from streaming.kafka.admin import ensure_topic
from streaming.kafka.broker import LocalBroker
from streaming.kafka.settings import KafkaSettings
from tests.dbt_project.gold import assert_gold_matches_oracle, read_gold
from tests.helpers import platform_settings, produce_and_place, query_warehouse
from tests.stores import FakeGcs, SeaweedS3

pytestmark = pytest.mark.integration

REGIONS = ["us", "eu", "apac"]


@pytest.fixture(scope="module")
def region_brokers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LocalBroker]]:
    """eu's and apac's clusters (us uses the session broker)."""
    from concurrent.futures import ThreadPoolExecutor

    brokers = {r: LocalBroker(home=tmp_path_factory.mktemp(f"kafka-{r}"), partitions=3) for r in ("eu", "apac")}
    try:
        with ThreadPoolExecutor(2) as pool:  # two JVMs start side by side
            list(pool.map(lambda b: b.start(timeout_s=120), brokers.values()))
        yield brokers
    finally:
        for broker in brokers.values():
            broker.kill()  # throwaway data: a graceful stop waited 30 s each here


def three_regions(
    us: LocalBroker,
    brokers: dict[str, LocalBroker],
    topic: str,
    tmp_path: Path,
    s3: SeaweedS3,
    gcs: FakeGcs,
    s3_bucket: str,
    gcs_bucket: str,
) -> PlatformSettings:
    for broker in brokers.values():
        ensure_topic(KafkaSettings(bootstrap_servers=broker.bootstrap_servers), topic, 3)
    return platform_settings(us.bootstrap_servers, topic, tmp_path).replaced(
        kafka={"region_bootstrap_servers": {r: b.bootstrap_servers for r, b in brokers.items()}},
        lake={
            "regions": REGIONS,
            "stores": {"eu": f"s3://{s3_bucket}", "apac": f"gs://{gcs_bucket}"},
            "s3_endpoint": s3.endpoint,
            "gcs_endpoint": gcs.endpoint,
        },
        bronze={"max_records_per_range": 700},
    )


def conflicting(record: GeneratedRecord) -> GeneratedRecord:
    """The same event_id with different content (another amount and user): a conflict, not a duplicate."""
    event = orjson.loads(record.value)
    event["user_id"] = f"{event['user_id']}-other"
    return GeneratedRecord(orjson.dumps(event), record.kind, record.key, record.expected_reason)


def test_three_regions_replicate_verify_and_build_global_gold_once(
    kafka_broker: LocalBroker,
    region_brokers: dict[str, LocalBroker],
    topic: str,
    tmp_path: Path,
    s3_store_server: SeaweedS3,
    fake_gcs_server: FakeGcs,
    s3_bucket: str,
    gcs_bucket: str,
    s3_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = three_regions(
        kafka_broker, region_brokers, topic, tmp_path, s3_store_server, fake_gcs_server, s3_bucket, gcs_bucket
    )
    traffic = {r: list(generate(TrafficSpec(count=1500, seed=40 + i))) for i, r in enumerate(REGIONS)}
    valid_us = [rec for rec in traffic["us"] if rec.expected_reason is None and rec.kind != "duplicate"]
    retried = valid_us[:60]  # us events a client also sent to eu
    clashes = [conflicting(rec) for rec in valid_us[100:105]]  # us event_ids apac got with other content
    sent = {"us": traffic["us"], "eu": traffic["eu"] + retried, "apac": traffic["apac"] + clashes}
    bootstrap = {"us": kafka_broker.bootstrap_servers} | {r: b.bootstrap_servers for r, b in region_brokers.items()}
    for region in REGIONS:
        produce_and_place(bootstrap[region], topic, sent[region])

    summary = run_pending(settings)

    assert summary.success, summary.render()
    lake = LakeResource.from_settings(settings.lake)
    stores = {r: lake.storage(r) for r in REGIONS}
    assert [s.describe() for s in stores.values()][1:] == [f"s3://{s3_bucket}", f"gs://{gcs_bucket}"]
    for source in REGIONS:
        own_ranges = len(BRONZE.rows_paths(stores[source], topic))
        assert own_ranges >= 3, f"{source} landed {own_ranges} ranges"
        for target in REGIONS:
            if target == source:
                continue
            result = audit(stores[source], stores[target], LEDGERS)
            assert result.clean, (source, target, result.metadata())
            assert result.ranges_replicated == own_ranges and result.lag_seconds == 0
    # what a region landed says so in its rows
    eu_rows = query_warehouse(settings, "select count(*) from silver.stg_events where ingest_region = 'eu'")
    assert eu_rows[0][0] > 0

    # global gold = the oracle over the union, in landing order (us, then eu, then apac: the earliest copy wins)
    union = sent["us"] + sent["eu"] + sent["apac"]
    assert_gold_matches_oracle(read_gold(lambda sql: query_warehouse(settings, sql)), union)
    conflicts = query_warehouse(settings, "select event_id, variants from silver.stg_event_conflicts order by 1")
    assert sorted(conflicts) == sorted((orjson.loads(r.value)["event_id"], 2) for r in clashes)
    assert "replication us -> eu:" in summary.render()
    # a warning, not a failure: counted and sampled by the check, the run goes on
    assert "silver/stg_event_conflicts:cross_region_conflicts" in summary.warned_checks, summary.render()


def test_a_region_named_without_a_store_of_its_own_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="MERIDIAN_REGION_STORES names regions"):
        PlatformSettings.under(tmp_path, "127.0.0.1:1", f"t.{uuid.uuid4().hex[:6]}").replaced(
            lake={"stores": {"mars": "local"}}
        )
