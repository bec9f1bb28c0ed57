"""Silver + gold build benchmark on DuckDB: the dbt project through Dagster, next to hand-written SQL.

    .venv/bin/python -m bench.warehouse_build [--events 10000000] [--days 30]

1. Writes N bronze events straight as lake Parquet files (6 Kafka partitions, ranges of 500,000
   records), synthesised by DuckDB in seconds rather than by the Python generator: 2% duplicate
   copies, 10% of timestamps with a +02:00 offset, 5% without latency, purchases with amounts in
   seven currencies, v1 and v2 records, spread over D days.
2. floor: one hand-written DuckDB SQL script computing silver and the gold tables from the same
   files into a fresh database (no tests, no orchestration): the least work the result needs.
3. project: what a user runs, a single-run Dagster backfill over every day (``warehouse_job``:
   one ``dbt build`` of silver and gold, with their dbt tests as asset checks), after the seeds.
4. Both results are compared (row counts and totals of every gold table); a mismatch fails.

It prints seconds and events/s for each and the project/floor ratio, the figure that holds on a
noisy machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

TOPIC = "bench.events.v1"
PARTITIONS = 6
RANGE = 500_000
START = date(2026, 10, 1)

# One bronze row per Kafka record; record i carries event k (every 50th record re-sends event i-7).
_SYNTH = """
with records as (
    select i, case when i % 50 = 49 then i - 7 else i end as k from range({first}, {last}) t(i)
),
events as (
    select
        i, k,
        ['us', 'eu', 'apac'][1 + k % 3] as region,
        hash(k) % 100 as roll,
        timestamp '{start}' + to_microseconds(cast(k * {step_us} as bigint)) as ts
    from records
)
select
    md5(cast(k as varchar)) as event_id,
    case when roll < 60 then 'page_view' when roll < 80 then 'add_to_cart' when roll < 90 then 'checkout'
         when roll < 97 then 'purchase' else 'error' end as event_type,
    case when k % 10 = 3 then strftime(ts + interval 2 hour, '%Y-%m-%dT%H:%M:%S.%g') || '+02:00'
         else strftime(ts, '%Y-%m-%dT%H:%M:%S.%g') || 'Z' end as occurred_at,
    region,
    'u-' || region || '-' || (hash(k * 3) % 40000) as user_id,
    's-' || region || '-' || (hash(k * 5) % 200000) as session_id,
    case region when 'us' then 'US' when 'eu' then 'DE' else 'JP' end as country,
    ['web', 'ios', 'android'][1 + k % 3] as device,
    case when k % 20 = 0 then null else (hash(k * 7) % 200000) / 100.0 end as latency_ms,
    case when roll between 90 and 96 then 1 + (hash(k * 11) % 49900) / 100.0 end as amount,
    case when roll between 90 and 96 then ['USD', 'CAD', 'EUR', 'GBP', 'JPY', 'SGD', 'AUD'][1 + k % 7] end
        as currency,
    cast(case when k % 3 = 0 then 2 else 1 end as integer) as schema_version,
    case when k % 3 = 0 then '5.' || (k % 9) end as app_version,
    -- 40% came through an edge collector: when it took the event (a copy's own time), and which edge
    case when k % 5 < 2 then strftime(ts + to_microseconds(250000 + i % 1000), '%Y-%m-%dT%H:%M:%S.%f') || 'Z'
        end as received_at,
    case when k % 5 < 2 then 'edge-' || region || '-1' end as edge_id,
    case when k % 5 < 2 then region end as edge_region,
    '{topic}' as kafka_topic,
    cast({partition} as integer) as kafka_partition,
    i - {first} + {offset} as kafka_offset,
    cast(timestamp '{start}' + to_milliseconds(i) as timestamptz) as kafka_timestamp,
    cast(timestamp '{start}' + to_microseconds(i * 10) as timestamptz) as ingested_at
from events
"""

FLOOR_SQL = """
create table stg_events as
with typed as (
    select *, cast(cast(occurred_at as timestamptz) at time zone 'UTC' as timestamp) as occurred_utc,
           try_cast(received_at as timestamptz) as received_utc
    from read_parquet('{glob}', union_by_name = true)
)
select event_id, event_type, occurred_utc as occurred_at, cast(occurred_utc as date) as event_date, region,
       user_id, session_id, country, device, latency_ms, amount, currency, schema_version, app_version,
       received_utc as received_at, edge_id, edge_region, kafka_partition, kafka_offset, ingested_at
from typed
qualify row_number() over (
    partition by event_id order by coalesce(received_utc, ingested_at), kafka_partition, kafka_offset
) = 1;

create table fx_rates as select * from read_csv('{fx_rates}');

create table fct_events as
select e.event_id, e.event_type, e.occurred_at, e.event_date, e.region, e.user_id, e.session_id, e.country,
       e.device, e.latency_ms, e.amount, e.currency, cast(e.amount * f.rate_to_usd as decimal(38, 9)) as amount_usd,
       e.app_version, e.received_at, e.edge_id, e.edge_region
from stg_events e left join fx_rates f using (currency);

create table fct_region_hourly_metrics as
select region, date_trunc('hour', occurred_at) as event_hour, any_value(event_date) as event_date,
       count(*) as events, count(distinct user_id) as users,
       count(*) filter (where event_type = 'purchase') as purchases,
       cast(coalesce(sum(amount_usd) filter (where event_type = 'purchase'), 0) as double) as revenue_usd,
       count(*) filter (where event_type = 'error') / count(*) as error_rate,
       quantile_cont(latency_ms, 0.95) as p95_latency_ms
from fct_events group by all;

create table fct_daily_active_users as
select region, event_date, count(distinct user_id) as users from fct_events group by all;
"""

SUMMARY_SQL = {
    "fct_events": "select count(*), sum(amount_usd), count(distinct event_id) from {s}fct_events",
    "fct_region_hourly_metrics": "select count(*), sum(events), sum(users), sum(purchases), round(sum(revenue_usd), 4),"
    " round(sum(error_rate), 9), round(sum(p95_latency_ms), 6) from {s}fct_region_hourly_metrics",
    "fct_daily_active_users": "select count(*), sum(users) from {s}fct_daily_active_users",
}


def write_bronze(lake_root: Path, events: int, days: int) -> Path:
    """Bronze range files for ``events`` records, laid out exactly as the bronze asset lands them."""
    from orchestration.lib.bronze.ranges import OffsetRange, events_path

    root = lake_root / "us"
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    step_us = days * 86_400_000_000 / events
    per_partition = -(-events // PARTITIONS)
    first = 0
    for partition in range(PARTITIONS):
        offset = 0
        while offset < per_partition and first < events:
            last = min(first + RANGE, first + per_partition - offset, events)
            path = root / events_path(TOPIC, OffsetRange(partition, offset, offset + last - first))
            path.parent.mkdir(parents=True, exist_ok=True)
            sql = _SYNTH.format(
                start=START.isoformat(),
                topic=TOPIC,
                first=first,
                last=last,
                partition=partition,
                offset=offset,
                step_us=step_us,
            )
            con.execute(f"copy ({sql}) to '{path}' (format parquet, compression zstd)")
            offset += last - first
            first = last
    con.close()
    return root / "bronze" / "events" / f"topic={TOPIC}"


def floor(glob: str, db: Path) -> float:
    from streaming.events.reference import fx_rates_path

    con = duckdb.connect(str(db))
    started = time.perf_counter()
    con.execute(FLOOR_SQL.format(glob=glob, fx_rates=fx_rates_path()))
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def backfill(settings: Any, first: str, last: str) -> tuple[float, Any]:
    """The seeds, then one timed single-run backfill of ``first..last``; its seconds and Dagster result."""
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.runner import RunSummary, build_days

    defs = build_definitions(settings)
    summary = RunSummary()
    with dg.instance_for_test() as instance:
        if not defs.resolve_job_def("reference_job").execute_in_process(instance=instance).success:
            raise SystemExit("the seeds did not build")
        started = time.perf_counter()
        result = build_days(defs, settings, instance, first, last, summary)
        elapsed = time.perf_counter() - started
    if not result.success:  # a failing WARNING check (e.g. the partial last day's volume) is reported, not fatal
        raise SystemExit(summary.render())
    for check in summary.failed_checks:
        print(f"note: check {check} failed (non-blocking)")
    return elapsed, result


def parse_args(doc: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    return parser.parse_args()


def summaries(db: Path, schema: str) -> dict[str, tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {name: con.execute(sql.format(s=schema)).fetchone() or () for name, sql in SUMMARY_SQL.items()}
    finally:
        con.close()


def main() -> None:
    args = parse_args(__doc__ or "")

    from orchestration.settings import PlatformSettings

    with tempfile.TemporaryDirectory(prefix="meridian-bench-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        folder = write_bronze(work / "lake", args.events, args.days)
        print(f"bronze: {args.events:,} records as Parquet in {time.perf_counter() - started:.1f} s")
        glob = str(folder / "*" / "*.parquet")

        floor_s = floor(glob, work / "floor.duckdb")
        settings = PlatformSettings.under(work, "127.0.0.1:9092", TOPIC).replaced(
            warehouse={"duckdb_path": work / "project.duckdb"},
            event_time={"partitions_start_date": START.isoformat()},
        )
        last_day = (START + timedelta(days=args.days)).isoformat()  # the +02:00 tail can spill into it
        project_s, _ = backfill(settings, START.isoformat(), last_day)

        floor_sum, project_sum = summaries(work / "floor.duckdb", ""), summaries(work / "project.duckdb", "gold.")
        print(f"{'':44} {'seconds':>9} {'events/s':>12} {'ratio':>7}")
        for label, seconds in [
            ("floor: hand-written DuckDB SQL", floor_s),
            ("project: Dagster backfill (dbt build + tests)", project_s),
        ]:
            print(f"{label:44} {seconds:9.1f} {args.events / seconds:12,.0f} {seconds / floor_s:6.2f}x")
        for name in SUMMARY_SQL:
            same = "identical" if floor_sum[name] == project_sum[name] else "DIFFERENT"
            print(f"  {name}: {same} {project_sum[name]}")
        if floor_sum != project_sum:
            raise SystemExit(f"the project and the floor disagree:\n{floor_sum}\n{project_sum}")


if __name__ == "__main__":
    main()
