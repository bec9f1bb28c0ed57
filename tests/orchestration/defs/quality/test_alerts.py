"""Alerts reach a real HTTP server and a real SMTP server, once per state change, with retries.

The sensor is ours, unmodified; the checked asset is a tiny one whose check fails while a flag file
exists, so the test controls the state changes. Receivers: http.server and aiosmtpd on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from orchestration.defs.quality.alerts import AlertResource, build_quality_alert_sensor
from streaming.kafka.broker import free_port

pytestmark = pytest.mark.integration


class Receiver:
    """A real HTTP server collecting JSON bodies; it can start listening late (a receiver that is down)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bodies: list[dict[str, Any]] = []
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
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


def build(flag: Path, webhook: int, slack: int, smtp_port: int) -> dg.Definitions:
    @dg.asset(name="metric")
    def metric() -> int:
        return 1

    @dg.asset_check(asset=metric, name="metric_is_sane")
    def metric_is_sane() -> dg.AssetCheckResult:
        bad = flag.exists()
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
        resources={
            "alerts": AlertResource(
                webhook_url=f"http://127.0.0.1:{webhook}/hook",
                slack_webhook_url=f"http://127.0.0.1:{slack}/slack",
                smtp_host="127.0.0.1",
                smtp_port=smtp_port,
                email_to=["oncall@example.com"],
                ui_url="http://dagster.local",
                retry_max_seconds=20,
            )
        },
    )


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None) -> str | None:
    sensor = defs.resolve_sensor_def("quality_alert_sensor")
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources={"alerts": defs.resources["alerts"]}
    )
    sensor(context)
    return context.cursor


def test_one_alert_per_state_change_on_every_channel_and_a_retry_when_the_receiver_is_down(
    tmp_path: Path, smtp: tuple[int, list[Any]]
) -> None:
    smtp_port, mails = smtp
    webhook, slack = Receiver(free_port()), Receiver(free_port()).start()
    flag = tmp_path / "bad"
    defs = build(flag, webhook.port, slack.port, smtp_port)
    job = defs.resolve_job_def("metric_job")
    try:
        with dg.instance_for_test() as instance:
            assert job.execute_in_process(instance=instance).success
            cursor = tick(defs, instance, None)
            assert slack.bodies == [] and mails == []  # passing, never alerted: nothing to say

            flag.touch()
            failing_run = job.execute_in_process(instance=instance, raise_on_error=False)
            # the webhook receiver is down when the alert goes out and comes up 1.5 s later
            threading.Timer(1.5, webhook.start).start()
            started = time.monotonic()
            cursor = tick(defs, instance, cursor)
            assert time.monotonic() - started >= 1.0  # it waited for the receiver, with backoff
            assert len(webhook.bodies) == len(slack.bodies) == len(mails) == 1

            for _ in range(2):  # still failing: no new alert
                job.execute_in_process(instance=instance, raise_on_error=False)
                cursor = tick(defs, instance, cursor)
            assert len(webhook.bodies) == len(slack.bodies) == len(mails) == 1

            flag.unlink()
            job.execute_in_process(instance=instance)
            cursor = tick(defs, instance, cursor)
            cursor = tick(defs, instance, cursor)  # a tick with nothing new sends nothing

            defs.resolve_job_def("doomed_job").execute_in_process(instance=instance, raise_on_error=False)
            cursor = tick(defs, instance, cursor)
            cursor = tick(defs, instance, cursor)
    finally:
        webhook.stop()
        slack.stop()

    assert [b["kind"] for b in webhook.bodies] == ["failing", "recovered", "run_failed"]
    failing = webhook.bodies[0]
    assert (failing["asset"], failing["check"], failing["severity"]) == ("metric", "metric_is_sane", "ERROR")
    assert (failing["observed"], failing["expected"]) == ("-3", ">= 0")
    assert failing["run_url"] == f"http://dagster.local/runs/{failing_run.run_id}"
    assert "doomed_job" in webhook.bodies[2]["subject"] and "on fire" in webhook.bodies[2]["text"]
    assert [b["text"].splitlines()[0] for b in slack.bodies] == [
        "FAILING metric:metric_is_sane",
        "RECOVERED metric:metric_is_sane",
        "RUN FAILED doomed_job",
    ]
    assert [m["Subject"] for m in mails] == [
        "[meridian] FAILING metric:metric_is_sane",
        "[meridian] RECOVERED metric:metric_is_sane",
        "[meridian] RUN FAILED doomed_job",
    ]
    assert mails[0]["To"] == "oncall@example.com" and "observed: -3" in mails[0].get_payload()
