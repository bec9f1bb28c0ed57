"""Reading what the metrics are made of: each region's ledgers, each replica's manifests, the Dagster instance.

Listings of keys only (no checksums, no data reads), plus the ``updated`` of the few files a metric needs
(the newest range of each partition, the oldest unreplicated one), so a scrape costs a handful of calls
per store however large the lake grows. Each source is read on its own: one that fails is named in the
result and the others are still read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from orchestration.exporter.collect import (
    COMPLETED,
    BronzeRegion,
    CheckState,
    LedgerEntry,
    Snapshot,
    bronze_region,
    check_states,
    frontier_entries,
    gold_last_build,
    lag_from_status,
    ledger_entries,
    manifested,
    oldest_unreplicated,
    replication_lag,
    running,
)
from orchestration.lib.lake import LakeStorage
from orchestration.lib.replication.layout import manifest_root

if TYPE_CHECKING:
    from dagster import AssetCheckKey, DagsterInstance

    from orchestration.settings import LakeSettings

log = logging.getLogger(__name__)
GOLD_PREFIX = ["gold"]  # asset keys say where data lives: every gold table is gold/<name>


def lake_source(region: str) -> str:
    return f"lake:{region}"


def replication_source(source: str, target: str) -> str:
    return f"replication:{source}->{target}"


GOLD_SOURCE = "dagster:gold"
CHECKS_SOURCE = "dagster:checks"


@dataclass(frozen=True)
class RegionLedgers:
    """One listing of a region's ledgers: every ledger's entries; the bronze ones also make the frontier."""

    entries: tuple[LedgerEntry, ...]


def list_ledgers(store: LakeStorage, rows_prefixes: Sequence[str]) -> RegionLedgers:
    return RegionLedgers(tuple(e for p in rows_prefixes for e in ledger_entries(store.list(f"{p}/"), p)))


def landed_times(store: LakeStorage, entries: Iterable[LedgerEntry]) -> list[datetime]:
    """When each entry's rows file landed (a file deleted since the listing is skipped)."""
    return [info.updated for e in entries if (info := store.stat(e.key)) is not None]


def read_bronze(store: LakeStorage, region: str, ledgers: RegionLedgers, bronze_prefix: str) -> BronzeRegion:
    frontier = frontier_entries(e for e in ledgers.entries if e.ledger == bronze_prefix)
    return bronze_region(region, frontier, landed_times(store, frontier.values()))


def read_lag(
    source_region: str,
    target: LakeStorage,
    source: tuple[LakeStorage, RegionLedgers] | None,
    status_path: str,
    now: datetime,
) -> float | None:
    """``source`` None: it could not be listed, so the lag comes from the target's status record (None when no
    run ever recorded one there)."""
    if source is None:
        if not target.exists(status_path):
            return None
        return lag_from_status(target.read(status_path), now)
    store, ledgers = source
    replicated = manifested(target.list(manifest_root(source_region)), source_region)
    waiting = oldest_unreplicated(ledgers.entries, replicated)
    return replication_lag(landed_times(store, waiting), now)


@dataclass
class LakeSource:
    """Every region's store, the ledgers replication copies (by rows prefix; bronze's among them) and the pairs."""

    stores: Mapping[str, LakeStorage]
    bronze_prefix: str
    rows_prefixes: Sequence[str]
    pairs: Sequence[tuple[str, str]]
    status_path: Callable[[str], str]  # source region -> its status record in a target store

    def names(self) -> list[str]:
        return [lake_source(r) for r in self.stores] + [replication_source(s, t) for s, t in self.pairs]

    def read(self, now: datetime, failed: Callable[[str, BaseException], None]) -> Snapshot:
        bronze: list[BronzeRegion] = []
        listed: dict[str, tuple[LakeStorage, RegionLedgers]] = {}
        for region, store in self.stores.items():
            try:
                ledgers = list_ledgers(store, self.rows_prefixes)
                bronze.append(read_bronze(store, region, ledgers, self.bronze_prefix))
                listed[region] = (store, ledgers)
            except Exception as exc:  # any store failure: count it, export the rest
                failed(lake_source(region), exc)
        lags: dict[tuple[str, str], float] = {}
        for source, target in self.pairs:
            try:
                lag = read_lag(source, self.stores[target], listed.get(source), self.status_path(source), now)
            except Exception as exc:
                failed(replication_source(source, target), exc)
                continue
            if lag is not None:
                lags[(source, target)] = lag
        return Snapshot(bronze=tuple(bronze), replication_lag=lags)


