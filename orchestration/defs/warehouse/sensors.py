"""``warehouse_sensor``: silver and gold follow bronze, one ``warehouse_job`` run at a time.

Each tick reads three things from the instance: the latest landing of the table silver reads
(``bronze/events``, or its BigQuery copy), whether a warehouse run is queued or running, and whether the
reference tables (seeds, regions) were ever built. It asks for a run only when bronze landed since the
last one it asked for, none is in flight, and ``interval_seconds`` have passed since then; the run
is ``warehouse_job`` over today's partition (and yesterday's, for ``late_minutes`` after midnight),
the job the daily schedule and ``meridian backfill`` run: one dbt build of silver, silver's checks
(ERROR ones block gold), then one of gold. A new warehouse has no reference tables for gold to join
yet: its first run is ``warehouse_bootstrap_job``, the same with the reference tables built first.
The decision is :func:`decide`, a pure function.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from orchestration.defs.bronze.jobs import AssetJob
from orchestration.defs.shared.instance import latest_storage_id
from orchestration.defs.warehouse.jobs import BOOTSTRAP_JOB, REFERENCE_JOB, WAREHOUSE_JOB, range_tags
from orchestration.defs.warehouse.settings import WarehouseFollowSettings

IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
TICK_SECONDS = 10


@dataclass(frozen=True)
class FollowCursor:
    """``bronze``: the storage id of the latest landing a build was asked for; ``built_at``: when (epoch
    seconds) that build was asked for."""

    bronze: int = 0
    built_at: float = 0.0

    @classmethod
    def parse(cls, cursor: str | None) -> FollowCursor:
        return cls(**json.loads(cursor)) if cursor else cls()

    def dump(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class Decision:
    """What one tick does: ``job`` None to skip (``reason`` says why), else the run to ask for."""

    reason: str
    cursor: FollowCursor
    job: str | None = None
    window: tuple[date, date] | None = None
    run_key: str | None = None


def follow_window(now: datetime, late: timedelta, first_partition: date) -> tuple[date, date] | None:
    """The event dates a build covers at ``now``: today, and yesterday too within ``late`` of midnight (UTC)."""
    now = now.astimezone(UTC)
    today = now.date()
    if today < first_partition:
        return None
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
    first = today - timedelta(days=1) if now - midnight < late else today
    return max(first, first_partition), today


def decide(
    cursor: FollowCursor,
    *,
    now: datetime,
    latest_bronze: int | None,
    in_flight: str | None,
    reference_missing: bool,
    interval: timedelta,
    late: timedelta,
    first_partition: date,
) -> Decision:
    """One tick: skip (the reason says why), or build silver and gold for the follow window.

    ``latest_bronze`` is the storage id of bronze's latest landing (None: never landed); ``in_flight``
    describes a warehouse run queued or running, if any; ``reference_missing`` says the reference
    tables were never built, so the build starts with them.
    """
    stamp = now.timestamp()
    if in_flight is not None:
        return Decision(f"{in_flight} is in flight; one warehouse run at a time", cursor)
    if latest_bronze is None:
        return Decision("bronze has not landed anything yet", cursor)
    if latest_bronze <= cursor.bronze:
        return Decision(f"no bronze landing since the last build (event {cursor.bronze})", cursor)
    due = cursor.built_at + interval.total_seconds()
    if stamp < due:
        return Decision(
            f"bronze landed; the next build starts after {datetime.fromtimestamp(due, UTC):%H:%M:%S} UTC", cursor
        )
    window = follow_window(now, late, first_partition)
    if window is None:
        return Decision(f"today is before the first daily partition ({first_partition})", cursor)
    job, first = (BOOTSTRAP_JOB, "the reference tables, then ") if reference_missing else (WAREHOUSE_JOB, "")
    return Decision(
        f"bronze landed (event {latest_bronze}): building {first}event dates {window[0]} .. {window[1]}",
        FollowCursor(latest_bronze, stamp),
        job=job,
        window=window,
        run_key=f"{job}-follow-{latest_bronze}",
    )


def _in_flight(instance: dg.DagsterInstance) -> str | None:
    for job in (WAREHOUSE_JOB, BOOTSTRAP_JOB, REFERENCE_JOB):
        runs = instance.get_runs(filters=dg.RunsFilter(job_name=job, statuses=IN_FLIGHT), limit=1)
        if runs:
            return f"{job} run {runs[0].run_id} ({runs[0].status.value.lower()})"
    return None


def build_warehouse_sensor(
    jobs: Sequence[AssetJob],
    bronze: Sequence[dg.AssetKey],
    reference: Sequence[dg.AssetKey],
    first_partition: date,
    follow: WarehouseFollowSettings,
    fenced: Callable[[], str | None] | None = None,
) -> dg.SensorDefinition:
    """``jobs``: ``warehouse_job`` and ``warehouse_bootstrap_job``; ``bronze``: what silver reads (the
    aggregation region's bronze, or its BigQuery copy, and the replications into that region);
    ``reference``: the seeds and dimensions gold joins; ``fenced`` (disaster recovery on) says why this
    deployment may not build global gold now (another region holds the aggregation lease), or None."""
    interval = timedelta(seconds=follow.interval_seconds)
    late = timedelta(minutes=follow.late_minutes)

    @dg.sensor(
        name="warehouse_sensor",
        jobs=list(jobs),
        minimum_interval_seconds=min(TICK_SECONDS, follow.interval_seconds),
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            f"Builds silver and gold for today (and yesterday for {follow.late_minutes} min after midnight UTC) "
            f"once bronze lands: one warehouse_job run at a time, at most every {follow.interval_seconds} s."
        ),
    )
    def warehouse_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        """Asks for ``warehouse_job`` over the follow window when bronze landed since the last build."""
        instance = context.instance
        reason = fenced() if fenced is not None else None
        if reason is not None:
            return dg.SensorResult(skip_reason=reason, cursor=context.cursor)
        decision = decide(
            FollowCursor.parse(context.cursor),
            now=datetime.now(UTC),
            latest_bronze=latest_storage_id(instance, bronze),
            in_flight=_in_flight(instance),
            reference_missing=any(latest_storage_id(instance, [key]) is None for key in reference),
            interval=interval,
            late=late,
            first_partition=first_partition,
        )
        if decision.job is None:
            return dg.SensorResult(skip_reason=decision.reason, cursor=decision.cursor.dump())
        context.log.info(decision.reason)
        window = decision.window
        tags = range_tags(window[0].isoformat(), window[1].isoformat()) if window is not None else {}
        request = dg.RunRequest(run_key=decision.run_key, job_name=decision.job, tags=tags)
        return dg.SensorResult(run_requests=[request], cursor=decision.cursor.dump())

    return warehouse_sensor
