"""The aggregation lease and fencing, against real stores: a folder, SeaweedFS's S3, fake-gcs-server.

Races use separate store handles (each its own client), as separate deployments would, released
from one barrier; the stores' own create-only writes decide who wins.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from orchestration.lib.lake import LakeStorage, LocalLakeStorage, ObjectInfo
from orchestration.lib.lease import (
    DEFAULT_PREFIX,
    FencedError,
    Lease,
    LeaseConflict,
    LeaseError,
    LeaseLog,
    latest_publication,
    publish,
)
from tests.stores import StoreFactory

pytestmark = pytest.mark.integration

GOLD = "gold/global/fct_events"
CONTENDERS = 8


@pytest.fixture()
def lease_log(store: LakeStorage) -> LeaseLog:
    return LeaseLog(store)


def race(calls: list[Callable[[], Lease]]) -> list[Lease | LeaseConflict]:
    """Every call's lease or conflict, all released at once from one barrier; bounded by timeouts."""
    start = threading.Barrier(len(calls), timeout=30)
    results: dict[int, Lease | LeaseConflict] = {}
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = calls[i]()
        except LeaseConflict as lost:
            results[i] = lost
        except BaseException as exc:  # re-raised below in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a contender did not finish within 60 s"
    if errors:
        raise errors[0]
    return [results[i] for i in range(len(calls))]


# --- the lease log -------------------------------------------------------------------------------


def test_bootstrap_is_idempotent(new_store: StoreFactory) -> None:
    before = datetime.now(UTC)
    first = LeaseLog(new_store()).ensure("eu", by="eu/dagster")
    again = LeaseLog(new_store()).ensure("us", by="us/dagster")  # another deployment: follows the lease

    assert again == first
    assert (first.aggregation_region, first.epoch, first.granted_by, first.reason) == (
        "eu",
        1,
        "eu/dagster",
        "bootstrap",
    )
    assert first.granted_at.tzinfo == UTC and before <= first.granted_at <= datetime.now(UTC)
    log = LeaseLog(new_store())
    assert log.current() == first and log.history() == [first]
    assert new_store().list(DEFAULT_PREFIX) == [f"{DEFAULT_PREFIX}000000000001.json"]


def test_racing_bootstraps_all_get_the_one_grant(new_store: StoreFactory) -> None:
    logs = [LeaseLog(new_store()) for _ in range(CONTENDERS)]

    results = race([lambda log=log, i=i: log.ensure(f"region-{i}", by=f"deployment-{i}") for i, log in enumerate(logs)])

    assert all(isinstance(r, Lease) for r in results)
    assert len(set(results)) == 1 and results[0].epoch == 1
    assert LeaseLog(new_store()).history() == [results[0]]


def test_promote_increments_the_epoch(lease_log: LeaseLog, store: LakeStorage) -> None:
    boot = lease_log.ensure("eu", by="eu/dagster")
    second = lease_log.promote("us", expected_epoch=1, by="operator", reason="eu lost")
    third = lease_log.promote("ap", expected_epoch=2, by="us/dagster", reason="us lost")

    assert [(x.aggregation_region, x.epoch) for x in (boot, second, third)] == [("eu", 1), ("us", 2), ("ap", 3)]
    assert (second.granted_by, second.reason) == ("operator", "eu lost")
    assert lease_log.current() == third
    assert lease_log.history() == [boot, second, third]
    assert Lease.from_bytes(store.read(lease_log.path(2)), "epoch 2") == second
    assert lease_log.ensure("eu", by="eu/dagster") == third  # bootstrap never re-grants


def test_racing_promotions_from_one_epoch_have_exactly_one_winner(new_store: StoreFactory) -> None:
    boot = LeaseLog(new_store()).ensure("eu", by="eu/dagster")
    logs = [LeaseLog(new_store()) for _ in range(CONTENDERS)]

    results = race(
        [
            lambda log=log, i=i: log.promote(f"region-{i}", expected_epoch=1, by=f"contender-{i}", reason="eu lost")
            for i, log in enumerate(logs)
        ]
    )

    winners = [r for r in results if isinstance(r, Lease)]
    assert len(winners) == 1, results
    won = winners[0]
    i = results.index(won)
    assert (won.aggregation_region, won.epoch, won.granted_by) == (f"region-{i}", 2, f"contender-{i}")
    for lost in results:
        if isinstance(lost, LeaseConflict):
            assert lost.winner == won
            assert repr(won.aggregation_region) in str(lost)
    assert LeaseLog(new_store()).history() == [boot, won]


def test_promote_from_a_stale_epoch_is_refused(lease_log: LeaseLog, store: LakeStorage) -> None:
    lease_log.ensure("eu", by="eu/dagster")
    us = lease_log.promote("us", expected_epoch=1, by="operator", reason="eu lost")

    for stale in (1, 0, 5):
        with pytest.raises(LeaseConflict, match="the lease is at epoch 2, held by 'us'") as refused:
            lease_log.promote("ap", expected_epoch=stale, by="ap/dagster", reason="late")
        assert refused.value.winner == us
    assert lease_log.current() == us
    assert store.list(DEFAULT_PREFIX) == [lease_log.path(1), lease_log.path(2)]


