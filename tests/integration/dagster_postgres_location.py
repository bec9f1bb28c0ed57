"""A tiny code location for the PostgreSQL restart test (tests/integration/test_dagster_postgres.py).

The platform's own sensors read Kafka and its jobs write the lake and DuckDB; what that test is
about is Dagster's instance (the daemon's sensor ticks, run queue, run monitoring and run retries
on PostgreSQL), so this location has one sensor and one job and needs nothing else. They take
their orders from files under ``$DAGSTER_HOME/control/``, which the test writes:

- ``requests/<name>``: the sensor requests one ``probe_job`` run per file (run key ``<name>``),
  tagged ``meridian/probe=<name>``;
- the run writes its process id to ``started/<name>.<run id>``; if the request's text is
  ``hold``, its first attempt then waits (at most ``HOLD_S``) for ``release/<name>`` and reads
  the instance, as bronze's quality checks do, so a run in flight when PostgreSQL goes away fails
  the way a real one would. A retry (``dagster/parent_run_id``) neither waits nor fails.

``probe_job`` carries ``dagster/max_runtime``: run monitoring fails a run past it even when no
process is left to report anything (see the test's docstring for why that bound is needed).
"""

# No ``from __future__ import annotations``: Dagster checks the op's ``context`` annotation at runtime.
import os
import time
from pathlib import Path

import dagster as dg

HOLD_S = 120.0
MAX_RUNTIME_S = 30
PROBE_TAG = "meridian/probe"


def control_dir(instance: dg.DagsterInstance) -> Path:
    return Path(instance.root_directory) / "control"


@dg.op
def probe(context: dg.OpExecutionContext) -> str:
    """Record the run's process; hold the first attempt of a ``hold`` request until released."""
    name = context.run.tags[PROBE_TAG]
    control = control_dir(context.instance)
    (control / "started").mkdir(parents=True, exist_ok=True)
    (control / "started" / f"{name}.{context.run_id}").write_text(str(os.getpid()))
    is_retry = "dagster/parent_run_id" in context.run.tags
    if (control / "requests" / name).read_text().strip() == "hold" and not is_retry:
        deadline = time.monotonic() + HOLD_S
        while not (control / "release" / name).exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} was never released")
            time.sleep(0.1)
        # What bronze's quality checks do (quality/checks.py): read the instance. With its database
        # away this raises after dagster-postgres' connection retries, and the run fails.
        context.instance.get_latest_materialization_event(dg.AssetKey(["probe"]))
    context.log.info(f"probe {name} done")
    return name


@dg.job(executor_def=dg.in_process_executor, tags={"dagster/max_runtime": str(MAX_RUNTIME_S)})
def probe_job() -> None:
    probe()


@dg.sensor(job=probe_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def probe_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """One run per request file; the run key makes each request a single run, however many ticks see it."""
    requests = control_dir(context.instance) / "requests"
    names = sorted(p.name for p in requests.iterdir()) if requests.is_dir() else []
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=name, tags={PROBE_TAG: name}) for name in names])


defs = dg.Definitions(jobs=[probe_job], sensors=[probe_sensor])
