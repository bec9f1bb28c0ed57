"""The exporter's metrics computed from what the sources read, with no store and no instance: each rule that
decides a value (which file is a ledger entry, where the frontier is, which range has waited longest, what a
check execution's status means) is pinned here on inputs shaped as the lake and Dagster make them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import orjson
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from orchestration.exporter.collect import (
    BronzeRegion,
    CheckState,
    Snapshot,
    bronze_region,
    check_states,
    families,
    frontier_entries,
    gold_last_build,
    lag_from_status,
    ledger_entries,
    manifested,
    oldest_unreplicated,
    replication_lag,
    running,
)
from orchestration.lib.bronze.ranges import EVENTS_PREFIX, QUARANTINE_PREFIX, OffsetRange, range_path
from orchestration.lib.replication.layout import manifest_path, replica_path
from orchestration.lib.replication.progress import PartitionKey
from orchestration.lib.stream_metrics import METRICS_PREFIX

TOPIC = "events.raw.v1"
MIRRORED = "eu.events.raw.v1"  # what a DR deployment lands from MirrorMaker's copy of eu's topic
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def rows(topic: str, partition: int, start: int, end: int, prefix: str = EVENTS_PREFIX) -> str:
    return range_path(prefix, topic, OffsetRange(partition, start, end))


def test_only_files_named_as_the_ledger_names_a_range_are_entries() -> None:
    """A quarantine file, a replica of another region's range, a temp file or a stray copy is no landing."""
    keys = [
        rows(TOPIC, 0, 0, 100),
        rows(TOPIC, 0, 100, 250),
        rows(TOPIC, 1, 0, 40),
        rows(MIRRORED, 0, 0, 7),
        range_path(QUARANTINE_PREFIX, TOPIC, OffsetRange(0, 0, 100)),
        replica_path("eu", rows(TOPIC, 0, 0, 9)),
        f"{EVENTS_PREFIX}/topic={TOPIC}/partition=0/offsets=5-9.parquet",  # not zero-padded: not the ledger's name
        f"{EVENTS_PREFIX}/topic={TOPIC}/partition=0/_SUCCESS",
    ]

    entries = ledger_entries(keys, EVENTS_PREFIX)

    assert [(e.topic, str(e.range)) for e in entries] == [
        (MIRRORED, "p0:[0,7)"),
        (TOPIC, "p0:[0,100)"),
        (TOPIC, "p0:[100,250)"),
        (TOPIC, "p1:[0,40)"),
    ]
    assert all(e.ledger == EVENTS_PREFIX for e in entries)


def test_the_frontier_is_the_next_offset_to_land_per_topic_and_partition() -> None:
    """Gaps do not matter (coverage is the landing check's business): the frontier is the furthest end."""
    entries = ledger_entries(
        [rows(TOPIC, 0, 0, 100), rows(TOPIC, 0, 300, 320), rows(TOPIC, 0, 100, 300), rows(MIRRORED, 2, 10, 11)],
        EVENTS_PREFIX,
    )
    frontier = frontier_entries(entries)
    newest, older = NOW - timedelta(seconds=30), NOW - timedelta(hours=1)

    region = bronze_region("us", frontier, [older, newest])

    assert frontier[PartitionKey(EVENTS_PREFIX, TOPIC, 0)].key == rows(TOPIC, 0, 300, 320)
    assert region == BronzeRegion("us", {(MIRRORED, 2): 11, (TOPIC, 0): 320}, newest)
    assert bronze_region("eu", {}, []).last_landed_at is None  # nothing landed: no timestamp, not 0


def test_the_lag_is_the_age_of_the_first_range_of_a_partition_without_a_manifest() -> None:
    """Ranges past the first unreplicated one may already be copied; the first one has waited longest."""
    us_rows = [
        rows(TOPIC, 0, 0, 100),
        rows(TOPIC, 0, 100, 200),
        rows(TOPIC, 0, 200, 300),
        rows(TOPIC, 1, 0, 50),
        rows("metrics.region_minute.v1", 0, 0, 5, METRICS_PREFIX),
    ]
    entries = ledger_entries(us_rows, EVENTS_PREFIX) + ledger_entries(us_rows, METRICS_PREFIX)
    listed_in_eu = [
        manifest_path("us", rows(TOPIC, 0, 0, 100)),
        manifest_path("us", rows(TOPIC, 0, 200, 300)),  # copied out of order: p0 still waits for [100,200)
        manifest_path("us", rows(TOPIC, 1, 0, 50)),
        replica_path("us", rows(TOPIC, 0, 100, 200)),  # the data without its manifest does not count
        manifest_path("apac", rows(TOPIC, 0, 100, 200)),  # another source's manifest, listed by mistake
    ]

    replicated = manifested(listed_in_eu, "us")
    waiting = oldest_unreplicated(entries, replicated)

    assert replicated == {rows(TOPIC, 0, 0, 100), rows(TOPIC, 0, 200, 300), rows(TOPIC, 1, 0, 50)}
    metrics_rows = rows("metrics.region_minute.v1", 0, 0, 5, METRICS_PREFIX)
    assert [w.key for w in waiting] == [rows(TOPIC, 0, 100, 200), metrics_rows]
    assert replication_lag([NOW - timedelta(seconds=90), NOW - timedelta(seconds=600)], NOW) == 600
    assert replication_lag([], NOW) == 0.0  # caught up
    assert oldest_unreplicated(entries, {e.key for e in entries}) == []


