"""The latency sketch answers percentile_cont within 1%, merges losslessly and round-trips exactly."""

from __future__ import annotations

import random

import pytest

from streaming.events.sketches import LatencySketch


def exact(values: list[float], q: float) -> float:
    """SQL's percentile_cont: linear interpolation at rank q*(n-1)."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


@pytest.mark.parametrize("n", [1, 7, 400, 20_000])
def test_quantiles_are_within_one_percent_of_percentile_cont(n: int) -> None:
    rng = random.Random(n)
    values = [rng.lognormvariate(5, 0.9) for _ in range(n)] + [0.0]
    sketch = LatencySketch()
    for v in values:
        sketch.add(v)
    for q in (0.0, 0.5, 0.95, 0.99, 1.0):
        assert sketch.quantile(q) == pytest.approx(exact(values, q), rel=0.01, abs=1e-9), q


def test_merged_halves_equal_the_whole_and_bytes_round_trip() -> None:
    rng = random.Random(3)
    values = [rng.uniform(0.5, 3000) for _ in range(5000)]
    whole, left, right = LatencySketch(), LatencySketch(), LatencySketch()
    for i, v in enumerate(values):
        whole.add(v)
        (left if i % 2 else right).add(v)
    left.merge(right)
    assert left.to_bytes() == whole.to_bytes()
    restored = LatencySketch.from_bytes(whole.to_bytes())
    assert restored.to_bytes() == whole.to_bytes() and restored.quantile(0.95) == whole.quantile(0.95)


def test_an_empty_sketch_has_no_quantiles() -> None:
    assert LatencySketch().quantile(0.5) is None
