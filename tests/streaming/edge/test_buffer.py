"""The disk buffer on a real filesystem: order, replay after a crash, torn and corrupt tails, a full buffer."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from streaming.edge.buffer import BufferFull, DiskBuffer
from streaming.edge.frames import HEADER


def records(start: int, count: int) -> list[tuple[bytes, bytes]]:
    return [(f"u-{i % 7}".encode(), f'{{"n":{i}}}'.encode()) for i in range(start, start + count)]


def drain(buffer: DiskBuffer, commit: bool = True) -> list[tuple[bytes, bytes]]:
    out = []
    for _ in range(10_000):  # bounded
        batch = buffer.read(max_records=37, timeout_s=0)
        if batch is None:
            return out
        out += batch.records
        if commit:
            buffer.commit(batch.end)
    raise AssertionError("the buffer never ran dry")


def test_records_come_back_in_order_across_segments_which_are_deleted_once_forwarded(tmp_path: Path) -> None:
    buffer = DiskBuffer(tmp_path, max_bytes=1 << 20, segment_bytes=2000)
    for start in range(0, 500, 50):
        buffer.append_durable(records(start, 50))
    assert len(list(tmp_path.glob("*.seg"))) > 5
    assert buffer.pending()[0] == 500
    assert drain(buffer) == records(0, 500)
    assert buffer.pending()[0] == 0
    assert len(list(tmp_path.glob("*.seg"))) == 1  # only the active segment is left


def test_a_restart_replays_exactly_what_was_not_committed(tmp_path: Path) -> None:
    buffer = DiskBuffer(tmp_path, max_bytes=1 << 20, segment_bytes=1500)
    buffer.append_durable(records(0, 120))
    batch = buffer.read(max_records=45, timeout_s=0)
    assert batch is not None
    buffer.commit(batch.end)
    buffer.read(max_records=30, timeout_s=0)  # read but not committed: Kafka never acknowledged it
    # No close(): the process dies here. A new one opens the same directory.
    reopened = DiskBuffer(tmp_path, max_bytes=1 << 20, segment_bytes=1500)
    assert reopened.recovery.pending_records == 75
    assert reopened.recovery.truncations == []
    reopened.append_durable(records(120, 5))
    assert drain(reopened) == records(45, 80)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: data + HEADER.pack(100, 0, 0)[:9], "torn header"),
        (lambda data: data + HEADER.pack(100, 0, 0) + b"x" * 40, "torn record"),
        (lambda data: data[:-3] + bytes([data[-3] ^ 0xFF]) + data[-2:], "checksum mismatch"),
    ],
    ids=["torn-header", "torn-record", "flipped-byte"],
)
def test_a_torn_or_corrupt_tail_is_truncated_and_reported(tmp_path: Path, damage, reason: str) -> None:  # type: ignore[no-untyped-def]
    buffer = DiskBuffer(tmp_path, max_bytes=1 << 20, segment_bytes=1 << 20)
    buffer.append_durable(records(0, 20))
    buffer.close()
    (segment,) = tmp_path.glob("*.seg")
    intact = segment.read_bytes()
    segment.write_bytes(damage(intact))

    reopened = DiskBuffer(tmp_path, max_bytes=1 << 20, segment_bytes=1 << 20)

    (truncation,) = reopened.recovery.truncations
    assert truncation.reason == reason
    assert truncation.dropped_bytes == len(damage(intact)) - truncation.offset > 0
    survivors = drain(reopened)
    expected = records(0, 19) if reason == "checksum mismatch" else records(0, 20)
    assert survivors == expected
    assert segment.stat().st_size == truncation.offset
    reopened.append_durable(records(20, 3))  # appends continue after the cut
    assert drain(reopened) == records(20, 3)


def test_a_full_buffer_refuses_new_records_and_keeps_every_old_one(tmp_path: Path) -> None:
    buffer = DiskBuffer(tmp_path, max_bytes=4000, segment_bytes=1000)
    kept = []
    with pytest.raises(BufferFull, match="holds"):
        for start in range(0, 1000, 10):  # bounded: 100 appends at most
            buffer.append_durable(records(start, 10))
            kept += records(start, 10)
    assert 0 < len(kept) < 1000
    assert drain(buffer) == kept  # nothing accepted was dropped
    buffer.append_durable(records(5000, 10))  # forwarding freed the space
    assert drain(buffer) == records(5000, 10)


def test_an_unreadable_cursor_replays_everything_rather_than_losing_anything(tmp_path: Path) -> None:
    buffer = DiskBuffer(tmp_path, max_bytes=1 << 20, segment_bytes=1 << 20)
    buffer.append_durable(records(0, 10))
    drain(buffer)
    buffer.close()
    (tmp_path / "cursor.json").write_bytes(b"{not json")
    reopened = DiskBuffer(tmp_path, max_bytes=1 << 20, segment_bytes=1 << 20)
    assert drain(reopened) == records(0, 10)


def test_concurrent_appends_share_fsyncs_and_lose_nothing(tmp_path: Path) -> None:
    buffer = DiskBuffer(tmp_path, max_bytes=1 << 22, segment_bytes=20_000)

    def writer(worker: int) -> None:
        for i in range(50):
            buffer.append_durable(records(worker * 1000 + i * 2, 2))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    got = drain(buffer)
    assert sorted(got) == sorted(r for w in range(8) for i in range(50) for r in records(w * 1000 + i * 2, 2))
    for w in range(8):  # each writer's records keep their order
        mine = [r for r in got if w * 1000 <= int(r[1][5:-1]) < (w + 1) * 1000]
        assert mine == records(w * 1000, 100)
