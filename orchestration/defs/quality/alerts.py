"""``quality_alert_sensor``: decides which alerts check results and failed runs call for.

Dagster fires no run-failure sensor when only a check fails (dagster issue #29896), so this sensor
reads check evaluations from the instance itself: every evaluation since its cursor, in order,
folded into the state machine of ``quality.alerts.state`` (one alert per state change; warnings
only once they persist). Failed runs come from the instance's run-status records. The cursor holds
the per-check state and how far it has read, so a restarted daemon neither repeats nor misses one.

The tick only decides: it advances its cursor and asks for one ``quality_alerts_job`` run carrying
the alerts, keyed by their ids, so a tick evaluated again from the same cursor asks for the same
run key and Dagster launches nothing new. Delivery (HTTP, SMTP, retries) happens in that run.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import dagster as dg

from orchestration.defs.quality.jobs import AlertConfig, alerts_run_config, quality_alerts_job
from quality.alerts.state import Alert, AlertState, Evaluation, observe

HISTORY_PER_TICK = 100


def _text(metadata: Any, key: str) -> str | None:
    value = metadata.get(key)
    return None if value is None else str(value.value)


def evaluation_of(key: dg.AssetCheckKey, record: Any) -> Evaluation | None:
    """The record's evaluation; None while it is only planned (its step has not reported yet)."""
    data = record.event.asset_check_evaluation if record.event is not None else None
    if data is None:
        return None
    return Evaluation(
        check=f"{key.asset_key.to_user_string()}:{key.name}",
        passed=data.passed,
        severity=data.severity.value,
        run_id=record.run_id,
        partition=data.partition or _text(data.metadata, "validated"),
        observed=_text(data.metadata, "observed"),
        expected=_text(data.metadata, "expected"),
    )


def _still_running(instance: dg.DagsterInstance, run_id: str) -> bool:
    """A planned check whose run ended never reports (it stays planned): read past it, or stall forever."""
    run = instance.get_run_by_id(run_id)
    return run is not None and not run.is_finished


def _failure_detail(instance: dg.DagsterInstance, failure: Any) -> str | None:
    """The run's failure message and each failed step's error, so the alert says what broke."""
    event = failure.event_log_entry.dagster_event
    lines = [event.message] if event is not None and event.message else []
    for entry in instance.all_logs(failure.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        step = entry.dagster_event
        data = step.step_failure_data if step is not None else None
        if step is not None and data is not None and data.error is not None:
            cause = data.error.cause.message.strip() if data.error.cause else ""
            lines.append(f"{step.step_key}: {data.error.message.strip()} {cause}".strip())
    return "\n".join(lines) or None


def run_key(alerts: list[AlertConfig]) -> str:
    """The same alerts, the same key: Dagster launches one run per key and sensor."""
    digest = hashlib.sha256("\n".join(sorted(a.id for a in alerts)).encode()).hexdigest()
    return f"quality-alerts-{digest[:24]}"


def build_quality_alert_sensor(warn_after: int) -> dg.SensorDefinition:
    @dg.sensor(
        name="quality_alert_sensor",
        job=quality_alerts_job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Decides alerts on failing checks (once per state change), persistent warnings and failed runs; "
            "quality_alerts_job delivers them."
        ),
    )
    def quality_alert_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        cursor = json.loads(context.cursor) if context.cursor else {}
        state = AlertState.from_json(cursor.get("checks", {}))
        seen: dict[str, int] = cursor.get("seen", {})
        decided: list[AlertConfig] = []
        storage = context.instance.event_log_storage
        repository = context.repository_def
        check_keys = repository.asset_graph.asset_check_keys if repository is not None else set()
        for key in sorted(check_keys, key=str):
            name = str(key)
            history = storage.get_asset_check_execution_history(key, limit=HISTORY_PER_TICK)
            for record in sorted((r for r in history if r.id > seen.get(name, 0)), key=lambda r: r.id):
                evaluation = evaluation_of(key, record)
                if evaluation is None and _still_running(context.instance, record.run_id):
                    break  # read it, and what follows, next tick
                alert = observe(state, evaluation, warn_after) if evaluation else None
                if alert is not None:
                    decided.append(AlertConfig.of(f"{alert.kind}_{record.id}", alert))
                seen[name] = record.id
        failures = context.instance.fetch_run_status_changes(
            dg.DagsterEventType.RUN_FAILURE, limit=HISTORY_PER_TICK, cursor=cursor.get("runs"), ascending=True
        )
        for failure in failures.records:
            run = context.instance.get_run_by_id(failure.run_id)
            if run is not None and run.job_name == quality_alerts_job.name:
                continue  # its failure is in the UI; alerting on it would loop while a channel is down
            alert = Alert(
                "run_failed",
                f"RUN FAILED {run.job_name if run else failure.run_id}",
                run_id=failure.run_id,
                job=run.job_name if run else None,
                detail=_failure_detail(context.instance, failure),
            )
            decided.append(AlertConfig.of(f"run_failed_{failure.run_id.replace('-', '_')}", alert))
        advanced = json.dumps({"checks": state.to_json(), "seen": seen, "runs": failures.cursor or cursor.get("runs")})
        if not decided:
            return dg.SensorResult(skip_reason="no state change to alert on", cursor=advanced)
        for item in decided:
            context.log.info(f"alert decided: {item.subject}")
        request = dg.RunRequest(run_key=run_key(decided), run_config=alerts_run_config(decided))
        return dg.SensorResult(run_requests=[request], cursor=advanced)

    return quality_alert_sensor
