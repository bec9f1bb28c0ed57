"""Landing a range stamps its rows with the region of the lake they land in."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pyarrow.parquet as pq
from kafka import TopicPartition

from orchestration.lib.bronze.landing import land_range
from orchestration.lib.bronze.ranges import EVENTS_PREFIX, QUARANTINE_PREFIX, OffsetRange, range_path
from orchestration.lib.lake import LocalLakeStorage

EVENT = {
    "event_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "event_type": "page_view",
    "occurred_at": "2026-11-26T10:15:00Z",
    "region": "eu",
    "user_id": "u-1",
    "schema_version": 2,
}


class OnePartition:
    """The calls :func:`orchestration.lib.bronze.reader.read_range` makes, over messages in memory."""

    def __init__(self, values: list[bytes]) -> None:
        self.messages = [SimpleNamespace(offset=i, timestamp=1_796_000_000_000, value=v) for i, v in enumerate(values)]
        self.at = 0

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.tp = partitions[0]

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.at = offset

    def position(self, tp: TopicPartition) -> int:
        return self.at

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[Any]]:
        batch = self.messages[self.at :]
        self.at = len(self.messages)
        return {self.tp: batch}


def test_landed_rows_and_quarantine_carry_the_lakes_region(tmp_path: Path) -> None:
    storage = LocalLakeStorage(tmp_path, "apac")
    r = OffsetRange(0, 0, 2)
    consumer = OnePartition([orjson.dumps(EVENT), b"{oops"])

    landed = land_range(storage, consumer, "t", r, timeout_s=5)  # type: ignore[arg-type]

    assert (landed.valid, landed.quarantined) == (1, 1)
    for prefix in (EVENTS_PREFIX, QUARANTINE_PREFIX):
        table = pq.read_table(io.BytesIO(storage.read(range_path(prefix, "t", r))))
        assert table.column("ingest_region").to_pylist() == ["apac"], prefix
