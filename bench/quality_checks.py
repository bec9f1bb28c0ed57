"""Quality overhead benchmark: the GX checks on 10M silver rows next to building those rows.

    .venv/bin/python -m bench.quality_checks [--events 10000000] [--days 30]

Writes the same synthetic bronze as ``bench.warehouse_build`` (lake Parquet, 2% duplicates), then
runs ``warehouse_job`` once over every day: silver (dbt), silver's GX suite, gold (dbt), gold's GX
suite, exactly as a backfill does. Dagster records each step's duration in that one run, so the
checks and the builds are timed on the same data, machine and moment; the figure is the checks'
time as a percentage of the builds' time. The first check step also pays for importing Great
Expectations (seconds), printed apart.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.warehouse_build import START, TOPIC, backfill, parse_args, write_bronze

BUILDS = ("warehouse_silver", "warehouse_gold")
CHECKS = ("silver_events_quality", "gold_metrics_quality")


def gx_import_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import great_expectations"], check=True)
    return time.perf_counter() - started


def main() -> None:
    args = parse_args(__doc__ or "")

    from orchestration.settings import Settings

    with tempfile.TemporaryDirectory(prefix="meridian-bench-") as tmp:
        work = Path(tmp)
        write_bronze(work / "lake", args.events, args.days)
        settings = Settings(
            lake_root=work / "lake",
            duckdb_path=work / "warehouse.duckdb",
            events_topic=TOPIC,
            partitions_start_date=START.isoformat(),
            quality_report_root=work / "reports",
        )
        _, result = backfill(settings, START.isoformat(), (START + timedelta(days=args.days)).isoformat())
        seconds = {
            event.step_key: event.event_specific_data.duration_ms / 1000  # type: ignore[union-attr]
            for event in result.all_events
            if event.is_step_success
        }
    gx_import = gx_import_seconds()
    build_s = sum(seconds[s] for s in BUILDS)
    check_s = sum(seconds[s] for s in CHECKS)
    print(f"{args.events:,} bronze records -> {args.events * 49 // 50:,} silver rows, one warehouse_job run")
    for step in (*BUILDS, *CHECKS):
        print(f"  {step:28} {seconds[step]:8.1f} s")
    print(f"  (importing great_expectations alone: {gx_import:.1f} s, paid once per process)")
    print(f"builds {build_s:.1f} s, checks {check_s:.1f} s: checks cost {100 * check_s / build_s:.0f}% of the build")
    print(
        f"without the one-off import: {100 * (check_s - gx_import) / build_s:.0f}%"
        if check_s > gx_import
        else "the import dominates"
    )


if __name__ == "__main__":
    main()
