"""Run a warehouse-style run and record which thread imported each module: ``python -m`` this, in a fresh process.

The recorder is installed before anything else is imported, so every module the process loads,
Dagster's, Great Expectations' and ours, passes through it. The run is ``warehouse_job`` in small:
an asset standing in for silver's dbt build writes ``silver.stg_events`` to DuckDB, then the real
``silver_events_quality`` check validates it with the real ``QualityResource``, in one process
(the in-process executor) on a SQLite-backed instance, as a deployed run does.
"""

import json
import sys
import threading
from typing import Any

IMPORTS: list[tuple[str, str, bool]] = []  # (module, thread name, on the main thread)


class ImportRecorder:
    """A ``sys.meta_path`` finder that finds nothing: Python asks it first about every module not yet imported."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        thread = threading.current_thread()
        IMPORTS.append((name, thread.name, thread is threading.main_thread()))


def main(workdir: str, out: str) -> None:
    from pathlib import Path

    import dagster as dg
    import duckdb

    from orchestration.defs.quality.checks import STG_EVENTS, silver_events_quality
    from orchestration.defs.quality.resources import QualityResource
    from orchestration.defs.warehouse.resources import WarehouseResource

    db = Path(workdir) / "warehouse.duckdb"

    @dg.asset(key=STG_EVENTS)
    def stg_events() -> None:
        con = duckdb.connect(str(db))
        con.execute("create schema if not exists silver")
        con.execute(
            "create or replace table silver.stg_events as select 'e1' as event_id, 'purchase' as event_type, "
            "current_timestamp::timestamp - interval 1 hour as occurred_at, current_date as event_date, "
            "12.0 as latency_ms, 9.5 as amount, 'USD' as currency"
        )
        con.close()

    defs = dg.Definitions(
        assets=[stg_events],
        asset_checks=[silver_events_quality],
        jobs=[dg.define_asset_job("run", selection=[stg_events], executor_def=dg.in_process_executor)],
        resources={
            "warehouse": WarehouseResource(duckdb_path=str(db)),
            "quality": QualityResource(report_root=str(Path(workdir) / "reports")),
        },
    )
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("run").execute_in_process(instance=instance)
    summary = {
        "success": result.success,
        "evaluated": sorted(e.check_name for e in result.get_asset_check_evaluations()),
        "imports": IMPORTS,
    }
    Path(out).write_text(json.dumps(summary), encoding="utf-8")


if __name__ == "__main__":
    sys.meta_path.insert(0, ImportRecorder())  # type: ignore[arg-type]
    main(sys.argv[1], sys.argv[2])
