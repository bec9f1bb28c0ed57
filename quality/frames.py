"""The frames the suites validate, derived from warehouse and lake reads: pure pandas, unit-tested.

Cross-table and time-series rules become column rules on a derived frame (a revenue difference per
hour, a sigma per day), so GX reports them like any other rule, with the offending rows as sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import pandas as pd


def silver_frames(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The frames the silver suite validates: every row, and the purchases alone."""
    if not len(rows):
        return {}
    return {"rows": rows, "purchases": rows.loc[rows["event_type"] == "purchase"]}


def bronze_summary(rows: int, quarantined_by_reason: Mapping[str, int]) -> pd.DataFrame:
    """One row for a bronze landing: the share of records that parsed as JSON, and the share quarantined."""
    quarantined = sum(quarantined_by_reason.values())
    total = rows + quarantined
    if total == 0:
        return pd.DataFrame({"records": [], "parse_rate": [], "quarantine_ratio": []})
    return pd.DataFrame(
        {
            "records": [total],
            "parse_rate": [1 - quarantined_by_reason.get("invalid_json", 0) / total],
            "quarantine_ratio": [quarantined / total],
        }
    )


def gold_hourly(hourly: pd.DataFrame, purchases: pd.DataFrame) -> pd.DataFrame:
    """Hourly metrics beside revenue recomputed from fct_events (``purchases``: region, event_hour, revenue)."""
    merged = hourly.merge(purchases, on=["region", "event_hour"], how="left")
    recomputed = merged["recomputed_revenue_usd"].astype(float).fillna(0.0)
    merged["revenue_diff_usd"] = (merged["revenue_usd"].astype(float) - recomputed).abs()
    return merged


def complete_days(first: date, last: date, today: date) -> list[date]:
    """The days of ``first..last`` that are over (before ``today``, UTC).

    Gold follows bronze all day (``warehouse_sensor``), so today's volume is a partial day; held
    against whole days it would read as a drop every morning.
    """
    return [first + timedelta(days=i) for i in range((last - first).days + 1) if first + timedelta(days=i) < today]


def daily_volume(volumes: pd.DataFrame, days: list[date], trailing: int, min_history: int) -> pd.DataFrame:
    """For each of ``days`` with enough history, how many sigmas its volume is from the trailing mean.

    ``volumes`` has one row per event_date with ``events``; missing days count as zero volume, so a
    day with no data at all is a drop, not a gap in the series.
    """
    by_day = {pd.Timestamp(d).date(): int(n) for d, n in zip(volumes["event_date"], volumes["events"], strict=True)}
    rows = []
    for day in days:
        history = [by_day.get(day - timedelta(days=i), 0) for i in range(1, trailing + 1)]
        first_known = min(by_day, default=day)
        known = [n for i, n in enumerate(history, start=1) if day - timedelta(days=i) >= first_known]
        if len(known) < min_history:
            continue
        series = pd.Series(known, dtype=float)
        mean, std = float(series.mean()), float(series.std(ddof=0))
        volume = by_day.get(day, 0)
        sigma = 0.0 if volume == mean else (volume - mean) / std if std > 0 else float("inf") * (volume - mean)
        rows.append(
            {"event_date": day, "events": volume, "trailing_mean": mean, "trailing_std": std, "volume_sigma": sigma}
        )
    return pd.DataFrame(rows, columns=["event_date", "events", "trailing_mean", "trailing_std", "volume_sigma"])
