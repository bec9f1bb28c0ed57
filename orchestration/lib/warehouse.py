"""Pure helpers for the dbt-built warehouse: partition windows, dbt vars, days with data."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from orchestration.lib.lake import LakeStorage


def window_vars(start: datetime, end: datetime) -> dict[str, str]:
    """dbt vars for a Dagster time window ``[start, end)`` of daily partitions (dates inclusive)."""
    last = (end - timedelta(days=1)).date()
    if last < start.date():
        raise ValueError(f"empty partition window [{start}, {end})")
    return {"min_date": start.date().isoformat(), "max_date": last.isoformat()}


def bronze_glob(storage: LakeStorage, topic: str) -> str:
    """Where an engine reads bronze events: every range file of every Kafka partition."""
    return storage.uri(f"bronze/events/topic={topic}/*/*.parquet")


def lookback_window(today: date, days: int) -> tuple[date, date]:
    """The days a scheduled run rebuilds: the ``days`` full days before ``today``."""
    return today - timedelta(days=days), today - timedelta(days=1)


def event_dates_in_bronze(glob: str) -> list[date]:
    """The UTC event dates present in bronze, read with DuckDB straight from the Parquet files."""
    import duckdb

    con = duckdb.connect()
    try:
        rows = con.execute(
            "select distinct cast(timezone('UTC', cast(occurred_at as timestamptz)) as date) as d "
            "from read_parquet(?, union_by_name = true) order by d",
            [glob],
        ).fetchall()
    except duckdb.IOException:
        return []
    finally:
        con.close()
    return [row[0] for row in rows]
