"""Bronze ranges for the replication benchmark, built by the landing code from generated traffic.

Every file is what bronze writes: ``build_batch`` + ``to_parquet`` over generated events (1% malformed, 2%
duplicates, 30% v2), named by ``range_path``, quarantine first and the rows file (the commit) last. One pool
of generated events is cut into ranges at different places and offsets, so no two files are alike while
generating stays cheap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from orchestration.lib.bronze.batch import build_batch, to_parquet
from orchestration.lib.bronze.landing import BRONZE
from orchestration.lib.bronze.ranges import OffsetRange, range_path
from orchestration.lib.bronze.reader import RawRecord
from orchestration.lib.lake import LakeStorage
from streaming.generator import TrafficSpec, generate

TOPIC = "bench.events.v1"
SOURCE, TARGET = "us", "eu"
PARTITIONS = 6
FULL_RANGE = 50_000  # bronze's max_records_per_range


@dataclass(frozen=True)
class RangeFiles:
    range: OffsetRange
    rows: bytes
    quarantine: bytes | None

    @property
    def rows_key(self) -> str:
        return range_path(BRONZE.rows_prefix, TOPIC, self.range)

    @property
    def quarantine_key(self) -> str:
        return range_path(BRONZE.quarantine_prefix, TOPIC, self.range)

    @property
    def size(self) -> int:
        return len(self.rows) + len(self.quarantine or b"")

    @property
    def files(self) -> int:
        return 1 if self.quarantine is None else 2


class Traffic:
    """Consecutive ranges over ``PARTITIONS`` partitions of one topic, as the bronze sensor plans them."""

    def __init__(self, pool: int, seed: int = 1) -> None:
        spec = TrafficSpec(count=pool, seed=seed, malformed=0.01, duplicates=0.02, v2=0.3)
        generated = list(generate(spec))
        self._mixed = [g.value for g in generated]
        self._clean = [g.value for g in generated if g.expected_reason is None]  # no malformed: no quarantine file
        self._frontier = dict.fromkeys(range(PARTITIONS), 0)
        self._built = 0

    def next_range(self, records: int, clean: bool = False) -> RangeFiles:
        partition = self._built % PARTITIONS
        start = self._frontier[partition]
        r = OffsetRange(partition, start, start + records)
        self._frontier[partition] = r.end
        pool = self._clean if clean else self._mixed
        first = (self._built * 7919) % len(pool)
        self._built += 1
        stamp_ms = int(time.time() * 1000)
        raw = [RawRecord(partition, r.start + i, stamp_ms, pool[(first + i) % len(pool)]) for i in range(records)]
        batch = build_batch(TOPIC, raw, ingest_region=SOURCE)
        quarantine = to_parquet(batch.quarantine) if batch.quarantined else None
        return RangeFiles(r, to_parquet(batch.events), quarantine)


def land(store: LakeStorage, files: RangeFiles) -> None:
    """Quarantine first, rows file last, as the ledger lands a range: a range exists once its rows file does."""
    if files.quarantine is not None:
        store.write(files.quarantine_key, files.quarantine)
    store.write(files.rows_key, files.rows)
