"""An independent computation of the streaming service's windows, written plainly for the tests.

Exact sets and sorted lists instead of sketches, and the window semantics restated from the issue:
per partition in offset order, watermark = max event time seen - allowed lateness, an event whose
window ended at or before the watermark is late, an event_id counts once per window, invalid
records (the generator knows which) are skipped.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from tests.helpers import REPO_ROOT


@dataclass
class ExactWindow:
    events: int = 0
    users: set[str] = field(default_factory=set)
    purchases: int = 0
    revenue_usd: float = 0.0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)


def fx_rates() -> dict[str, float]:
    with (REPO_ROOT / "streaming" / "events" / "reference" / "fx_rates.csv").open() as f:
        return {r["currency"]: float(r["rate_to_usd"]) for r in csv.DictReader(f)}


def expected_windows(
    by_partition: dict[int, list[tuple[bytes, bool]]], window_ms: int, lateness_ms: int
) -> tuple[dict[tuple[int, str, str], ExactWindow], int]:
    """(window_start_ms, region, event_type) -> merged exact window, and the late count.

    ``by_partition``: each partition's records in offset order as (value, is_valid).
    Every window is returned, closed or not; callers pick the ones the watermark closed.
    """
    rates = fx_rates()
    windows: dict[tuple[int, str, str], ExactWindow] = defaultdict(ExactWindow)
    seen: dict[tuple[int, int, str, str], set[str]] = defaultdict(set)
    late = 0
    for partition, records in by_partition.items():
        newest: int | None = None
        for value, valid in records:
            if not valid:
                continue
            event = orjson.loads(value)
            at = int(datetime.fromisoformat(event["occurred_at"]).timestamp() * 1000)
            start = (at // window_ms) * window_ms
            if newest is not None and start + window_ms <= newest - lateness_ms:
                late += 1
                continue
            newest = at if newest is None else max(newest, at)
            key = (start, event["region"], event["event_type"])
            if event["event_id"] in seen[(partition, *key)]:
                continue
            seen[(partition, *key)].add(event["event_id"])
            w = windows[key]
            w.events += 1
            w.users.add(event["user_id"])
            if "latency_ms" in event:
                w.latencies.append(float(event["latency_ms"]))
            if event["event_type"] == "purchase":
                w.purchases += 1
                w.revenue_usd += event["amount"] * rates[event["currency"]]
            elif event["event_type"] == "error":
                w.errors += 1
    return dict(windows), late


def closed_before(by_partition: dict[int, list[tuple[bytes, bool]]], lateness_ms: int) -> int:
    """The earliest watermark among the partitions: every window ending at or before it has closed everywhere."""
    marks = []
    for records in by_partition.values():
        times = [
            int(datetime.fromisoformat(orjson.loads(v)["occurred_at"]).timestamp() * 1000) for v, ok in records if ok
        ]
        if times:
            marks.append(max(times) - lateness_ms)
    return min(marks)


def _quantile_bracket(values: list[float], q: float) -> tuple[float, float]:
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    return ordered[int(rank)], ordered[min(len(ordered) - 1, int(rank) + 1)]


def assert_windows_match(
    merged: list[object], expected: dict[tuple[int, str, str], ExactWindow], cutoff_ms: int
) -> int:
    """Every window ending at or before ``cutoff_ms`` is emitted once and agrees with the exact one.

    Counts and revenue exactly (revenue to float rounding), distinct users within 2%, latency
    quantiles within 1% of the exact order statistics around the rank. Returns the windows compared.
    """
    got = {(w.key.start_ms, w.key.region, w.key.event_type): w for w in merged}  # type: ignore[attr-defined]
    window_ms = next(iter(got.values())).window_ms if got else 0  # type: ignore[attr-defined]
    wanted = {k: v for k, v in expected.items() if k[0] + window_ms <= cutoff_ms}
    emitted = {k: v for k, v in got.items() if k[0] + window_ms <= cutoff_ms}
    assert set(emitted) == set(wanted), (sorted(set(wanted) - set(emitted))[:5], sorted(set(emitted) - set(wanted))[:5])
    for key, exact in wanted.items():
        a = emitted[key].aggregate  # type: ignore[attr-defined]
        assert (a.events, a.purchases, a.errors) == (exact.events, exact.purchases, exact.errors), key
        assert abs(a.revenue_usd - exact.revenue_usd) <= 1e-6 * max(1.0, exact.revenue_usd), key
        assert abs(a.users.get_estimate() - len(exact.users)) <= 0.02 * len(exact.users), key
        for q in (0.5, 0.95, 0.99):
            if exact.latencies:
                low, high = _quantile_bracket(exact.latencies, q)
                estimate = a.latency.quantile(q)
                assert low * 0.99 <= estimate <= high * 1.01, (key, q, estimate, low, high)
    return len(wanted)
