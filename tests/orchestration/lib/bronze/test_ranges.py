import pytest

from orchestration.lib.bronze.ranges import (
    OffsetRange,
    coverage_problems,
    events_path,
    landed_frontier,
    landed_ranges,
    parse_events_path,
    plan_ranges,
    run_key,
)


def test_a_range_path_round_trips_and_sorts_numerically() -> None:
    r = OffsetRange(3, 900, 12_000)
    path = events_path("events.raw.v1", r)
    assert parse_events_path(path) == ("events.raw.v1", r)
    assert events_path("t", OffsetRange(0, 9, 10)) < events_path("t", OffsetRange(0, 10, 11))


def test_empty_or_backwards_ranges_are_refused() -> None:
    with pytest.raises(ValueError, match="start < end"):
        OffsetRange(0, 5, 5)


def test_planning_resumes_at_the_frontier_and_bounds_each_range() -> None:
    planned = plan_ranges(
        end_offsets={0: 100, 1: 50, 2: 7}, next_offsets={0: 40, 1: 50}, start_offsets={2: 3}, max_records=25
    )
    assert planned == [OffsetRange(0, 40, 65), OffsetRange(2, 3, 7)]


def test_landed_ranges_ignore_other_topics_and_find_the_frontier() -> None:
    paths = [
        events_path("a", OffsetRange(0, 0, 10)),
        events_path("a", OffsetRange(0, 10, 30)),
        events_path("b", OffsetRange(0, 0, 99)),
        "bronze/quarantine/topic=a/partition=0/offsets=x.parquet",
    ]
    landed = landed_ranges(paths, "a")
    assert landed == {0: [OffsetRange(0, 0, 10), OffsetRange(0, 10, 30)]}
    assert landed_frontier(landed) == {0: 30}


def test_coverage_finds_gaps_and_overlaps() -> None:
    good = {0: [OffsetRange(0, 0, 10), OffsetRange(0, 10, 20)], 1: [OffsetRange(1, 5, 6)]}
    assert coverage_problems(good, {0: 0, 1: 5}) == []
    gap = {0: [OffsetRange(0, 0, 10), OffsetRange(0, 12, 20)]}
    assert coverage_problems(gap, {}) == ["partition 0: gap [10,12)"]
    overlap = {0: [OffsetRange(0, 0, 10), OffsetRange(0, 8, 20)]}
    assert "overlaps" in coverage_problems(overlap, {})[0]
    late_start = {0: [OffsetRange(0, 4, 10)]}
    assert coverage_problems(late_start, {0: 2}) == ["partition 0: gap [2,4) before the first range"]


def test_run_keys_name_the_ranges_whatever_their_order() -> None:
    a, b = OffsetRange(0, 0, 5), OffsetRange(1, 7, 9)
    assert run_key("t", [a, b]) == run_key("t", [b, a]) == "t|0:0-5,1:7-9"
