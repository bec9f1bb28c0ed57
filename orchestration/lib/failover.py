"""Who builds global gold after a region is lost: heartbeats beside the lease, and the decision to take over.

Every DR deployment writes a heartbeat for its home region into the lease store on each tick of its
failover sensor (a plain overwrite: it is evidence, not a grant). The lease holder's heartbeat going
stale for ``failover_after_s`` is what "the aggregation region is lost" means here. Liveness is
proven by the only process that can build gold, not guessed from probes of its store or Kafka (either
may blip, or be fine while its Dagster is dead); probes are recorded beside the decision so a person
sees why. A stale holder is replaced by the first region in succession order (``MERIDIAN_REGIONS``
after the holder, wrapping) whose own heartbeat is fresh, so survivors do not all contend; should
two contend anyway, the lease's create-only epoch write lets exactly one win.

Nothing hands the role back when the old holder returns: failing back the aggregation role is an
operator's decision (``meridian dr promote``), so a flapping region cannot make gold flap with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from orchestration.lib.lake import LakeStorage
from orchestration.lib.lease import Lease, LeaseConflict, LeaseLog

HEARTBEATS = "lease/heartbeats/"


def heartbeat_path(region: str) -> str:
    return f"{HEARTBEATS}{region}.json"


def beat(storage: LakeStorage, region: str, now: datetime | None = None) -> datetime:
    """Record that ``region``'s deployment is alive now."""
    at = now or datetime.now(UTC)
    storage.write(heartbeat_path(region), orjson.dumps({"region": region, "at": at.isoformat()}))
    return at


def heartbeats(storage: LakeStorage) -> dict[str, datetime]:
    """The last heartbeat of every region that ever wrote one (one listing, one read each)."""
    beats: dict[str, datetime] = {}
    for key in storage.list(HEARTBEATS):
        doc = orjson.loads(storage.read(key))
        beats[str(doc["region"])] = datetime.fromisoformat(doc["at"])
    return beats


@dataclass(frozen=True)
class Decision:
    """What one region's tick concluded: ``promote`` is True when it should take the lease over now."""

    region: str
    holder: str
    epoch: int
    holder_silent_s: float | None  # None: the holder never wrote a heartbeat
    promote: bool
    reason: str


def decide(
    me: str,
    lease: Lease,
    beats: Mapping[str, datetime],
    regions: Sequence[str],
    now: datetime,
    failover_after_s: float,
) -> Decision:
    """Whether ``me`` should take the lease from its holder (pure: the sensor and the drill share it)."""
    holder = lease.aggregation_region
    last = beats.get(holder)
    silent = (now - last).total_seconds() if last else None
    # A holder that never beat is judged from its grant, so a bootstrap lease for a dead region still moves.
    silent_for = silent if silent is not None else (now - lease.granted_at).total_seconds()

    def decision(promote: bool, reason: str) -> Decision:
        return Decision(me, holder, lease.epoch, silent, promote, reason)

    if holder == me:
        return decision(False, f"{me} holds the lease (epoch {lease.epoch})")
    if silent_for < failover_after_s:
        return decision(False, f"holder {holder} is alive (last heartbeat {silent_for:.0f} s ago)")
    alive = [
        r for r in _succession(regions, holder) if r in beats and (now - beats[r]).total_seconds() < failover_after_s
    ]
    if me not in alive:
        alive.append(me)  # this tick proves me alive, whatever the store said a moment ago
    successor = next(r for r in _succession(regions, holder) if r in alive)
    if successor != me:
        return decision(False, f"holder {holder} silent {silent_for:.0f} s; {successor} is first in succession")
    return decision(True, f"holder {holder} silent {silent_for:.0f} s (failover after {failover_after_s:.0f} s)")


def _succession(regions: Sequence[str], holder: str) -> list[str]:
    """The other regions in ``MERIDIAN_REGIONS`` order, starting after the holder."""
    ordered = list(regions)
    if holder in ordered:
        i = ordered.index(holder)
        ordered = ordered[i + 1 :] + ordered[:i]
    return [r for r in ordered if r != holder]


@dataclass(frozen=True)
class Tick:
    decision: Decision
    lease: Lease  # the lease after the tick (a new one when this tick promoted)
    promoted: bool


def tick(
    leases: LeaseLog,
    store: LakeStorage,
    me: str,
    initial_holder: str,
    regions: Sequence[str],
    failover_after_s: float,
    by: str,
    now: datetime | None = None,
) -> Tick:
    """One failover tick of ``me``'s deployment: beat, bootstrap the lease if none, take it over if due."""
    now = now or datetime.now(UTC)
    beat(store, me, now)
    lease = leases.ensure(initial_holder, by=by)
    decision = decide(me, lease, heartbeats(store), regions, now, failover_after_s)
    if not decision.promote:
        return Tick(decision, lease, False)
    try:
        won = leases.promote(me, expected_epoch=lease.epoch, by=by, reason=decision.reason)
    except LeaseConflict as lost:
        return Tick(decision, lost.winner, False)
    return Tick(decision, won, True)
