"""The exporter's sources and collector on real lakes (local folders landed and replicated by the project's own
code): the values they read, a store that cannot be read, the fallback while a source is lost, and the cache
that keeps a scrape storm off the stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance

from orchestration.defs.replication.assets import record_status
from orchestration.defs.replication.pairs import Pair
from orchestration.defs.shared.resources import LakeResource
from orchestration.exporter.collector import LakeCollector
from orchestration.exporter.sources import Sources, build_sources
from orchestration.lib.lake import LakeStorage, LocalLakeStorage
from orchestration.lib.replication import audit
from orchestration.settings import LakeSettings
from tests.orchestration.exporter.exporter_lakes import LEDGERS, TOPIC, Lakes, build_lakes
from tests.orchestration.lib.replication.replication_lakes import Wrapper


def lag_since(waiting_since: datetime) -> tuple[float, float]:
    """Bounds for a lag read now: at least the age at the time of the check, at most a minute more."""
    age = (datetime.now(UTC) - waiting_since).total_seconds()
    return age - 60, age + 1


def unreadable_store(tmp_path: Path) -> str:
    """A store URI whose folder is a file: the local store refuses to list it (a lost mount looks like this)."""
    path = tmp_path / "gone"
    path.write_text("not a lake")
    return f"file://{path}"


def test_the_frontiers_last_landings_and_lags_of_real_lakes(tmp_path: Path) -> None:
    lakes = build_lakes(tmp_path / "lakes")

    snapshot, failed = build_sources(lakes.settings, None).read()

    assert failed == []
    bronze = {b.region: b for b in snapshot.bronze}
    assert dict(bronze["us"].frontiers) == {(TOPIC, 0): 25, (TOPIC, 1): 4}
    assert dict(bronze["eu"].frontiers) == {(TOPIC, 0): 6}  # the stream-metrics ledger is no bronze
    assert bronze["us"].last_landed_at is not None and bronze["eu"].last_landed_at is not None
    assert bronze["us"].last_landed_at.timestamp() == pytest.approx(lakes.us_last_landed.timestamp(), abs=0.01)
    assert bronze["eu"].last_landed_at.timestamp() == pytest.approx(lakes.eu_last_landed.timestamp(), abs=0.01)
    low, high = lag_since(lakes.us_to_eu_waiting_since)
    assert low < snapshot.replication_lag[("us", "eu")] < high
    low, high = lag_since(lakes.eu_to_us_waiting_since)  # the metrics range is eu's oldest: replication copies it
    assert low < snapshot.replication_lag[("eu", "us")] < high


def test_a_store_that_cannot_be_read_is_counted_and_everything_else_still_exported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """apac's store is gone and no Dagster instance is configured: those sources count an error at each read,
    and us and eu are exported in full."""
    build_lakes(tmp_path / "lakes")
    settings = LakeSettings(
        root=tmp_path / "lakes",
        regions=["us", "eu", "apac"],
        primary_region="us",
        stores={"apac": unreadable_store(tmp_path)},
    )
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # DagsterInstance.get then raises, as in a bad deployment
    now = [0.0]
    collector = LakeCollector(build_sources(settings, DagsterInstance.get), cache_seconds=10, clock=lambda: now[0])

    collector.snapshot()
    now[0] = 11.0
    snapshot = collector.snapshot()
    errors = collector.errors()

    broken = {"lake:apac", "replication:us->apac", "replication:eu->apac", "dagster:gold", "dagster:checks"}
    assert {s for s, n in errors.items() if n} == broken
    assert all(errors[s] == 2 for s in broken)  # once per read, not once per scrape
    assert errors["replication:apac->us"] == 0  # apac unlisted, no status record in us: unknown, not an error
    assert [b.region for b in snapshot.bronze] == ["us", "eu"]
    assert set(snapshot.replication_lag) == {("us", "eu"), ("eu", "us")}
    assert dict(next(b for b in snapshot.bronze if b.region == "us").frontiers) == {(TOPIC, 0): 25, (TOPIC, 1): 4}


def test_while_a_source_is_lost_its_replicas_lag_grows_from_the_last_recorded_one(tmp_path: Path) -> None:
    """The replication asset's status record in the target (written by its own code) carries the lag on."""
    lakes = build_lakes(tmp_path / "lakes")
    stores = LakeResource.from_settings(lakes.settings)
    audited_at = lakes.built_at - timedelta(minutes=5)  # before us's last range landed: nothing waited then
    result = audit(stores.storage("us"), stores.storage("eu"), LEDGERS, now=audited_at)
    assert result.lag_seconds == 0
    record_status(stores, Pair("us", "eu"), result)
    lost = LakeSettings(root=tmp_path / "lakes", regions=["us", "eu"], stores={"us": unreadable_store(tmp_path)})

    snapshot, failed = build_sources(lost, None).read()

    assert failed == ["lake:us", "replication:eu->us"]  # us is eu's target too
    low, high = lag_since(audited_at)
    assert low < snapshot.replication_lag[("us", "eu")] < high  # ~5 min: the record's 0 plus the time since


class Counting(Wrapper):
    def __init__(self, inner: LakeStorage) -> None:
        super().__init__(inner)
        self.listings = 0

    def list(self, prefix: str) -> list[str]:
        self.listings += 1
        return self.inner.list(prefix)


def test_scrapes_within_the_cache_time_share_one_read(tmp_path: Path) -> None:
    lakes: Lakes = build_lakes(tmp_path / "lakes")
    sources: Sources = build_sources(lakes.settings, None)
    us = Counting(LocalLakeStorage(tmp_path / "lakes", "us"))
    sources.lake.stores = {**sources.lake.stores, "us": us}
    now = [100.0]
    collector = LakeCollector(sources, cache_seconds=10, clock=lambda: now[0])

    list(collector.collect())
    per_read = us.listings
    for at in (100.5, 105.0, 109.9):
        now[0] = at
        list(collector.collect())
    assert us.listings == per_read > 0
    now[0] = 110.0
    list(collector.collect())
    assert us.listings == 2 * per_read
