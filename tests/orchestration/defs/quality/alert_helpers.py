"""The alert tests' receivers (real HTTP and SMTP servers on 127.0.0.1) and how they drive the sensor and job."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from orchestration.defs.quality.alerts import build_quality_alert_sensor
from orchestration.defs.quality.jobs import (
    DECIDE_OP,
    QUALITY_ALERTS_JOB,
    quality_alerts_job,
)
from orchestration.defs.quality.resources import AlertResource
from quality.alerts.settings import SLACK_WEBHOOK_URL_ENV, WEBHOOK_URL_ENV
from streaming.kafka.broker import free_port


class Receiver:
    """A real HTTP server collecting JSON bodies; it can start late (a receiver that is down) or hang.

    A hanging receiver reads each request and answers only once ``release`` is set (at ``stop``).
    """

    def __init__(self, port: int, hang: bool = False) -> None:
        self.port = port
        self.hang = hang
        self.bodies: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        bodies, hang, release = self.bodies, self.hang, self.release

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                if hang:
                    release.wait(60)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> None:
        self.release.set()
        if self.server:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture()
def smtp() -> Iterator[tuple[int, list[Any]]]:
    from aiosmtpd.controller import Controller

    messages: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
            messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, messages
    finally:
        controller.stop()


def build(flags: Path, alerts: AlertResource) -> dg.Definitions:
    """``metric`` fails to build while ``flags/broken`` exists; its check fails while ``flags/bad`` does."""

    @dg.asset(name="metric")
    def metric() -> int:
        if (flags / "broken").exists():
            raise RuntimeError("the metric source is unreachable")
        return 1

    @dg.asset_check(asset=metric, name="metric_is_sane")
    def metric_is_sane() -> dg.AssetCheckResult:
        bad = (flags / "bad").exists()
        return dg.AssetCheckResult(passed=not bad, metadata={"observed": "-3" if bad else "7", "expected": ">= 0"})

    @dg.op
    def explode() -> None:
        raise RuntimeError("the warehouse is on fire")

    @dg.job
    def doomed_job() -> None:
        explode()

    return dg.Definitions(
        assets=[metric],
        asset_checks=[metric_is_sane],
        jobs=[dg.define_asset_job("metric_job", selection=[metric]), doomed_job],
        sensors=[build_quality_alert_sensor(warn_after=3)],
        resources={"alerts": alerts},
    )


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    sensor = defs.resolve_sensor_def("quality_alert_sensor")
    result = sensor(dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs))
    assert isinstance(result, dg.SensorResult)
    return result


def launch(defs: dg.Definitions, instance: dg.DagsterInstance, result: dg.SensorResult) -> list[Any]:
    """What the daemon does with the tick's run requests: one ``quality_alerts_job`` run each."""
    job = defs.resolve_job_def(QUALITY_ALERTS_JOB)
    return [
        job.execute_in_process(
            run_config=request.run_config,
            instance=instance,
            tags={**request.tags, "dagster/run_key": request.run_key or ""},
            raise_on_error=False,
        )
        for request in result.run_requests or []
    ]


def subjects(result: dg.SensorResult) -> list[str]:
    return [
        alert["subject"]
        for request in result.run_requests or []
        for alert in request.run_config["ops"][DECIDE_OP]["config"]["alerts"]
    ]


def run_metric(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("metric_job").execute_in_process(instance=instance, raise_on_error=False)


def alerts_job_from_the_environment() -> dg.JobDefinition:
    """``quality_alerts_job`` as a deployment binds it (URLs as ``EnvVar``), rebuilt by Dagster to re-execute it."""
    alerts = AlertResource(
        webhook_url=dg.EnvVar(WEBHOOK_URL_ENV),
        slack_webhook_url=dg.EnvVar(SLACK_WEBHOOK_URL_ENV),
        retry_attempts=1,
        timeout_seconds=1.0,
    )
    return dg.Definitions(jobs=[quality_alerts_job], resources={"alerts": alerts}).resolve_job_def(QUALITY_ALERTS_JOB)