def test_promote_on_an_empty_log_says_to_bootstrap(lease_log: LeaseLog) -> None:
    with pytest.raises(LeaseError, match=r"is empty.*ensure\(\)"):
        lease_log.promote("us", expected_epoch=1, by="operator", reason="eu lost")
    assert lease_log.current() is None


def test_fence_refuses_the_old_holder_after_a_promotion_and_accepts_the_new(lease_log: LeaseLog) -> None:
    with pytest.raises(FencedError, match="no lease has been granted"):
        lease_log.fence("eu", 1)
    boot = lease_log.ensure("eu", by="eu/dagster")
    assert lease_log.fence("eu", 1) == boot

    us = lease_log.promote("us", expected_epoch=1, by="operator", reason="eu lost")

    with pytest.raises(FencedError) as fenced:
        lease_log.fence("eu", 1)
    message = str(fenced.value)
    assert "region 'eu' at epoch 1 is fenced" in message and "'us' holds epoch 2" in message
    assert lease_log.describe() in message
    assert (fenced.value.region, fenced.value.epoch, fenced.value.holder) == ("eu", 1, us)
    assert lease_log.fence("us", 2) == us
    for region, epoch in (("us", 1), ("eu", 2), ("us", 3)):  # the pair must match, not either half
        with pytest.raises(FencedError):
            lease_log.fence(region, epoch)


# --- fenced publications -------------------------------------------------------------------------


def test_a_stale_writer_is_refused_and_uploads_nothing(lease_log: LeaseLog, store: LakeStorage) -> None:
    lease_log.ensure("eu", by="eu/dagster")
    eu = publish(store, GOLD, b"eu build", lease_log, "eu", 1)
    assert latest_publication(store, GOLD, lease_log) == eu
    assert store.read(eu.payload) == b"eu build" and eu.size == len(b"eu build")
    listed = store.list(f"{GOLD}/")

    lease_log.promote("us", expected_epoch=1, by="operator", reason="eu lost")

    with pytest.raises(FencedError, match="'us' holds epoch 2"):
        publish(store, GOLD, b"eu again", lease_log, "eu", 1)
    assert store.list(f"{GOLD}/") == listed
    assert latest_publication(store, GOLD, lease_log) is None  # the old epoch's build no longer counts
    us = publish(store, GOLD, b"us build", lease_log, "us", 2)
    later = publish(store, GOLD, b"us build 2", lease_log, "us", 2)
    latest = latest_publication(store, GOLD, lease_log)
    assert latest == later and latest.published_at >= us.published_at
    assert store.read(latest.payload) == b"us build 2"


class StallsBefore:
    """A store through which a writer passes a fence check, then stalls while ``stall`` runs.

    ``stall`` runs once, just before the first write of a key ending in ``suffix``: ``.json`` is the
    publication record (the commit), so that is exactly the window between the last fence check
    and the write that no object store can close; ``.data`` is the payload upload.
    """

    def __init__(self, store: LakeStorage, suffix: str, stall: Callable[[], None]) -> None:
        self.store, self.suffix, self.stall, self.region = store, suffix, [stall], store.region

    def write(self, path: str, data: bytes) -> ObjectInfo | None:
        if path.endswith(self.suffix) and self.stall:
            self.stall.pop()()
        return self.store.write(path, data)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


def test_a_publication_that_slips_in_with_an_old_epoch_is_ignored(lease_log: LeaseLog, store: LakeStorage) -> None:
    lease_log.ensure("eu", by="eu/dagster")

    def failover() -> None:
        lease_log.promote("us", expected_epoch=1, by="operator", reason="eu stalled")

    stalled = StallsBefore(store, ".json", failover)
    stale = publish(stalled, GOLD, b"stale eu build", lease_log, "eu", 1)  # type: ignore[arg-type]

    assert store.exists(stale.payload) and stale.epoch == 1  # it landed, after the promotion
    assert latest_publication(store, GOLD, lease_log) is None  # but no reader serves it
    us = publish(store, GOLD, b"us build", lease_log, "us", 2)
    latest = latest_publication(store, GOLD, lease_log)
    assert latest == us and store.read(latest.payload) == b"us build"


def test_a_promotion_during_the_payload_upload_stops_the_commit(lease_log: LeaseLog, store: LakeStorage) -> None:
    lease_log.ensure("eu", by="eu/dagster")
    successor: list[object] = []

    def failover() -> None:
        lease_log.promote("us", expected_epoch=1, by="operator", reason="eu stalled")
        successor.append(publish(store, GOLD, b"us build", lease_log, "us", 2))

    with pytest.raises(FencedError, match="'us' holds epoch 2"):
        publish(StallsBefore(store, ".data", failover), GOLD, b"stale eu build", lease_log, "eu", 1)  # type: ignore[arg-type]

    records = [key for key in store.list(f"{GOLD}/") if key.endswith(".json")]
    assert len(records) == 1 and "/epoch=000000000002/" in records[0]  # the stale payload never committed
    assert latest_publication(store, GOLD, lease_log) == successor[0]


