"""Offset ranges, where they land in the lake, and how the next ones are planned.

The lake is the ledger. A range ``[start, end)`` of one topic-partition counts as landed
exactly when its events file exists; that file is written last, atomically, under a name
derived from the range alone. So a retried run overwrites its own file instead of adding a
second copy, and nothing is "committed" to Kafka at all: the offsets landed are read back
from the lake.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

EVENTS_PREFIX = "bronze/events"
QUARANTINE_PREFIX = "bronze/quarantine"
_OFFSET_WIDTH = 20
_FILE_RE = re.compile(
    r"topic=(?P<topic>[^/]+)/partition=(?P<partition>\d+)/"
    r"offsets=(?P<start>\d+)-(?P<end>\d+)\.parquet$"
)


@dataclass(frozen=True, order=True, slots=True)
class OffsetRange:
    """Records ``start`` (inclusive) to ``end`` (exclusive) of one partition."""

    partition: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"an offset range needs 0 <= start < end, got [{self.start}, {self.end})")

    @property
    def size(self) -> int:
        return self.end - self.start

    def overlaps(self, other: OffsetRange) -> bool:
        return self.partition == other.partition and self.start < other.end and other.start < self.end

    def __str__(self) -> str:
        return f"p{self.partition}:[{self.start},{self.end})"


def range_path(prefix: str, topic: str, r: OffsetRange) -> str:
    """Where the file of one offset range lives under ``prefix``: its name is the ledger entry."""
    return (
        f"{prefix}/topic={topic}/partition={r.partition}/"
        f"offsets={r.start:0{_OFFSET_WIDTH}d}-{r.end:0{_OFFSET_WIDTH}d}.parquet"
    )


def events_path(topic: str, r: OffsetRange) -> str:
    return range_path(EVENTS_PREFIX, topic, r)


def quarantine_path(topic: str, r: OffsetRange) -> str:
    return range_path(QUARANTINE_PREFIX, topic, r)


def parse_events_path(path: str) -> tuple[str, OffsetRange] | None:
    match = _FILE_RE.search(path)
    if match is None:
        return None
    return match["topic"], OffsetRange(int(match["partition"]), int(match["start"]), int(match["end"]))


def landed_ranges(paths: Iterable[str], topic: str) -> dict[int, list[OffsetRange]]:
    """Group the landed ranges of ``topic`` by partition, sorted by start offset."""
    by_partition: dict[int, list[OffsetRange]] = {}
    for path in paths:
        parsed = parse_events_path(path)
        if parsed and parsed[0] == topic:
            by_partition.setdefault(parsed[1].partition, []).append(parsed[1])
    return {p: sorted(rs) for p, rs in sorted(by_partition.items())}


def landed_frontier(landed: Mapping[int, list[OffsetRange]]) -> dict[int, int]:
    """The first offset after everything landed, per partition."""
    return {p: max(r.end for r in rs) for p, rs in landed.items() if rs}


def plan_ranges(
    end_offsets: Mapping[int, int], next_offsets: Mapping[int, int], start_offsets: Mapping[int, int], max_records: int
) -> list[OffsetRange]:
    """The next range to land for every partition that has records past its frontier.

    ``next_offsets`` is where landing resumes (sensor cursor or lake frontier); a partition
    never seen starts at its log start offset. Each range holds at most ``max_records``.
    """
    if max_records <= 0:
        raise ValueError("max_records must be positive")
    planned = []
    for partition, end in sorted(end_offsets.items()):
        start = next_offsets.get(partition, start_offsets.get(partition, 0))
        if end > start:
            planned.append(OffsetRange(partition, start, min(end, start + max_records)))
    return planned


def run_key(topic: str, ranges: Iterable[OffsetRange]) -> str:
    """A key that names the ranges, so Dagster never launches the same ranges twice."""
    return f"{topic}|" + ",".join(f"{r.partition}:{r.start}-{r.end}" for r in sorted(ranges))


def coverage_problems(landed: Mapping[int, list[OffsetRange]], log_start_offsets: Mapping[int, int]) -> list[str]:
    """Gaps and overlaps in what landed; empty when every partition is contiguous.

    The first range of a partition must start at or before the log start offset Kafka still
    holds (otherwise records still in Kafka were skipped), and every next range must start
    exactly where the previous one ended.
    """
    problems: list[str] = []
    for partition, ranges in sorted(landed.items()):
        ordered = sorted(ranges)
        first = ordered[0]
        log_start = log_start_offsets.get(partition, 0)
        if first.start > log_start:
            problems.append(f"partition {partition}: gap [{log_start},{first.start}) before the first range")
        for prev, cur in zip(ordered, ordered[1:], strict=False):
            if cur.start > prev.end:
                problems.append(f"partition {partition}: gap [{prev.end},{cur.start})")
            elif cur.start < prev.end:
                problems.append(f"partition {partition}: {prev} overlaps {cur}")
    return problems
