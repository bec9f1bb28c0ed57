"""The reads the quality suites validate, for DuckDB and BigQuery: pure functions returning SQL.

Windows are inclusive event_date ranges from our own partitions, and names are our own tables.
"""

from __future__ import annotations

from datetime import date, timedelta


def _between(window: tuple[str, str]) -> str:
    first, last = (date.fromisoformat(d).isoformat() for d in window)  # only real dates reach the SQL
    return f"event_date between date '{first}' and date '{last}'"


def _hour(engine: str, column: str) -> str:
    return f"timestamp_trunc({column}, hour)" if engine == "bigquery" else f"date_trunc('hour', {column})"


SILVER_EVENTS_CATEGORIES = ("event_type", "currency")
"""Low-cardinality columns of ``silver_events_sql``, read as categoricals (see ``orchestration.lib.frames``)."""


def silver_events_sql(window: tuple[str, str]) -> str:
    """The columns the silver rules read, plus event_id so a failing sample says which rows."""
    return (
        "select event_id, event_type, occurred_at, latency_ms, amount, currency "
        f"from silver.stg_events where {_between(window)}"
    )


def gold_hourly_sql(window: tuple[str, str]) -> str:
    return (
        "select region, event_hour, event_date, events, users, purchases, revenue_usd, error_rate "
        f"from gold.fct_region_hourly_metrics where {_between(window)}"
    )


def gold_purchases_sql(engine: str, window: tuple[str, str]) -> str:
    hour = _hour(engine, "occurred_at")
    return (
        f"select region, {hour} as event_hour, sum(amount_usd) as recomputed_revenue_usd "
        f"from gold.fct_events where event_type = 'purchase' and {_between(window)} group by 1, 2"
    )


def daily_volume_sql(window: tuple[str, str], trailing_days: int) -> str:
    first = (date.fromisoformat(window[0]) - timedelta(days=trailing_days)).isoformat()
    return (
        "select event_date, sum(events) as events from gold.fct_region_hourly_metrics "
        f"where {_between((first, window[1]))} group by 1"
    )


def latest_hour_sql() -> str:
    return "select max(event_hour) as latest from gold.fct_region_hourly_metrics"


CONFLICT_SAMPLE = 10


def conflicts_sql(window: tuple[str, str]) -> str:
    """Cross-region conflicts of the window, with the count on every row, a sample of them first."""
    return (
        "select event_id, event_date, variants, copies, ingest_regions, differing_fields, first_version, "
        f"second_version, count(*) over () as conflicts from silver.stg_event_conflicts where {_between(window)} "
        f"order by event_date, event_id limit {CONFLICT_SAMPLE}"
    )