def test_while_the_source_is_unreadable_the_recorded_lag_keeps_growing() -> None:
    """The target's status record, as the replication asset writes it, plus the time since it was written."""
    doc = orjson.dumps({"source": "us", "as_of": (NOW - timedelta(minutes=10)).isoformat(), "lag_seconds": 42.0})

    assert lag_from_status(doc, NOW) == 642.0


def test_gold_was_last_built_at_the_newest_gold_materialization() -> None:
    assert gold_last_build([1_796_000_000.5, None, 1_796_000_900.25]) == 1_796_000_900.25
    assert gold_last_build([None, None]) is None
    assert gold_last_build([]) is None


def record(
    asset: str, check: str, status: AssetCheckExecutionRecordStatus, passed: bool | None = None
) -> AssetCheckExecutionRecord:
    """An execution record as Dagster stores one: a completed one carries its evaluation event."""
    key = dg.AssetCheckKey(dg.AssetKey.from_user_string(asset), check)
    event = None
    if status is not AssetCheckExecutionRecordStatus.PLANNED:
        evaluation = dg.AssetCheckEvaluation(asset_key=key.asset_key, check_name=check, passed=bool(passed))
        dagster_event = DagsterEvent(
            DagsterEventType.ASSET_CHECK_EVALUATION.value, job_name="warehouse_job", event_specific_data=evaluation
        )
        event = EventLogEntry(
            error_info=None,
            level="INFO",
            user_message="",
            run_id="run-1",
            timestamp=NOW.timestamp(),
            dagster_event=dagster_event,
        )
    return AssetCheckExecutionRecord(key, 1, "run-1", status, event, NOW.timestamp(), None)


def test_a_check_fails_when_its_latest_completed_evaluation_did_not_pass() -> None:
    """Planned (running, or its run died) says nothing about the data: the previous outcome stands."""
    latest = {
        r.key: r
        for r in (
            record("silver/stg_events", "silver_amount_positive", AssetCheckExecutionRecordStatus.FAILED, False),
            record("gold/fct_events", "unique_fct_events_event_id", AssetCheckExecutionRecordStatus.SUCCEEDED, True),
            record("replication/us_to_eu", "replica_lag", AssetCheckExecutionRecordStatus.PLANNED),
        )
    }

    assert sorted(check_states(latest.values()), key=lambda s: s.asset) == [
        CheckState("gold/fct_events", "unique_fct_events_event_id", False),
        CheckState("silver/stg_events", "silver_amount_positive", True),
    ]
    assert [k.to_user_string() for k in running(latest)] == ["replication/us_to_eu:replica_lag"]


class Fixed:
    """A collector of fixed families: the exposition of exactly what ``families`` built."""

    def __init__(self, snapshot: Snapshot, errors: dict[str, int]) -> None:
        self.metrics = families(snapshot, errors)

    def collect(self):  # type: ignore[no-untyped-def]
        return self.metrics


def exposition(snapshot: Snapshot, errors: dict[str, int]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(Fixed(snapshot, errors))
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_exposition_uses_the_contract_names_and_labels() -> None:
    landed = NOW - timedelta(seconds=5)
    snapshot = Snapshot(
        bronze=(BronzeRegion("us", {(TOPIC, 0): 320, (TOPIC, 1): 40}, landed), BronzeRegion("eu", {}, None)),
        replication_lag={("us", "eu"): 600.0, ("eu", "us"): 0.0},
        gold_last_build=1_796_000_900.25,
        checks=(CheckState("silver/stg_events", "silver_amount_positive", True), CheckState("gold/x", "c", False)),
    )

    samples = exposition(snapshot, {"lake:us": 0, "replication:us->eu": 3})

    assert samples == {
        ("meridian_lake_bronze_landed_offset", (("lake_region", "us"), ("partition", "0"), ("topic", TOPIC))): 320,
        ("meridian_lake_bronze_landed_offset", (("lake_region", "us"), ("partition", "1"), ("topic", TOPIC))): 40,
        ("meridian_lake_bronze_last_landed_timestamp_seconds", (("lake_region", "us"),)): landed.timestamp(),
        ("meridian_lake_replication_lag_seconds", (("source_region", "eu"), ("target_region", "us"))): 0.0,
        ("meridian_lake_replication_lag_seconds", (("source_region", "us"), ("target_region", "eu"))): 600.0,
        ("meridian_lake_gold_last_build_timestamp_seconds", ()): 1_796_000_900.25,
        ("meridian_quality_check_failed", (("asset", "gold/x"), ("check", "c"))): 0.0,
        ("meridian_quality_check_failed", (("asset", "silver/stg_events"), ("check", "silver_amount_positive"))): 1.0,
        ("meridian_exporter_scrape_errors_total", (("source", "lake:us"),)): 0.0,
        ("meridian_exporter_scrape_errors_total", (("source", "replication:us->eu"),)): 3.0,
    }


def test_nothing_known_exports_no_sample_rather_than_a_zero_timestamp() -> None:
    """A zero timestamp would fire 'gold stale' and 'bronze not landing' where nothing is meant to happen."""
    samples = exposition(Snapshot(bronze=(BronzeRegion("eu", {}, None),)), {})

    assert samples == {}