# --- malformed objects are errors, never skipped -------------------------------------------------


def test_a_malformed_lease_object_is_a_clear_error(lease_log: LeaseLog, store: LakeStorage) -> None:
    lease_log.ensure("eu", by="eu/dagster")
    store.write(lease_log.path(2), b"{not json")

    for call in (lease_log.current, lease_log.history, lambda: lease_log.fence("eu", 1)):
        with pytest.raises(LeaseError, match="is not an aggregation lease") as raised:
            call()
        assert store.uri(lease_log.path(2)) in str(raised.value)
    with pytest.raises(LeaseError):
        lease_log.promote("us", expected_epoch=2, by="operator", reason="eu lost")


def test_stray_and_missing_lease_objects_are_errors(lease_log: LeaseLog, store: LakeStorage) -> None:
    lease_log.ensure("eu", by="eu/dagster")
    lease_log.promote("us", expected_epoch=1, by="operator", reason="eu lost")
    third = lease_log.promote("ap", expected_epoch=2, by="operator", reason="us lost")
    store.delete(lease_log.path(2))

    with pytest.raises(LeaseError, match=r"lacks epochs \[2\]"):
        lease_log.history()
    assert lease_log.current() == third  # the current lease does not depend on the deleted one

    store.write(f"{DEFAULT_PREFIX}notes.txt", b"hand-written")
    with pytest.raises(LeaseError, match="notes.txt") as raised:
        lease_log.current()
    assert store.uri(f"{DEFAULT_PREFIX}notes.txt") in str(raised.value)


def test_a_malformed_publication_record_is_a_clear_error(lease_log: LeaseLog, store: LakeStorage) -> None:
    lease_log.ensure("eu", by="eu/dagster")
    publish(store, GOLD, b"eu build", lease_log, "eu", 1)
    record = f"{GOLD}/epoch={1:012d}/99991231T235959999999Z-ffffffffffff.json"  # sorts after the good one
    store.write(record, b'{"format_version": 1, "path": "gold/global/fct_events"}')

    with pytest.raises(LeaseError, match="is not a publication") as raised:
        latest_publication(store, GOLD, lease_log)
    assert store.uri(record) in str(raised.value)

    store.delete(record)
    store.write(f"{GOLD}/README", b"not a record")
    with pytest.raises(LeaseError, match="README"):
        latest_publication(store, GOLD, lease_log)


def test_publications_read_against_the_wrong_lease_log_are_an_error(lease_log: LeaseLog, store: LakeStorage) -> None:
    lease_log.ensure("eu", by="eu/dagster")
    published = publish(store, f"{GOLD}/", b"eu build", lease_log, "eu", 1)
    assert published.path == GOLD and latest_publication(store, f"{GOLD}/", lease_log) == published

    with pytest.raises(LeaseError, match="after the current lease .0.*wrong lease log"):
        latest_publication(store, GOLD, LeaseLog(store, prefix="lease/elsewhere/"))


# --- the lease object itself (pure) --------------------------------------------------------------


def lease_doc(**changes: object) -> bytes:
    doc: dict[str, object] = {
        "format_version": 1,
        "aggregation_region": "eu",
        "epoch": 1,
        "granted_at": "2025-03-01T12:00:00Z",
        "granted_by": "eu/dagster",
        "reason": "bootstrap",
    }
    doc.update(changes)
    return orjson.dumps({k: v for k, v in doc.items() if v is not None})


def test_a_lease_round_trips_through_json_in_utc() -> None:
    lease = Lease("eu", 7, datetime(2025, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1))), "operator", "drill")
    assert lease.granted_at == datetime(2025, 3, 1, 12, 0, tzinfo=UTC) and lease.granted_at.tzinfo == UTC
    assert Lease.from_bytes(lease.to_bytes(), "x") == lease
    assert Lease.from_bytes(lease_doc(), "x").granted_at == datetime(2025, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"[1]",
        lease_doc(format_version=2),
        lease_doc(epoch=None),
        lease_doc(epoch="1"),
        lease_doc(epoch=True),
        lease_doc(epoch=0),
        lease_doc(aggregation_region=""),
        lease_doc(granted_at="2025-03-01T12:00:00"),
        lease_doc(reason=3),
    ],
)
def test_a_lease_not_in_this_format_is_refused_naming_its_path(data: bytes) -> None:
    with pytest.raises(LeaseError, match="s3://lake/lease/aggregation/000000000001.json is not an aggregation lease"):
        Lease.from_bytes(data, "s3://lake/lease/aggregation/000000000001.json")


def test_a_lease_object_whose_name_and_epoch_disagree_is_refused(tmp_path: Path) -> None:
    store = LocalLakeStorage(tmp_path, "eu")
    log = LeaseLog(store)
    store.write(log.path(1), lease_doc(epoch=3))
    with pytest.raises(LeaseError, match="says epoch 3; its name says 1"):
        log.current()
