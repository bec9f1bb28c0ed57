"""The aggregation lease: which region builds global silver and gold, and under which epoch.

When the aggregation region is lost another region is promoted, and a stale primary that comes
back must not overwrite what its successor publishes (issue 15). Object stores have no
multi-object transactions, and not every backend we run on (nor every S3-compatible server)
offers compare-and-swap on an existing object (If-Match). Every lake store does have a create-only
write (:meth:`LakeStorage.write_if_absent`), atomic against racing writers, and that is all this
module uses: the lease is an append-only log, one object per grant (``<prefix><epoch:012d>.json``),
never rewritten or deleted. The current lease is the highest epoch; a promotion is the create-only
write of the next epoch, so of writers racing from the same epoch exactly one wins. That is
compare-and-swap done on the epoch sequence instead of on one object.

Fencing has two halves. A writer checks the lease immediately before it writes (:func:`publish`),
and every publication carries its epoch, so a reader (:func:`latest_publication`) accepts only
what carries the current epoch. The reader's check closes the gap the writer's check leaves open.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import TypeVar

import orjson

from orchestration.lib.json_fields import typed, utc_time
from orchestration.lib.lake import LakeStorage

log = logging.getLogger(__name__)
R = TypeVar("R", "Lease", "Publication")

FORMAT_VERSION = 1
DEFAULT_PREFIX = "lease/aggregation/"
_LEASE_NAME = re.compile(r"(\d{12})\.json")
# <path>/epoch=<epoch:012d>/<UTC stamp>-<token>.json: the name sorts by epoch, then by time.
_RECORD_NAME = re.compile(r"epoch=(\d{12})/\d{8}T\d{12}Z-[0-9a-f]{12}\.json")


class LeaseError(ValueError):
    """A lease or publication object is not what this module writes; the message names the object."""


class LeaseConflict(RuntimeError):
    """A promotion lost: another writer took the epoch first, or the lease moved past the expected epoch.

    ``winner`` is the lease that holds now; re-read it and decide again instead of retrying blindly.
    """

    def __init__(self, message: str, winner: Lease) -> None:
        super().__init__(message)
        self.winner = winner


class FencedError(RuntimeError):
    """A region tried to write under a lease it no longer holds (or never held)."""

    def __init__(self, region: str, epoch: int, holder: Lease | None, where: str) -> None:
        held = (
            "no lease has been granted"
            if holder is None
            else f"{holder.aggregation_region!r} holds epoch {holder.epoch} "
            f"(granted {holder.granted_at.isoformat()} by {holder.granted_by!r}: {holder.reason})"
        )
        super().__init__(
            f"region {region!r} at epoch {epoch} is fenced off global aggregation: in {where} {held}. "
            "Stop this run; only the holder of the current lease publishes global silver and gold."
        )
        self.region, self.epoch, self.holder = region, epoch, holder


@dataclass(frozen=True)
class Lease:
    aggregation_region: str
    epoch: int
    granted_at: datetime  # UTC
    granted_by: str  # the region or process that wrote the grant
    reason: str

    def __post_init__(self) -> None:
        if not self.aggregation_region or not self.granted_by:
            raise ValueError(f"a lease names its region and its grantor, got {self!r}")
        if isinstance(self.epoch, bool) or not isinstance(self.epoch, int) or self.epoch < 1:
            raise ValueError(f"a lease epoch is an integer from 1, got {self.epoch!r}")
        if self.granted_at.tzinfo is None:
            raise ValueError(f"granted_at must be timezone-aware, got {self.granted_at!r}")
        object.__setattr__(self, "granted_at", self.granted_at.astimezone(UTC))

    def to_bytes(self) -> bytes:
        return _encode(self)

    @classmethod
    def from_bytes(cls, data: bytes, path: str) -> Lease:
        """Parse a lease, refusing anything else: a half-understood lease cannot decide who writes."""
        return _decode(cls, data, f"lease object {path} is not an aggregation lease")


class LeaseLog:
    """The grants of one lease, oldest first, as create-only objects under ``prefix`` of one store.

    The epochs have no holes, by construction: epoch 1 is written only into an empty log, and
    epoch ``n + 1`` only by a writer that has just read epoch ``n`` as the current lease. Objects
    are never deleted, so ``n`` stays, and a create-only write of ``n + 1`` after ``n + 2`` exists
    is impossible because ``n + 2``'s writer saw ``n + 1`` already there. :meth:`history` checks
    this anyway, so a lease object removed or added by hand is reported, never papered over. The
    log is never pruned: it grows by one small object per failover.
    """

    def __init__(self, storage: LakeStorage, prefix: str = DEFAULT_PREFIX) -> None:
        if not prefix.endswith("/"):
            raise ValueError(f"a lease log prefix is a folder ending in '/', got {prefix!r}")
        self.storage = storage
        self.prefix = prefix

    def path(self, epoch: int) -> str:
        return f"{self.prefix}{epoch:012d}.json"

    def describe(self) -> str:
        return self.storage.uri(self.prefix)

    def current(self) -> Lease | None:
        """The highest epoch (one listing, one read); None before the first grant."""
        epochs = self._epochs()
        return self._read(epochs[-1]) if epochs else None

    def history(self) -> list[Lease]:
        epochs = self._epochs()
        if epochs != list(range(1, len(epochs) + 1)):
            missing = sorted(set(range(1, epochs[-1] + 1)) - set(epochs))
            raise LeaseError(
                f"lease log {self.describe()} lacks epochs {missing[:10]}: a lease object was deleted or written "
                "by hand. Restore it from the bucket's versions or audit log before promoting again."
            )
        return [self._read(epoch) for epoch in epochs]

    def ensure(self, region: str, by: str) -> Lease:
        """The current lease, granting epoch 1 to ``region`` first when there is none (idempotent bootstrap).

        Of deployments racing to bootstrap, one grant wins and every caller gets that lease, which
        may name another region: the caller follows the lease, not its own wish.
        """
        current = self.current()
        if current is not None:
            return current
        try:
            return self.promote(region, expected_epoch=0, by=by, reason="bootstrap")
        except LeaseConflict as lost:
            return lost.winner

    def promote(self, region: str, *, expected_epoch: int, by: str, reason: str) -> Lease:
        """Grant epoch ``expected_epoch + 1`` to ``region``, only if ``expected_epoch`` is still current."""
        if expected_epoch < 0:
            raise ValueError(f"expected_epoch is the epoch the caller read (0 for none), got {expected_epoch}")
        current = self.current()
        if current is None and expected_epoch > 0:
            raise LeaseError(
                f"cannot promote {region!r} from epoch {expected_epoch}: lease log {self.describe()} is empty. "
                "Check the store is the one the lease lives in, or bootstrap with ensure()."
            )
        if current is not None and current.epoch != expected_epoch:
            raise LeaseConflict(
                f"{by!r} cannot promote {region!r} from epoch {expected_epoch}: the lease is at epoch "
                f"{current.epoch}, held by {current.aggregation_region!r} (granted by {current.granted_by!r}). "
                "Re-read the lease and decide again.",
                current,
            )
        lease = Lease(region, expected_epoch + 1, datetime.now(UTC), by, reason)
        data, path = lease.to_bytes(), self.path(lease.epoch)
        if self.storage.write_if_absent(path, data):
            return lease
        stored = self.storage.read(path)
        if stored == data:  # our own put, retried after its answer was lost (S3 then answers 412)
            return lease
        winner = self._decode(stored, lease.epoch)
        raise LeaseConflict(
            f"{by!r} lost the promotion of {region!r} to epoch {lease.epoch}: {winner.granted_by!r} granted it "
            f"to {winner.aggregation_region!r} first ({winner.reason}).",
            winner,
        )

    def fence(self, region: str, epoch: int) -> Lease:
        """The current lease if it is exactly ``(region, epoch)``; otherwise :class:`FencedError`."""
        current = self.current()
        if current is None or (current.aggregation_region, current.epoch) != (region, epoch):
            raise FencedError(region, epoch, current, self.describe())
        return current

    def _epochs(self) -> list[int]:
        epochs = []
        for key in self.storage.list(self.prefix):
            match = _LEASE_NAME.fullmatch(key.removeprefix(self.prefix))
            if match is None:
                raise LeaseError(
                    f"{self.storage.uri(key)} is in lease log {self.describe()} but is not a lease "
                    "(<epoch:012d>.json); move it out of the lease prefix."
                )
            epochs.append(int(match[1]))
        return sorted(epochs)

    def _read(self, epoch: int) -> Lease:
        return self._decode(self.storage.read(self.path(epoch)), epoch)

    def _decode(self, data: bytes, epoch: int) -> Lease:
        where = self.storage.uri(self.path(epoch))
        lease = Lease.from_bytes(data, where)
        if lease.epoch != epoch:
            raise LeaseError(f"lease object {where} says epoch {lease.epoch}; its name says {epoch}")
        return lease


@dataclass(frozen=True)
class Publication:
    """One fenced write of ``path``: its bytes are at ``payload`` (read them with ``storage.read``)."""

    path: str
    payload: str
    region: str
    epoch: int
    published_at: datetime
    size: int

    def to_bytes(self) -> bytes:
        return _encode(self)

    @classmethod
    def from_bytes(cls, data: bytes, path: str) -> Publication:
        return _decode(cls, data, f"publication record {path} is not a publication")


def publish(storage: LakeStorage, path: str, data: bytes, lease_log: LeaseLog, region: str, epoch: int) -> Publication:
    """Write ``data`` as the newest publication of ``path``, under the lease ``(region, epoch)``.

    Each publication is its own pair of objects under ``<path>/epoch=<epoch>/``: the payload, then
    a record naming it and its epoch, written last. The record is the commit: a crash in between
    leaves a payload that no reader sees. Nothing is overwritten, so a stale writer cannot destroy
    what the current holder published. The lease is checked before the payload (so a fenced writer
    uploads nothing) and again immediately before the record.

    The window: between that last check and the record landing, the lease can move (a promotion
    while this process stalls in a GC pause or a slow network). No object store can make "the
    lease is still mine" and "write this" one atomic step across two objects, so the record can
    land after the promotion. It lands under its old epoch, though, and :func:`latest_publication`
    takes only records of the current epoch, so readers never serve it. The cost is a dead object
    that no reader sees. Consumers must resolve ``path`` through :func:`latest_publication`,
    never by listing or globbing the folder.
    """
    path = path.rstrip("/")
    lease_log.fence(region, epoch)
    now = datetime.now(UTC)
    stem = f"{path}/epoch={epoch:012d}/{now:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:12]}"
    publication = Publication(path, f"{stem}.data", region, epoch, now, len(data))
    storage.write(publication.payload, data)
    lease_log.fence(region, epoch)
    storage.write(f"{stem}.json", publication.to_bytes())
    return publication


def latest_publication(storage: LakeStorage, path: str, lease_log: LeaseLog) -> Publication | None:
    """The newest publication of ``path`` under the current lease; None when the holder has published none.

    Newest by the publisher's clock, which is safe because within one epoch only the holder's own
    processes publish. Publications of older epochs are ignored, whether they were written before the promotion or
    slipped in after it from a stale writer. The two look alike without trusting clocks, and the
    new holder rebuilds global gold anyway. The listing is taken before the lease is read, so the
    lease is at least as new as every record listed.
    """
    path = path.rstrip("/")
    prefix = f"{path}/"
    records: list[tuple[int, str]] = []
    for key in storage.list(prefix):
        if key.endswith(".data"):
            continue  # a payload: reached through its record (one without a record never committed)
        match = _RECORD_NAME.fullmatch(key.removeprefix(prefix))
        if match is None:
            raise LeaseError(f"{storage.uri(key)} is not a publication record of {path}; move it out of {prefix}")
        records.append((int(match[1]), key))
    current = lease_log.current()
    held = 0 if current is None else current.epoch
    ahead = [key for epoch, key in records if epoch > held]
    if ahead:
        raise LeaseError(
            f"{storage.uri(ahead[0])} carries an epoch after the current lease "
            f"({held}) in {lease_log.describe()}: the lease log was rewound, or this is the wrong lease log."
        )
    live = sorted(key for epoch, key in records if epoch == held)
    stale = len(records) - len(live)
    if stale:
        log.debug("%s: ignoring %d publication(s) from epochs before %d", storage.uri(prefix), stale, held)
    if current is None or not live:
        return None
    publication = Publication.from_bytes(storage.read(live[-1]), storage.uri(live[-1]))
    expected = (path, live[-1].removesuffix(".json") + ".data", current.aggregation_region, current.epoch)
    if (publication.path, publication.payload, publication.region, publication.epoch) != expected:
        raise LeaseError(
            f"publication record {storage.uri(live[-1])} says {publication!r}; its place and the lease say "
            f"(path, payload, region, epoch) = {expected}: it was not written by publish()."
        )
    return publication


def _encode(record: Lease | Publication) -> bytes:
    doc = {"format_version": FORMAT_VERSION, **asdict(record)}
    return orjson.dumps(doc, option=orjson.OPT_UTC_Z | orjson.OPT_INDENT_2)


def _decode(cls: type[R], data: bytes, refusal: str) -> R:
    """``cls`` from its JSON, every field present and of its declared type (str, int or UTC datetime)."""
    try:
        doc = orjson.loads(data)
        if not isinstance(doc, dict):
            raise TypeError("not a JSON object")
        if doc.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format_version {doc.get('format_version')!r}, this code reads {FORMAT_VERSION}")
        parse = {"str": lambda v: typed(v, str), "int": lambda v: typed(v, int), "datetime": utc_time}
        return cls(**{f.name: parse[str(f.type)](doc[f.name]) for f in fields(cls)})
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise LeaseError(f"{refusal} v{FORMAT_VERSION}: {exc!r}") from exc
