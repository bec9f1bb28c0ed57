"""Gold tables computed in plain Python from the generated records: the tests' independent oracle."""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import orjson

from streaming.generator import GeneratedRecord
from tests.helpers import REPO_ROOT

# What silver reads as an instant in received_at (macro parse_timestamp_utc, safe=true); the rest is null.
RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)


def received_instant(text: Any) -> datetime | None:
    """``received_at`` as silver types it: naive UTC, or None for text that is not RFC 3339 with an offset."""
    if not isinstance(text, str) or not RFC3339.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)
    except ValueError:  # matches the pattern but is no real instant (February 30th)
        return None


def fx_rates() -> dict[str, float]:
    with (REPO_ROOT / "streaming" / "events" / "reference" / "fx_rates.csv").open() as f:
        return {row["currency"]: float(row["rate_to_usd"]) for row in csv.DictReader(f)}


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as SQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def earliest_copies(records: list[GeneratedRecord]) -> dict[str, dict[str, Any]]:
    """The copy of each event silver keeps: the earliest by received_at, else by ingested_at, then Kafka position.

    Records are in the order they were produced, and every copy of an event has the same key, so the
    same partition: list position is Kafka position, and ingested_at never decreases along it. A copy
    without a readable received_at counts by its ingested_at, which is the landing during the test,
    after every received_at in generated data (asserted), so such a copy loses to any stamped one.
    """
    landed = datetime.now(UTC).replace(tzinfo=None)
    best: dict[str, tuple[tuple[datetime, int], dict[str, Any]]] = {}
    for position, rec in enumerate(records):
        if rec.expected_reason:
            continue
        event = orjson.loads(rec.value)
        received = received_instant(event.get("received_at"))
        assert received is None or received < landed, f"received_at {received} is not before the test's landing"
        order = (received or landed, position)  # coalesce(received_at, ingested_at), partition, offset
        if event["event_id"] not in best or order < best[event["event_id"]][0]:
            best[event["event_id"]] = (order, {**event, "received_at": received})
    return {event_id: event for event_id, (_, event) in best.items()}


def expected_gold(records: list[GeneratedRecord]) -> dict[str, Any]:
    rates = fx_rates()
    events: dict[str, dict[str, Any]] = {}
    for event_id, event in earliest_copies(records).items():
        occurred = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")).astimezone(UTC)
        amount = event.get("amount")
        events[event_id] = {
            **event,
            "occurred_at": occurred.replace(tzinfo=None),
            "event_date": occurred.date(),
            "amount_usd": amount * rates[event["currency"]] if amount is not None else None,
        }
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
