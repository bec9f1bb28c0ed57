"""Run the whole pipeline once, headless: the scriptable twin of the sensors and schedules.

Every pending offset range is landed, in bounded rounds, through the same job the sensor
launches; then silver and gold are built in one single-run backfill over every event date
bronze holds, through the same job the schedule launches. Metadata and checks are identical.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from orchestration.settings import PlatformSettings, get_settings

MAX_ROUNDS = 1000


@dataclass
class RunSummary:
    runs: int = 0  # bronze runs
    warehouse_runs: int = 0
    replication_runs: int = 0
    replicated: dict[str, tuple[int, int, float]] = field(default_factory=dict)  # pair -> files, bytes, lag s
    success: bool = True
    landed: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    landed_until: dict[int, int] = field(default_factory=dict)  # the primary region's
    region_landed_until: dict[str, dict[int, int]] = field(default_factory=dict)  # other ingesting regions'
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)
    built_days: tuple[str, str] | None = None
    errors: list[str] = field(default_factory=list)
    days_outside_partitions: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = [
            f"bronze: {self.landed} events landed in {self.runs} run(s), {sum(self.quarantined.values())} quarantined"
        ]
        lines += [f"  quarantined {reason}: {n}" for reason, n in sorted(self.quarantined.items())]
        lines += [f"  partition {p}: landed up to offset {off}" for p, off in sorted(self.landed_until.items())]
        for region, until in sorted(self.region_landed_until.items()):
            lines += [f"  {region} partition {p}: landed up to offset {off}" for p, off in sorted(until.items())]
        for pair, (files, size, lag) in sorted(self.replicated.items()):
            lines.append(
                f"replication {pair.replace('_to_', ' -> ')}: {files} file(s), {size} bytes copied, lag {lag:.0f} s"
            )
        if self.built_days:
            lines.append(
                f"silver + gold: built event dates {self.built_days[0]} .. {self.built_days[1]} "
                f"({self.warehouse_runs} run(s))"
            )
        if self.days_outside_partitions:
            lines.append(f"  not built (outside the daily partitions): {', '.join(self.days_outside_partitions)}")
        lines += [f"  FAILED check {name}" for name in self.failed_checks]
        lines += [f"  WARNING check {name}" for name in self.warned_checks]
        lines += [f"  ERROR {message}" for message in self.errors]
        lines.append("ok" if self.success else "FAILED")
        return "\n".join(lines)


def run_pending(settings: PlatformSettings | None = None, *, warehouse: bool = True) -> RunSummary:
    """Land every pending Kafka range in bronze, then build silver and gold for every day with data."""

    from orchestration.definitions import build_definitions

    settings = settings or get_settings()
    defs = build_definitions(settings)
    summary = RunSummary()
    instance = _instance()
    with instance:
        _land_bronze(defs, settings, instance, summary)
        if summary.success and settings.replication_pairs():
            _replicate(defs, instance, summary)
        if warehouse and summary.success:
            build_warehouse(defs, settings, instance, summary)
    return summary


def run_backfill(
    first: str, last: str, settings: PlatformSettings | None = None, full_refresh: bool = False
) -> RunSummary:
    """Silver and gold for ``first..last`` in one run, recorded in the instance the UI reads."""

    from orchestration.definitions import build_definitions

    settings = settings or get_settings()
    defs = build_definitions(settings)
    summary = RunSummary()
    instance = _instance()
    with instance:
        keys = _partition_keys(defs, instance)
        if first not in keys or last not in keys:
            summary.success = False
            summary.errors.append(f"{first}..{last} is outside the daily partitions {keys[0]}..{keys[-1]}")
            return summary
        build_days(defs, settings, instance, first, last, summary, full_refresh=full_refresh)
        if summary.success:
            summary.built_days = (first, last)
    return summary


def _instance() -> Any:
    """With DAGSTER_HOME set (as `make run` does), runs show in the UI; otherwise they are ephemeral."""
    import dagster as dg

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def _partition_keys(defs: Any, instance: Any) -> list[str]:
    partitions = defs.resolve_job_def("warehouse_job").partitions_def
    if partitions is None:
        raise RuntimeError("warehouse_job lost its daily partitions; check orchestration/defs/warehouse/jobs.py")
    return list(partitions.get_partition_keys(dynamic_partitions_store=instance))


def record_checks(result: Any, summary: RunSummary) -> None:
    if not result.success:
        summary.success = False
        for event in result.get_step_failure_events():
            summary.errors.append(f"{event.step_key}: {_error_text(event.event_specific_data.error)}")
    import dagster as dg

    for check in result.get_asset_check_evaluations():
        name = f"{check.asset_key.to_user_string()}:{check.check_name}"
        if check.passed:
            continue
        if check.severity == dg.AssetCheckSeverity.WARN:
            summary.warned_checks.append(name)  # worth a look; the data is not wrong enough to stop
        else:
            summary.failed_checks.append(name)
            summary.success = False


def _error_text(error: Any) -> str:
    """The error and its causes: Dagster wraps what a step raised in an error that names only the step."""
    parts: list[str] = []
    while error is not None and len(parts) < 4:
        parts.append(error.message.strip())
        error = error.cause
    return " <- ".join(parts) if parts else "failed"


def _land_bronze(defs: Any, settings: PlatformSettings, instance: Any, summary: RunSummary) -> None:
    """Every ingesting region's pending ranges, through that region's bronze job."""
    from orchestration.defs.bronze.regions import all_bronzes

    for bronze in all_bronzes(settings):
        land_region(defs, settings, instance, summary, bronze)
        if not summary.success:
            return


def land_region(
    defs: Any, settings: PlatformSettings, instance: Any, summary: RunSummary, bronze: Any, rounds: int = MAX_ROUNDS
) -> None:
    """Land ``bronze``'s pending ranges in up to ``rounds`` runs (a live topic always has more: bound it)."""
    from orchestration.defs.bronze.assets import pending_ranges, run_config_for
    from orchestration.defs.shared.resources import shared_resources

    kafka, lake = shared_resources(settings)
    regional, storage = kafka.for_region(bronze.region), lake.storage(bronze.region)
    topic = bronze.topic(regional.events_topic)
    if bronze.source and topic not in regional.topics():
        return  # nothing mirrored here yet (MirrorMaker not running, or not started yet)
    job = defs.resolve_job_def(bronze.job_name)
    for _ in range(rounds):
        ranges = pending_ranges(regional, storage, settings.bronze.max_records_per_range, topic)
        if not ranges:
            break
        config = run_config_for(ranges, bronze.node)
        result = job.execute_in_process(run_config=config, instance=instance, raise_on_error=False)
        summary.runs += 1
        if not result.success:
            record_checks(result, summary)
            return
        for mat in result.asset_materializations_for_node(bronze.node):
            meta: dict[str, Any] = {key: value.value for key, value in mat.metadata.items()}
            summary.landed += int(meta["dagster/row_count"])
            summary.quarantined.update(meta["quarantined_by_reason"])
            for item in meta["ranges"]:
                if bronze.primary and not bronze.source:
                    summary.landed_until[item["partition"]] = item["end"]
                else:
                    name = f"{bronze.source} via {bronze.region}" if bronze.source else bronze.region
                    summary.region_landed_until.setdefault(name, {})[item["partition"]] = item["end"]
        record_checks(result, summary)


