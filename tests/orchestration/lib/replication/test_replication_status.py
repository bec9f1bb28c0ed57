"""``meridian regions``'s data: every region's store, what it landed, and how far behind each replica is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestration.lib import stream_metrics as sm
from orchestration.lib.bronze.landing import BRONZE
from orchestration.lib.bronze.ranges import OffsetRange, range_path
from orchestration.lib.lake import LakeStorage
from orchestration.lib.replication import PartitionKey, format_age, region_status, render_status, replicate
from tests.orchestration.lib.replication.replication_lakes import (
    METRICS_TOPIC,
    TOPIC,
    Unreachable,
    lakes,
    land_bronze,
    land_metrics,
    set_updated,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)  # after every file's mtime, so ages are positive


def test_each_region_shows_its_store_frontiers_and_replicas(tmp_path: Path) -> None:
    us, eu, apac = lakes(tmp_path, "us", "eu", "apac")
    land_bronze(us, OffsetRange(0, 0, 10))
    land_bronze(us, OffsetRange(1, 0, 4))
    replicate(us, eu, [BRONZE, sm.STREAM_METRICS])
    replicate(us, apac, [BRONZE, sm.STREAM_METRICS])
    land_bronze(us, OffsetRange(0, 10, 25))
    set_updated(us, range_path(BRONZE.rows_prefix, TOPIC, OffsetRange(0, 10, 25)), NOW - timedelta(seconds=90))
    replicate(us, eu, [BRONZE, sm.STREAM_METRICS])
    land_metrics(eu, OffsetRange(0, 0, 5))
    set_updated(eu, range_path(sm.METRICS_PREFIX, METRICS_TOPIC, OffsetRange(0, 0, 5)), NOW - timedelta(hours=2))
    stores: dict[str, LakeStorage] = {"us": us, "eu": eu, "apac": apac}

    by_region = {s.region: s for s in region_status(stores, [BRONZE, sm.STREAM_METRICS], now=NOW)}

    assert list(by_region) == ["us", "eu", "apac"]
    assert by_region["us"].store == us.describe()
    [landed] = by_region["us"].frontiers
    assert (landed.ledger, landed.topic, dict(landed.partitions), landed.landed) == (
        "bronze/events",
        TOPIC,
        {0: 25, 1: 4},
        29,
    )
    targets = {t.region: t for t in by_region["us"].targets}
    assert list(targets) == ["eu", "apac"]
    p0 = PartitionKey("bronze/events", TOPIC, 0)
    assert (targets["eu"].replicated_up_to[p0], targets["eu"].lag_seconds, targets["eu"].unreplicated_ranges) == (
        25,
        0,
        0,
    )
    assert (targets["apac"].replicated_up_to[p0], targets["apac"].progress[p0].behind) == (10, 15)
    assert targets["apac"].lag_seconds == pytest.approx(90, abs=1e-3) and targets["apac"].unreplicated_ranges == 1
    assert {t.region: t.lag_seconds for t in by_region["eu"].targets} == pytest.approx({"us": 7200, "apac": 7200})
    assert by_region["apac"].frontiers == ()

    table = render_status(by_region.values())
    lines = table.splitlines()
    assert lines[0].split() == ["REGION", "STORE", "LEDGER", "TOPIC", "LANDED", "PARTITIONS"]
    assert ["us", us.describe(), "bronze/events", TOPIC, "29", "0:25", "1:4"] in [line.split() for line in lines]
    assert ["us", "apac", "bronze/events", TOPIC, "29", "14", "15", "1m30s"] in [line.split() for line in lines]
    assert ["eu", "us", "streaming/region_minute", METRICS_TOPIC, "5", "0", "5", "2h00m"] in [
        line.split() for line in lines
    ]


def test_an_unreachable_store_is_shown_not_fatal(tmp_path: Path) -> None:
    us, eu = lakes(tmp_path, "us", "eu")
    land_bronze(us, OffsetRange(0, 0, 3))
    stores: dict[str, LakeStorage] = {"us": us, "eu": Unreachable(eu)}

    us_status, eu_status = region_status(stores, [BRONZE], now=NOW, pairs=[("us", "eu"), ("eu", "us")])

    assert eu_status.error is not None and eu.describe() in eu_status.error
    [target] = us_status.targets
    assert target.error is not None and "target store" in target.error
    table = render_status([us_status, eu_status])
    assert "unreachable" in table and f"source store {eu.describe()}" in table
    with pytest.raises(ValueError, match="no store"):
        region_status(stores, [BRONZE], pairs=[("us", "mars")])


def test_ages_read_at_a_glance() -> None:
    assert [format_age(s) for s in (0, 59.9, 90, 3600 * 2 + 61, 86400 * 3 + 3600 * 5)] == [
        "0s",
        "59s",
        "1m30s",
        "2h01m",
        "3d05h",
    ]
