"""Regional lakes in tmp folders with real range files, and stores that misbehave on purpose."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from orchestration.lib import stream_metrics as sm
from orchestration.lib.bronze.batch import build_batch, to_parquet
from orchestration.lib.bronze.landing import BRONZE
from orchestration.lib.bronze.ranges import OffsetRange, range_path
from orchestration.lib.bronze.reader import RawRecord
from orchestration.lib.lake import LakeStorage, LocalLakeStorage
from orchestration.lib.lake.base import ObjectInfo
from orchestration.lib.ledger import Built, Ledger
from streaming.events.window_records import Aggregate, ClosedWindow, WindowKey, window_record

TOPIC = "events.raw.v1"
METRICS_TOPIC = "metrics.region_minute.v1"


def lakes(tmp_path: Path, *regions: str) -> list[LocalLakeStorage]:
    return [LocalLakeStorage(tmp_path / "lakes", region) for region in regions]


def _event(offset: int) -> bytes:
    return orjson.dumps(
        {
            "event_id": str(uuid.UUID(int=offset + 1)),
            "event_type": "page_view",
            "occurred_at": "2026-11-26T10:15:00Z",
            "region": "us",
            "user_id": f"u-{offset % 7}",
            "schema_version": 1,
        }
    )


def land(store: LakeStorage, ledger: Ledger, topic: str, r: OffsetRange, built: Built) -> None:
    """What ``Ledger.land_range`` writes once it has the records: quarantine first, the rows file last."""
    if built.quarantine is not None:
        store.write(range_path(ledger.quarantine_prefix, topic, r), built.quarantine)
    store.write(range_path(ledger.rows_prefix, topic, r), built.rows)


def land_bronze(store: LakeStorage, r: OffsetRange, bad: int = 0, topic: str = TOPIC) -> Built:
    """Land ``r`` in bronze through the real batch builder; the last ``bad`` records are not JSON (quarantined)."""
    records = [
        RawRecord(r.partition, o, 1_700_000_000_000 + o, b"{oops" if o >= r.end - bad else _event(o))
        for o in range(r.start, r.end)
    ]
    batch = build_batch(topic, records)
    quarantine = to_parquet(batch.quarantine) if batch.quarantined else None
    built = Built(to_parquet(batch.events), quarantine, batch.valid, batch.quarantined, batch.reasons)
    land(store, BRONZE, topic, r, built)
    return built


def land_metrics(store: LakeStorage, r: OffsetRange, bad: int = 0) -> Built:
    """Land ``r`` of the streaming service's metrics topic through ``stream_metrics.built``."""
    values = []
    for o in range(r.start, r.end):
        if o >= r.end - bad:
            values.append(b"[not a metric]")
            continue
        window = ClosedWindow(WindowKey(1_795_132_800_000 + o * 60_000, "us", "page_view"), 0, Aggregate(events=o + 1))
        values.append(window_record(window, 60_000)[1])
    built = sm.built(RawRecord(r.partition, o, 0, v) for o, v in zip(range(r.start, r.end), values, strict=True))
    land(store, sm.STREAM_METRICS, METRICS_TOPIC, r, built)
    return built


def set_updated(store: LocalLakeStorage, key: str, at: datetime) -> None:
    """Backdate a file, as if it landed at ``at`` (the local store's ``updated`` is the file's mtime)."""
    os.utime(store.uri(key), (at.timestamp(), at.timestamp()))


class Wrapper:
    """A store that behaves like ``inner`` except where a subclass says otherwise."""

    def __init__(self, inner: LakeStorage) -> None:
        self.inner = inner
        self.region = inner.region

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class FailingWrites(Wrapper):
    """Every write (plain or create-only) after the first ``ok`` raises, as a store that went away would."""

    def __init__(self, inner: LakeStorage, ok: int) -> None:
        super().__init__(inner)
        self.ok = ok
        self.writes = 0

    def _count(self, path: str) -> None:
        self.writes += 1
        if self.writes > self.ok:
            raise ConnectionError(f"connection reset writing {path}")

    def write(self, path: str, data: bytes) -> ObjectInfo | None:
        self._count(path)
        return self.inner.write(path, data)

    def write_if_absent(self, path: str, data: bytes) -> bool:
        self._count(path)
        return self.inner.write_if_absent(path, data)


class Unreachable(Wrapper):
    def list_info(self, prefix: str) -> list[ObjectInfo]:
        raise ConnectionError("Name or service not known")


class CorruptReads(Wrapper):
    """Reads of ``path`` return bytes other than the store holds (the md5 it reports no longer matches)."""

    def __init__(self, inner: LakeStorage, path: str) -> None:
        super().__init__(inner)
        self.path = path

    def read(self, path: str) -> bytes:
        data = self.inner.read(path)
        return flip(data) if path == self.path else data


class NoMd5(Wrapper):
    """Reports no MD5, like S3 for a multi-part upload; counts reads so a test can see what was downloaded."""

    def __init__(self, inner: LakeStorage) -> None:
        super().__init__(inner)
        self.reads: list[str] = []

    def stat(self, path: str) -> ObjectInfo | None:
        info = self.inner.stat(path)
        return None if info is None else replace(info, md5=None)

    def list_info(self, prefix: str) -> list[ObjectInfo]:
        return [replace(info, md5=None) for info in self.inner.list_info(prefix)]

    def read(self, path: str) -> bytes:
        self.reads.append(path)
        return self.inner.read(path)


class Recording(Wrapper):
    """Records every write as (method, path), in order, and every path read."""

    def __init__(self, inner: LakeStorage) -> None:
        super().__init__(inner)
        self.calls: list[tuple[str, str]] = []
        self.reads: list[str] = []

    def read(self, path: str) -> bytes:
        self.reads.append(path)
        return self.inner.read(path)

    def write(self, path: str, data: bytes) -> ObjectInfo | None:
        self.calls.append(("write", path))
        return self.inner.write(path, data)

    def write_if_absent(self, path: str, data: bytes) -> bool:
        self.calls.append(("write_if_absent", path))
        return self.inner.write_if_absent(path, data)


class RacingManifests(Wrapper):
    """Another run creates each manifest first, with what ``theirs`` makes of ours, just before this run does."""

    def __init__(self, inner: LakeStorage, theirs: Callable[[bytes], bytes]) -> None:
        super().__init__(inner)
        self.theirs = theirs

    def write_if_absent(self, path: str, data: bytes) -> bool:
        assert self.inner.write_if_absent(path, self.theirs(data))
        return self.inner.write_if_absent(path, data)


def flip(data: bytes, at: int = 40) -> bytes:
    """The same length, one byte different: only a checksum notices."""
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
