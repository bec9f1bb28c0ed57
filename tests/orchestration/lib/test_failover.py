"""Who takes the aggregation lease: heartbeats, succession, and one winner among contenders."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestration.lib.failover import beat, decide, heartbeats, tick
from orchestration.lib.lake.local import LocalLakeStorage
from orchestration.lib.lease import Lease, LeaseLog

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
REGIONS = ["us", "eu", "apac"]


def lease(holder: str, epoch: int = 1, granted: datetime = NOW - timedelta(hours=1)) -> Lease:
    return Lease(holder, epoch, granted, f"{holder}/test", "bootstrap")


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def test_the_holder_never_promotes_and_a_live_holder_is_left_alone() -> None:
    assert not decide("us", lease("us"), {"us": ago(500)}, REGIONS, NOW, 30).promote
    alive = decide("eu", lease("us"), {"us": ago(5), "eu": ago(1)}, REGIONS, NOW, 30)
    assert not alive.promote and "alive" in alive.reason and alive.holder_silent_s == 5


def test_a_silent_holder_is_replaced_by_the_first_live_region_in_succession_only() -> None:
    beats = {"us": ago(31), "eu": ago(1), "apac": ago(1)}
    first = decide("eu", lease("us"), beats, REGIONS, NOW, 30)
    second = decide("apac", lease("us"), beats, REGIONS, NOW, 30)
    assert first.promote and "silent 31 s" in first.reason
    assert not second.promote and "eu is first in succession" in second.reason


def test_the_next_region_takes_over_when_the_first_in_succession_is_silent_too() -> None:
    beats = {"us": ago(120), "eu": ago(90), "apac": ago(1)}
    assert decide("apac", lease("us"), beats, REGIONS, NOW, 30).promote
    # succession wraps from the holder: with apac holding, us comes first
    assert decide("us", lease("apac"), {"apac": ago(60), "us": ago(1), "eu": ago(1)}, REGIONS, NOW, 30).promote


def test_a_holder_that_never_beat_is_judged_from_its_grant() -> None:
    assert not decide("eu", lease("us", granted=ago(10)), {"eu": ago(1)}, REGIONS, NOW, 30).promote
    late = decide("eu", lease("us", granted=ago(40)), {"eu": ago(1)}, REGIONS, NOW, 30)
    assert late.promote and late.holder_silent_s is None


def test_tick_beats_bootstraps_and_promotes_through_the_lease_log(tmp_path: Path) -> None:
    store = LocalLakeStorage(tmp_path, "_global")
    leases = LeaseLog(store)
    first = tick(leases, store, "us", "us", REGIONS, 30, by="us/test", now=NOW)
    assert (first.lease.aggregation_region, first.lease.epoch, first.promoted) == ("us", 1, False)
    beat(store, "us", ago(45))  # us went silent 45 s ago
    later = tick(leases, store, "eu", "us", REGIONS, 30, by="eu/test", now=NOW)
    assert later.promoted and (later.lease.aggregation_region, later.lease.epoch) == ("eu", 2)
    assert heartbeats(store)["eu"] == NOW
    # us comes back: it beats, sees eu's fresh heartbeat, and stays out
    back = tick(leases, store, "us", "us", REGIONS, 30, by="us/test", now=NOW + timedelta(seconds=5))
    assert not back.promoted and back.lease.aggregation_region == "eu"


def test_contenders_that_both_think_they_are_next_get_exactly_one_winner(tmp_path: Path) -> None:
    """Two regions whose views of the heartbeats differ both decide to promote: the create-only epoch decides."""
    store = LocalLakeStorage(tmp_path, "_global")
    leases = LeaseLog(store)
    leases.ensure("us", by="us/test")
    beat(store, "us", ago(600))
    results: dict[str, object] = {}
    barrier = threading.Barrier(2, timeout=10)

    def contend(region: str) -> None:
        barrier.wait()
        # each sees only itself alive (its own beat is written by the tick), so each thinks it is next
        results[region] = tick(leases, store, region, "us", [region, "us"], 30, by=f"{region}/test", now=NOW)

    threads = [threading.Thread(target=contend, args=(r,)) for r in ("eu", "apac")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    promoted = [r for r, t in results.items() if t.promoted]  # type: ignore[attr-defined]
    assert len(promoted) == 1
    assert leases.current() is not None and leases.current().aggregation_region == promoted[0]  # type: ignore[union-attr]
    assert leases.current().epoch == 2  # type: ignore[union-attr]
