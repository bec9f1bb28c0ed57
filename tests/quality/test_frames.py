"""Derived frames: bronze summary, revenue reconciliation, daily volume sigma."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from quality.frames import bronze_summary, daily_volume, gold_hourly


def test_bronze_summary_separates_unparseable_records_from_all_quarantined() -> None:
    frame = bronze_summary(rows=90, quarantined_by_reason={"invalid_json": 4, "missing:user_id": 6})
    assert frame.to_dict("records") == [{"records": 100, "parse_rate": 0.96, "quarantine_ratio": 0.10}]
    assert bronze_summary(0, {}).empty


def test_revenue_difference_is_zero_when_gold_agrees_with_fct_events() -> None:
    hour = datetime(2026, 11, 2, 10)
    hourly = pd.DataFrame({"region": ["us", "eu"], "event_hour": [hour, hour], "revenue_usd": [10.5, 0.0]})
    purchases = pd.DataFrame({"region": ["us"], "event_hour": [hour], "recomputed_revenue_usd": [10.5]})
    assert gold_hourly(hourly, purchases)["revenue_diff_usd"].tolist() == [0.0, 0.0]
    purchases["recomputed_revenue_usd"] = [12.0]
    assert gold_hourly(hourly, purchases)["revenue_diff_usd"].tolist() == [1.5, 0.0]


def test_daily_volume_flags_a_drop_and_needs_enough_history() -> None:
    start = date(2026, 11, 1)
    days = [start + timedelta(days=i) for i in range(15)]
    volumes = pd.DataFrame({"event_date": days, "events": [1000 + 10 * (i % 3) for i in range(14)] + [100]})
    frame = daily_volume(volumes, [days[-1]], trailing=14, min_history=7)
    assert frame["volume_sigma"].iloc[0] < -3
    normal = daily_volume(volumes, [days[10]], trailing=14, min_history=7)
    assert abs(normal["volume_sigma"].iloc[0]) < 3
    assert daily_volume(volumes, [days[3]], trailing=14, min_history=7).empty  # 3 days of history only


@pytest.mark.parametrize("missing_day_volume", [0])
def test_a_day_with_no_data_at_all_is_a_drop(missing_day_volume: int) -> None:
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(10)]
    volumes = pd.DataFrame({"event_date": days[:9], "events": [500, 510, 490, 505, 495, 500, 502, 498, 501]})
    frame = daily_volume(volumes, [days[9]], trailing=14, min_history=7)
    assert frame["events"].iloc[0] == missing_day_volume and frame["volume_sigma"].iloc[0] < -3


def test_only_days_that_are_over_are_held_against_the_trailing_volume() -> None:
    from quality.frames import complete_days

    first, today = date(2026, 11, 28), date(2026, 12, 1)
    assert complete_days(first, today, today) == [date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 30)]
    assert complete_days(today, today, today) == []
