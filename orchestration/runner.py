"""Run the whole pipeline once, headless: the scriptable twin of the sensors and schedules.

Today that is bronze and its checks: every pending offset range is landed, in bounded
rounds, through the same job the sensor launches, so metadata and checks are identical.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from orchestration.settings import Settings, get_settings

MAX_ROUNDS = 1000


@dataclass
class RunSummary:
    runs: int = 0
    success: bool = True
    landed: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    landed_until: dict[int, int] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = [
            f"bronze: {self.landed} events landed in {self.runs} run(s), {sum(self.quarantined.values())} quarantined"
        ]
        lines += [f"  quarantined {reason}: {n}" for reason, n in sorted(self.quarantined.items())]
        lines += [f"  partition {p}: landed up to offset {off}" for p, off in sorted(self.landed_until.items())]
        lines += [f"  FAILED check {name}" for name in self.failed_checks]
        lines.append("ok" if self.success else "FAILED")
        return "\n".join(lines)


def run_pending(settings: Settings | None = None) -> RunSummary:
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.defs.bronze.assets import pending_ranges, run_config_for
    from orchestration.defs.shared.resources import KafkaResource, LakeResource

    settings = settings or get_settings()
    defs = build_definitions(settings)
    kafka = KafkaResource(bootstrap_servers=settings.kafka_bootstrap_servers, events_topic=settings.events_topic)
    lake = LakeResource.from_settings(settings)
    job = defs.resolve_job_def("bronze_job")
    summary = RunSummary()
    # With DAGSTER_HOME set (as `make run` does), runs show in the UI; otherwise they are ephemeral.
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    with instance:
        for _ in range(MAX_ROUNDS):
            ranges = pending_ranges(kafka, lake, settings.bronze_max_records_per_range)
            if not ranges:
                break
            config = run_config_for(ranges)
            result = job.execute_in_process(run_config=config, instance=instance, raise_on_error=False)
            summary.runs += 1
            if not result.success:
                summary.success = False
                break
            for mat in result.asset_materializations_for_node("bronze__events"):
                meta: dict[str, Any] = {key: value.value for key, value in mat.metadata.items()}
                summary.landed += int(meta["dagster/row_count"])
                summary.quarantined.update(meta["quarantined_by_reason"])
                for item in meta["ranges"]:
                    summary.landed_until[item["partition"]] = item["end"]
            for check in result.get_asset_check_evaluations():
                if not check.passed:
                    summary.failed_checks.append(check.check_name)
                    summary.success = False
    return summary
