"""The edge's disk buffer: a segmented append-only log between the HTTP handlers and Kafka.

Every accepted event is appended here before the client hears "accepted", and a forwarder
drains the log into Kafka in order (Vector's disk-buffer model: acknowledged means on disk).
One path for every event, whether Kafka is up or not, so an outage changes nothing but the
backlog, and a restart replays exactly what the forwarder had not yet committed.

On disk, under ``directory``:
- ``<first sequence number, 20 digits>.seg``: segments of frames, rolled at ``segment_bytes``.
- ``cursor.json``: the forwarder's committed position (segment, byte offset, sequence number).

Frames are described in ``streaming.edge.frames``. On open every segment is scanned: the first frame that is
short, overruns its file or fails its checksum ends the segment; the file is truncated there and
the loss is reported (``recovery``), never skipped silently.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import orjson

from streaming.edge.frames import decode_frames, encode_frame, scan

log = logging.getLogger(__name__)

CURSOR_FILE = "cursor.json"
READ_BYTES = 8 * 1024 * 1024
FsyncPolicy = Literal["always", "interval", "never"]


class BufferFull(Exception):
    """The buffer holds ``max_bytes``; the caller must push back on its client, not drop."""


@dataclass(frozen=True, slots=True)
class Position:
    segment: int  # first sequence number of the segment, which is also its file name
    offset: int  # byte offset inside it
    seq: int  # sequence number of the next record to forward


@dataclass(frozen=True, slots=True)
class Truncation:
    segment: str
    offset: int
    dropped_bytes: int
    reason: str


@dataclass
class Recovery:
    """What opening the buffer found: records still to forward, and any torn or corrupt tails."""

    pending_records: int = 0
    truncations: list[Truncation] = field(default_factory=list)

    @property
    def truncated_bytes(self) -> int:
        return sum(t.dropped_bytes for t in self.truncations)


@dataclass(slots=True)
class Batch:
    records: list[tuple[bytes, bytes]]
    end: Position
    oldest_ms: int


@dataclass(slots=True)
class _Segment:
    first_seq: int
    path: Path
    size: int
    count: int


class DiskBuffer:
    """Thread-safe: HTTP handlers append from worker threads, one forwarder reads and commits."""

    def __init__(self, directory: Path, max_bytes: int, segment_bytes: int, fsync: FsyncPolicy = "always") -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.fsync = fsync
        self._lock = threading.Lock()
        self._readable = threading.Condition(self._lock)
        self._sync_lock = threading.Lock()
        self._retired: list[int] = []  # rolled segments' descriptors, closed after their fsync
        directory.mkdir(parents=True, exist_ok=True)
        self._segments: list[_Segment] = []
        self.recovery = self._recover()
        self._synced_seq = self._next_seq
        self._fd = self._open_active()

    # --- opening -----------------------------------------------------------------------------
    def _recover(self) -> Recovery:
        recovery = Recovery()
        cursor = self._read_cursor()
        for path in sorted(self.directory.glob("*.seg")):
            first_seq = int(path.stem)
            data = path.read_bytes()
            if cursor is not None and first_seq < cursor.segment:
                path.unlink()  # fully forwarded; the forwarder stopped before deleting it
                continue
            count, good, why = scan(data)
            if why is not None:
                truncation = Truncation(path.name, good, len(data) - good, why)
                recovery.truncations.append(truncation)
                log.error(
                    "disk buffer: %s in %s at byte %d; truncated %d bytes (the records in them are lost)",
                    why,
                    path.name,
                    good,
                    len(data) - good,
                )
                with path.open("r+b") as f:
                    f.truncate(good)
                    os.fsync(f.fileno())
            self._segments.append(_Segment(first_seq, path, good, count))
        self._next_seq = self._segments[-1].first_seq + self._segments[-1].count if self._segments else 0
        if cursor is None or not self._segments or cursor.segment != self._segments[0].first_seq:
            first = self._segments[0] if self._segments else None
            cursor = Position(first.first_seq, 0, first.first_seq) if first else Position(0, 0, 0)
        elif cursor.offset > self._segments[0].size:  # its tail was truncated after being forwarded
            head = self._segments[0]
            cursor = Position(cursor.segment, head.size, head.first_seq + head.count)
        self._cursor = cursor
        recovery.pending_records = self._next_seq - cursor.seq
        if recovery.pending_records:
            log.info("disk buffer: %d records to forward from %s", recovery.pending_records, self.directory)
        return recovery

    def _read_cursor(self) -> Position | None:
        path = self.directory / CURSOR_FILE
        if not path.exists():
            return None
        try:
            raw = orjson.loads(path.read_bytes())
            return Position(int(raw["segment"]), int(raw["offset"]), int(raw["seq"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            log.error("disk buffer: unreadable cursor (%s); replaying every segment (duplicates, no loss)", exc)
            return None

    def _open_active(self) -> int:
        if not self._segments:
            self._segments.append(_Segment(self._next_seq, self._segment_path(self._next_seq), 0, 0))
        return os.open(self._segments[-1].path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def _segment_path(self, first_seq: int) -> Path:
        return self.directory / f"{first_seq:020d}.seg"

    # --- writing -----------------------------------------------------------------------------
    @property
    def total_bytes(self) -> int:
        return sum(s.size for s in self._segments)

    def append(self, records: Sequence[tuple[bytes, bytes]]) -> int:
        """Append in one write; returns the sequence number after them. Raises :class:`BufferFull`."""
        stamp = time.time_ns() // 1_000_000
        data = b"".join([encode_frame(key, value, stamp) for key, value in records])
        with self._lock:
            if self.total_bytes + len(data) > self.max_bytes:
                raise BufferFull(f"the disk buffer holds {self.total_bytes} of {self.max_bytes} bytes; Kafka is behind")
            active = self._segments[-1]
            if active.size and active.size + len(data) > self.segment_bytes:
                active = self._roll()
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
            active.size += len(data)
            active.count += len(records)
            self._next_seq += len(records)
            self._readable.notify_all()
            return self._next_seq

    def _roll(self) -> _Segment:
        if self.fsync == "never":
            os.close(self._fd)
        else:
            self._retired.append(self._fd)  # fsynced and closed by the next sync()
        segment = _Segment(self._next_seq, self._segment_path(self._next_seq), 0, 0)
        self._segments.append(segment)
        self._fd = os.open(segment.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        return segment

    def sync(self, upto_seq: int | None = None) -> None:
        """fsync through ``upto_seq``; concurrent callers share one fsync (group commit)."""
        if upto_seq is not None and self._synced_seq >= upto_seq:
            return
        with self._sync_lock:
            if upto_seq is not None and self._synced_seq >= upto_seq:
                return
            with self._lock:
                target, fds, self._retired = self._next_seq, [*self._retired, self._fd], []
            for fd in fds:
                os.fsync(fd)
            for fd in fds[:-1]:
                os.close(fd)
            self._synced_seq = max(self._synced_seq, target)

    def append_durable(self, records: Sequence[tuple[bytes, bytes]]) -> None:
        """Append, then fsync when the policy is ``always``: after this, the records are accepted."""
        seq = self.append(records)
        if self.fsync == "always":
            self.sync(seq)

    # --- forwarding --------------------------------------------------------------------------
    def pending(self) -> tuple[int, int]:
        """(records, bytes) not yet committed by the forwarder."""
        with self._lock:
            return self._next_seq - self._cursor.seq, self.total_bytes - self._cursor.offset

    def read(self, max_records: int, timeout_s: float) -> Batch | None:
        """The next records after the cursor, from one segment; None if nothing came within the timeout."""
        with self._lock:
            if self._cursor.seq >= self._next_seq:
                self._readable.wait(timeout_s)
            self._advance()
            cursor = self._cursor
            if cursor.seq >= self._next_seq:
                return None
            segment = self._segments[0]
            end = segment.size
        with segment.path.open("rb") as f:
            f.seek(cursor.offset)
            data = f.read(min(end - cursor.offset, READ_BYTES))
            records, used, oldest = decode_frames(data, max_records)
            if not records:  # one frame larger than READ_BYTES
                data += f.read(end - cursor.offset - len(data))
                records, used, oldest = decode_frames(data, max_records)
        return Batch(records, Position(cursor.segment, cursor.offset + used, cursor.seq + len(records)), oldest)

    def _advance(self) -> None:
        """Move the cursor off a fully forwarded, rolled segment and delete that segment."""
        while len(self._segments) > 1 and self._cursor.offset >= self._segments[0].size:
            done = self._segments.pop(0)
            done.path.unlink(missing_ok=True)
            following = self._segments[0]
            self._cursor = Position(following.first_seq, 0, following.first_seq)

    def commit(self, end: Position) -> None:
        """The forwarder's records through ``end`` are in Kafka: persist the cursor, free space."""
        tmp = self.directory / (CURSOR_FILE + ".tmp")
        with tmp.open("wb") as f:
            f.write(orjson.dumps({"segment": end.segment, "offset": end.offset, "seq": end.seq}))
            if self.fsync == "always":
                f.flush()
                os.fsync(f.fileno())
        tmp.replace(self.directory / CURSOR_FILE)
        with self._lock:
            self._cursor = end
            self._advance()

    def close(self) -> None:
        if self.fsync != "never":
            self.sync()
        with self._lock:
            os.close(self._fd)
            self._fd = -1
