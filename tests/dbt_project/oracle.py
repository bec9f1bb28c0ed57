"""Gold tables computed in plain Python from the generated records: the tests' independent oracle."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import orjson

from orchestration.settings import REPO_ROOT
from streaming.generator import GeneratedRecord


def fx_rates() -> dict[str, float]:
    with (REPO_ROOT / "dbt_project" / "seeds" / "fx_rates.csv").open() as f:
        return {row["currency"]: float(row["rate_to_usd"]) for row in csv.DictReader(f)}


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as SQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def expected_gold(records: list[GeneratedRecord]) -> dict[str, Any]:
    rates = fx_rates()
    events: dict[str, dict[str, Any]] = {}
    for rec in records:
        if rec.expected_reason:
            continue
        event = orjson.loads(rec.value)
        occurred = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")).astimezone(UTC)
        amount = event.get("amount")
        events.setdefault(
            event["event_id"],
            {
                **event,
                "occurred_at": occurred.replace(tzinfo=None),
                "event_date": occurred.date(),
                "amount_usd": amount * rates[event["currency"]] if amount is not None else None,
            },
        )
    hourly: dict[tuple[str, datetime], list[dict[str, Any]]] = defaultdict(list)
    daily: dict[tuple[str, Any], set[str]] = defaultdict(set)
    for e in events.values():
        hourly[(e["region"], e["occurred_at"].replace(minute=0, second=0, microsecond=0))].append(e)
        daily[(e["region"], e["event_date"])].add(e["user_id"])
    metrics = {}
    for key, rows in hourly.items():
        purchases = [r for r in rows if r["event_type"] == "purchase"]
        metrics[key] = {
            "events": len(rows),
            "users": len({r["user_id"] for r in rows}),
            "purchases": len(purchases),
            "revenue_usd": sum(r["amount_usd"] for r in purchases),
            "error_rate": sum(r["event_type"] == "error" for r in rows) / len(rows),
            "p95_latency_ms": percentile_cont([r["latency_ms"] for r in rows if r.get("latency_ms") is not None], 0.95),
        }
    return {
        "fct_events": events,
        "fct_region_hourly_metrics": metrics,
        "fct_daily_active_users": {key: len(users) for key, users in daily.items()},
    }
