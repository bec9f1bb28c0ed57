"""Reading the gold tables from any engine, and comparing them with the oracle, for every engine's tests."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from streaming.generator import GeneratedRecord
from tests.dbt_project.oracle import expected_gold

Query = Callable[[str], list[tuple[Any, ...]]]

GOLD_QUERIES = {
    "fct_events": "select event_id, event_type, occurred_at, event_date, region, user_id, session_id, country, "
    "device, latency_ms, amount, currency, amount_usd, app_version, received_at, edge_id, edge_region "
    "from gold.fct_events order by event_id",
    "fct_region_hourly_metrics": "select region, event_hour, events, users, purchases, revenue_usd, error_rate, "
    "p95_latency_ms from gold.fct_region_hourly_metrics order by region, event_hour",
    "fct_daily_active_users": "select region, event_date, users from gold.fct_daily_active_users "
    "order by region, event_date",
}


def naive_utc(value: Any) -> Any:
    """BigQuery returns TIMESTAMP as an aware datetime, DuckDB as a naive UTC one: compare the latter."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def read_gold(query: Query) -> dict[str, list[tuple[Any, ...]]]:
    return {name: [tuple(naive_utc(v) for v in row) for row in query(sql)] for name, sql in GOLD_QUERIES.items()}


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-8)


def assert_gold_matches_oracle(actual: dict[str, list[tuple[Any, ...]]], records: list[GeneratedRecord]) -> None:
    expected = expected_gold(records)
    events = {row[0]: row for row in actual["fct_events"]}
    assert events.keys() == expected["fct_events"].keys()
    for event_id, row in events.items():
        want = expected["fct_events"][event_id]
        assert row[1:5] == (want["event_type"], want["occurred_at"], want["event_date"], want["region"])
        assert row[5:9] == (want["user_id"], want.get("session_id"), want.get("country"), want.get("device"))
        assert close(row[9], want.get("latency_ms")) and close(row[10], want.get("amount"))
        assert row[11] == want.get("currency") and close(row[12], want["amount_usd"]), (row, want)
        assert row[13] == want.get("app_version")
        assert row[14:17] == (want["received_at"], want.get("edge_id"), want.get("edge_region")), (row, want)

    hourly = {(r[0], r[1]): r[2:] for r in actual["fct_region_hourly_metrics"]}
    assert hourly.keys() == expected["fct_region_hourly_metrics"].keys()
    for key, (n, users, purchases, revenue, error_rate, p95) in hourly.items():
        want = expected["fct_region_hourly_metrics"][key]
        assert (n, users, purchases) == (want["events"], want["users"], want["purchases"]), key
        assert close(revenue, want["revenue_usd"]) and close(error_rate, want["error_rate"]), key
        assert close(p95, want["p95_latency_ms"]), key

    assert {(r[0], r[1]): r[2] for r in actual["fct_daily_active_users"]} == expected["fct_daily_active_users"]
