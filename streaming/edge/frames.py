"""The disk buffer's record format: a 16-byte header, then key length, key and value.

Header: payload length, CRC-32C of the append stamp and the payload, append time in ms. The
checksum covers the stamp so a torn or flipped stamp is caught too; CRC-32C because the
``crc32c`` package computes it in C at GB/s (kafka-python already depends on it).
"""

from __future__ import annotations

from struct import Struct

from crc32c import crc32c

HEADER = Struct("<IIQ")  # payload length, crc32c(stamp + payload), appended_ms
STAMP = Struct("<Q")
KEY_LENGTH = Struct("<I")


class CorruptBuffer(RuntimeError):
    """A frame that passed recovery no longer matches its checksum (the disk changed under us)."""


def encode_frame(key: bytes, value: bytes, appended_ms: int) -> bytes:
    payload = KEY_LENGTH.pack(len(key)) + key + value
    stamp = STAMP.pack(appended_ms)
    return HEADER.pack(len(payload), crc32c(payload, crc32c(stamp)), appended_ms) + payload


def scan(data: bytes | memoryview) -> tuple[int, int, str | None]:
    """(records, end of the last good frame, why the scan stopped early or None)."""
    view = memoryview(data)
    position = count = 0
    total = len(view)
    while position < total:
        if total - position < HEADER.size:
            return count, position, "torn header"
        length, crc, stamp = HEADER.unpack_from(view, position)
        start = position + HEADER.size
        if start + length > total:
            return count, position, "torn record"
        if crc32c(view[start : start + length], crc32c(STAMP.pack(stamp))) != crc:
            return count, position, "checksum mismatch"
        position = start + length
        count += 1
    return count, position, None


def decode_frames(data: bytes, max_records: int) -> tuple[list[tuple[bytes, bytes]], int, int]:
    """Up to ``max_records`` (key, value) pairs from ``data``; (records, bytes used, oldest stamp)."""
    records: list[tuple[bytes, bytes]] = []
    position = 0
    oldest = 0
    view = memoryview(data)
    while position < len(data) and len(records) < max_records:
        length, crc, stamp = HEADER.unpack_from(view, position)
        start = position + HEADER.size
        if start + length > len(data):
            break  # the frame continues past what was read
        payload = view[start : start + length]
        if crc32c(payload, crc32c(STAMP.pack(stamp))) != crc:
            raise CorruptBuffer(f"checksum mismatch at byte {position} of a segment that passed recovery")
        (key_length,) = KEY_LENGTH.unpack_from(payload)
        key_end = KEY_LENGTH.size + key_length
        records.append((bytes(payload[KEY_LENGTH.size : key_end]), bytes(payload[key_end:])))
        oldest = oldest or stamp
        position = start + length
    return records, position, oldest
