"""Quality overhead benchmark: a backfill with the GX checks against the same backfill without them.

    .venv/bin/python -m bench.quality_checks [--events 10000000] [--days 30]

Writes the same synthetic bronze as ``bench.warehouse_build`` (lake Parquet, 2% duplicates), then
runs ``warehouse_job`` over every day twice, each time into a fresh warehouse, in this one process:

1. as deployed: silver (dbt), silver's GX suite, gold (dbt), gold's GX suite. This process has not
   imported Great Expectations yet, so the run pays for it as a deployed run does (silver's check
   step imports it, on the run's own thread, before it validates);
2. the same job without its checks (the baseline: building those rows and nothing else).

The overhead is the difference between the two runs' wall times over the second's. Each step's
duration in the first run is printed too, and the import's cost measured alone in a fresh process.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.warehouse_build import START, TOPIC, backfill, parse_args, write_bronze

STEPS = ("warehouse_silver", "silver_events_quality", "warehouse_gold", "gold_metrics_quality")


def gx_import_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import great_expectations"], check=True)
    return time.perf_counter() - started


def without_checks(settings: Any, first: str, last: str) -> float:
    """``warehouse_job`` minus every asset check, timed like ``backfill`` times the real one."""
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.defs.warehouse.jobs import range_tags

    defs = build_definitions(settings)
    job = defs.resolve_job_def("warehouse_job")
    builds_only = job.get_subset(
        asset_selection=set(job.asset_layer.executable_asset_keys), asset_check_selection=set()
    )
    with dg.instance_for_test() as instance:
        if not defs.resolve_job_def("reference_job").execute_in_process(instance=instance).success:
            raise SystemExit("the seeds did not build")
        started = time.perf_counter()
        result = builds_only.execute_in_process(instance=instance, tags=range_tags(first, last))
        elapsed = time.perf_counter() - started
    if not result.success or result.get_asset_check_evaluations():
        raise SystemExit("the build-only run failed or ran checks")
    return elapsed


def main() -> None:
    args = parse_args(__doc__ or "")

    from orchestration.settings import PlatformSettings

    first, last = START.isoformat(), (START + timedelta(days=args.days)).isoformat()
    with tempfile.TemporaryDirectory(prefix="meridian-bench-") as tmp:
        work = Path(tmp)
        write_bronze(work / "lake", args.events, args.days)

        def settings(name: str) -> PlatformSettings:
            return PlatformSettings.under(work, "127.0.0.1:9092", TOPIC).replaced(
                warehouse={"duckdb_path": work / f"{name}.duckdb"},
                event_time={"partitions_start_date": START.isoformat()},
                quality={"report_root": work / "reports"},
            )

        if "great_expectations" in sys.modules:
            raise SystemExit("great_expectations is already imported: the first run would not pay for it")
        with_s, result = backfill(settings("with_checks"), first, last)
        seconds = {
            event.step_key: event.event_specific_data.duration_ms / 1000  # type: ignore[union-attr]
            for event in result.all_events
            if event.is_step_success
        }
        without_s = without_checks(settings("without_checks"), first, last)
    gx_import = gx_import_seconds()
    print(f"{args.events:,} bronze records -> {args.events * 49 // 50:,} silver rows")
    print("warehouse_job with its checks, step by step:")
    for step in STEPS:
        print(f"  {step:28} {seconds[step]:8.1f} s")
    print(f"  (importing great_expectations alone, in a fresh process: {gx_import:.1f} s)")
    print(f"warehouse_job with checks    {with_s:8.1f} s")
    print(f"warehouse_job without checks {without_s:8.1f} s")
    print(f"the checks cost {100 * (with_s - without_s) / without_s:.0f}% of the build")


if __name__ == "__main__":
    main()