def _replicate(defs: Any, instance: Any, summary: RunSummary) -> None:
    """Every pair once, with its checks and the lag checks, through the job the sensor and schedule launch."""
    result = defs.resolve_job_def("replication_job").execute_in_process(instance=instance, raise_on_error=False)
    summary.replication_runs += 1
    record_checks(result, summary)
    for mat in result.get_asset_materialization_events():
        data = mat.event_specific_data.materialization
        meta = {key: value.value for key, value in data.metadata.items()}
        name = data.asset_key.path[-1]
        summary.replicated[name] = (int(meta["files_copied"]), int(meta["bytes_copied"]), float(meta["lag_seconds"]))


def build_days(
    defs: Any,
    settings: PlatformSettings,
    instance: Any,
    first: str,
    last: str,
    summary: RunSummary,
    full_refresh: bool = False,
) -> Any:
    """One single-run build of silver and gold over ``first..last`` (a backfill), or a full refresh."""
    from orchestration.defs.warehouse.jobs import range_tags

    build = {"config": {"full_refresh": full_refresh}}
    config = {"ops": {"warehouse_silver": build, "warehouse_gold": build}}
    result = defs.resolve_job_def("warehouse_job").execute_in_process(
        run_config=config, instance=instance, tags=range_tags(first, last), raise_on_error=False
    )
    summary.warehouse_runs += 1
    summary.success = summary.success and result.success
    record_checks(result, summary)
    return result


def build_warehouse(
    defs: Any, settings: PlatformSettings, instance: Any, summary: RunSummary, *, reference: bool = True
) -> None:
    """The reference tables (unless ``reference`` is False: built already in this warehouse), then silver and
    gold over every event date bronze holds."""
    from orchestration.defs.shared.resources import shared_resources
    from orchestration.defs.warehouse.assets import global_bronze_files
    from orchestration.lib.warehouse import event_dates_in_bronze

    if reference:
        built = defs.resolve_job_def("reference_job").execute_in_process(instance=instance, raise_on_error=False)
        summary.warehouse_runs += 1
        summary.success = summary.success and built.success
        record_checks(built, summary)
        if not summary.success:
            return
    keys = set(_partition_keys(defs, instance))
    files = global_bronze_files(shared_resources(settings)[1], settings.kafka.events_topic)
    days = [d.isoformat() for d in event_dates_in_bronze(files)]
    summary.days_outside_partitions = [d for d in days if d not in keys]
    days = [d for d in days if d in keys]
    if days:
        build_days(defs, settings, instance, days[0], days[-1], summary)
        summary.built_days = (days[0], days[-1])
