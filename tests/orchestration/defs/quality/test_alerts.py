"""Alerts reach a real HTTP server and a real SMTP server, once per state change, with retries.

The sensor and the delivery job are ours, unmodified; the checked asset is a tiny one whose check
fails while a flag file exists, so the test controls the state changes. Each tick's run request is
executed as the daemon would launch it (``quality_alerts_job`` with the request's run config).
Receivers: http.server and aiosmtpd on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from orchestration.defs.quality.jobs import (
    AlertConfig,
    alerts_run_config,
)
from orchestration.defs.quality.resources import AlertResource
from quality.alerts.settings import SLACK_WEBHOOK_URL_ENV, WEBHOOK_URL_ENV
from quality.alerts.state import Alert
from streaming.kafka.broker import free_port
from tests.orchestration.defs.quality.alert_helpers import (
    Receiver,
    alerts_job_from_the_environment,
    build,
    launch,
    run_metric,
    subjects,
    tick,
)

pytestmark = pytest.mark.integration


def test_one_alert_per_state_change_on_every_channel_and_a_retry_when_the_receiver_is_down(
    tmp_path: Path, smtp: tuple[int, list[Any]]
) -> None:
    smtp_port, mails = smtp
    webhook, slack = Receiver(free_port()), Receiver(free_port()).start()
    alerts = AlertResource(
        webhook_url=webhook.url,
        slack_webhook_url=slack.url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        email_to=["oncall@example.com"],
        ui_url="http://dagster.local",
        retry_max_seconds=20,
    )
    defs = build(tmp_path, alerts)
    try:
        with dg.instance_for_test() as instance:
            assert run_metric(defs, instance).success
            result = tick(defs, instance, None)
            assert not result.run_requests  # passing, never alerted: nothing to say

            (tmp_path / "bad").touch()
            failing_run = run_metric(defs, instance)
            result = tick(defs, instance, result.cursor)
            assert subjects(result) == ["FAILING metric:metric_is_sane"]
            # the webhook receiver is down when the run delivers and comes up 1.5 s later
            threading.Timer(1.5, webhook.start).start()
            started = time.monotonic()
            [delivery] = launch(defs, instance, result)
            assert time.monotonic() - started >= 1.0  # the webhook step waited for the receiver, with backoff
            assert delivery.success
            assert len(webhook.bodies) == len(slack.bodies) == len(mails) == 1

            for _ in range(2):  # still failing: no new alert
                run_metric(defs, instance)
                result = tick(defs, instance, result.cursor)
                assert not result.run_requests

            (tmp_path / "bad").unlink()
            run_metric(defs, instance)
            result = tick(defs, instance, result.cursor)
            assert all(run.success for run in launch(defs, instance, result))
            result = tick(defs, instance, result.cursor)
            assert not result.run_requests  # a tick with nothing new asks for nothing

            defs.resolve_job_def("doomed_job").execute_in_process(instance=instance, raise_on_error=False)
            result = tick(defs, instance, result.cursor)
            assert all(run.success for run in launch(defs, instance, result))
            assert not tick(defs, instance, result.cursor).run_requests
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


def test_a_hanging_channel_holds_up_the_delivery_run_not_the_sensor_tick(tmp_path: Path) -> None:
    hanging, slack = Receiver(free_port(), hang=True).start(), Receiver(free_port()).start()
    # delivering in the tick would take >= 2 attempts x 1 s here; Dagster times a tick out after 60 s
    alerts = AlertResource(webhook_url=hanging.url, slack_webhook_url=slack.url, retry_attempts=2, timeout_seconds=1.0)
    defs = build(tmp_path, alerts)
    try:
        with dg.instance_for_test() as instance:
            (tmp_path / "bad").touch()
            run_metric(defs, instance)
            started = time.monotonic()
            result = tick(defs, instance, None)
            elapsed = time.monotonic() - started

            assert elapsed < 1.0, f"the tick took {elapsed:.1f} s"
            assert result.cursor and json.loads(result.cursor)["seen"]  # advanced past the evaluation
            [request] = result.run_requests or []
            assert request.run_key and subjects(result) == ["FAILING metric:metric_is_sane"]
            assert hanging.bodies == [] and slack.bodies == []  # the tick sent nothing

            [delivery] = launch(defs, instance, result)
            following = tick(defs, instance, result.cursor)
    finally:
        hanging.stop()
        slack.stop()

    assert len(hanging.bodies) == 2 and len(slack.bodies) == 1  # both attempts reached it; it never answered
    assert not delivery.success  # the failed delivery is a failed run in the UI, the webhook step failed
    [failure] = delivery.get_step_failure_events()
    assert failure.step_key.startswith("deliver_webhook[")
    assert "webhook did not take" in str(failure.event_specific_data.error.message)  # type: ignore[union-attr]
    assert hanging.url not in str(failure.event_specific_data.error.message)  # type: ignore[union-attr]
    assert not following.run_requests  # a failed delivery run alerts nobody: no loop while a channel is down


def test_a_tick_evaluated_again_from_the_same_cursor_asks_for_the_same_run(tmp_path: Path) -> None:
    """A tick whose cursor was not saved is evaluated again; the same run key means no second delivery."""
    defs = build(tmp_path, AlertResource())
    with dg.instance_for_test() as instance:
        (tmp_path / "bad").touch()
        run_metric(defs, instance)
        defs.resolve_job_def("doomed_job").execute_in_process(instance=instance, raise_on_error=False)
        first, again = tick(defs, instance, None), tick(defs, instance, None)

    [request], [repeated] = first.run_requests or [], again.run_requests or []
    assert subjects(first) == ["FAILING metric:metric_is_sane", "RUN FAILED doomed_job"]
    assert request.run_key == repeated.run_key and request.run_config == repeated.run_config
    assert first.cursor == again.cursor


def test_a_check_its_run_never_reached_does_not_stall_alerting(tmp_path: Path) -> None:
    """A run that fails before its check leaves the check planned forever; later evaluations still alert."""
    defs = build(tmp_path, AlertResource())
    with dg.instance_for_test() as instance:
        (tmp_path / "broken").touch()
        assert not run_metric(defs, instance).success  # metric_is_sane is planned, never evaluated
        result = tick(defs, instance, None)
        assert subjects(result) == ["RUN FAILED metric_job"]

        (tmp_path / "broken").unlink()
        (tmp_path / "bad").touch()
        run_metric(defs, instance)
        assert subjects(tick(defs, instance, result.cursor)) == ["FAILING metric:metric_is_sane"]


def test_a_delivery_run_re_executed_from_failure_sends_only_what_did_not_get_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    webhook, slack = Receiver(free_port()), Receiver(free_port()).start()  # the webhook is down at first
    monkeypatch.setenv(WEBHOOK_URL_ENV, webhook.url)
    monkeypatch.setenv(SLACK_WEBHOOK_URL_ENV, slack.url)
    job = dg.reconstructable(alerts_job_from_the_environment)
    config = alerts_run_config([AlertConfig.of(f"failing_{i}", Alert("failing", f"FAILING check_{i}")) for i in (1, 2)])
    try:
        with dg.instance_for_test() as instance:
            first = dg.execute_job(job, instance=instance, run_config=config.to_config_dict())
            webhook.start()
            again = dg.execute_job(
                job, instance=instance, reexecution_options=dg.ReexecutionOptions.from_failure(first.run_id, instance)
            )
            sent_again = sorted(str(e.step_key) for e in again.all_events if e.is_step_success)
    finally:
        webhook.stop()
        slack.stop()

    assert not first.success and again.success
    assert sent_again == ["deliver_webhook[failing_1]", "deliver_webhook[failing_2]"]
    assert sorted(b["subject"] for b in webhook.bodies) == ["FAILING check_1", "FAILING check_2"]
    assert sorted(b["text"] for b in slack.bodies) == ["FAILING check_1", "FAILING check_2"]  # once each