def check_keys(instance: DagsterInstance) -> list[AssetCheckKey]:
    """Every asset check the instance holds an execution of.

    Dagster has no public call listing them without loading the code location (seconds of imports and the
    dbt manifest), so this reads the distinct keys of its ``asset_check_executions`` table, the table
    ``get_latest_asset_check_execution_by_key`` reads (SQLite and PostgreSQL storage alike).
    """
    import sqlalchemy as db
    from dagster import AssetCheckKey, AssetKey
    from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable
    from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

    storage = instance.event_log_storage
    if not isinstance(storage, SqlEventLogStorage):
        raise TypeError(f"the exporter reads asset checks from SQL event log storage, not {type(storage).__name__}")
    table = AssetCheckExecutionsTable
    with storage.index_connection() as conn:
        rows = conn.execute(db.select(table.c.asset_key, table.c.check_name).distinct()).fetchall()
    keys = [(AssetKey.from_db_string(str(asset)), str(name)) for asset, name in rows]
    return sorted((AssetCheckKey(a, n) for a, n in keys if a is not None), key=lambda k: k.to_user_string())


def read_checks(instance: DagsterInstance) -> list[CheckState]:
    """The latest completed evaluation of every check: one query, plus one per check still running."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    storage = instance.event_log_storage
    latest = storage.get_latest_asset_check_execution_by_key(check_keys(instance))
    records = list(latest.values())
    done = {AssetCheckExecutionRecordStatus(s) for s in COMPLETED}
    for key in running(latest):
        records += storage.get_asset_check_execution_history(key, limit=1, status=done)
    return check_states(records)


def read_gold(instance: DagsterInstance) -> float | None:
    events = (instance.get_latest_materialization_event(k) for k in instance.get_asset_keys(prefix=GOLD_PREFIX))
    return gold_last_build(e.timestamp if e is not None else None for e in events)


class DagsterSource:
    """The Dagster instance, opened on first use and again after a failure (PostgreSQL may come up later)."""

    def __init__(self, open_instance: Callable[[], DagsterInstance]) -> None:
        self._open = open_instance
        self._instance: DagsterInstance | None = None

    def names(self) -> list[str]:
        return [GOLD_SOURCE, CHECKS_SOURCE]

    def instance(self) -> DagsterInstance:
        if self._instance is None:
            self._instance = self._open()
        return self._instance

    def read(self, failed: Callable[[str, BaseException], None]) -> tuple[float | None, tuple[CheckState, ...]]:
        gold: float | None = None
        checks: tuple[CheckState, ...] = ()
        try:
            gold = read_gold(self.instance())
        except Exception as exc:  # a storage error: count it, export the rest
            failed(GOLD_SOURCE, exc)
            self._instance = None
        try:
            checks = tuple(read_checks(self.instance()))
        except Exception as exc:
            failed(CHECKS_SOURCE, exc)
            self._instance = None
        return gold, checks


@dataclass
class Sources:
    lake: LakeSource
    dagster: DagsterSource | None = None

    def names(self) -> list[str]:
        return self.lake.names() + (self.dagster.names() if self.dagster else [])

    def read(self, now: datetime | None = None) -> tuple[Snapshot, list[str]]:
        """One read of everything: what was found, and the sources that failed (each logged with its error)."""
        errors: list[str] = []

        def failed(source: str, exc: BaseException) -> None:
            log.warning("exporter: reading %s failed: %s: %s", source, type(exc).__name__, exc)
            errors.append(source)

        at = now or datetime.now(UTC)
        snapshot = self.lake.read(at, failed)
        if self.dagster is not None:
            gold, checks = self.dagster.read(failed)
            snapshot = Snapshot(snapshot.bronze, snapshot.replication_lag, gold, checks)
        return snapshot, errors


def build_sources(lake: LakeSettings, open_instance: Callable[[], DagsterInstance] | None) -> Sources:
    """The deployment's sources: every region of ``MERIDIAN_REGIONS`` with its store, every ordered pair of
    them replicated (as ``PlatformSettings.replication_pairs``), and the instance ``open_instance`` opens."""
    from orchestration.defs.replication.assets import LEDGERS
    from orchestration.defs.replication.pairs import status_path
    from orchestration.defs.shared.resources import LakeResource
    from orchestration.lib.bronze.landing import BRONZE

    resource = LakeResource.from_settings(lake)
    stores = {region: resource.storage(region) for region in lake.regions}
    pairs = [(s, t) for s in lake.regions for t in lake.regions if s != t]
    source = LakeSource(stores, BRONZE.rows_prefix, [ledger.rows_prefix for ledger in LEDGERS], pairs, status_path)
    return Sources(source, DagsterSource(open_instance) if open_instance is not None else None)
