"""Delivering an alert: a JSON webhook, a Slack-compatible webhook, email over SMTP.

Each delivery is retried with exponential backoff and jitter (tenacity: a well-kept library for
exactly this) within a bounded number of attempts and seconds, each attempt bounded too; a delivery
that still fails is logged and reported as a ``Delivery``, never raised: the caller decides (the
delivery job fails that channel's step). A webhook URL is a credential: errors never show it.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay, wait_exponential_jitter

from quality.alerts.state import Alert, payload, render_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    max_seconds: float = 30.0
    initial_wait: float = 0.5
    max_wait: float = 5.0
    timeout_seconds: float = 10.0  # one attempt: connecting, sending and waiting for the answer


@dataclass(frozen=True)
class Delivery:
    channel: str
    delivered: bool
    attempts: int
    error: str | None = None


def _describe(exc: BaseException, secret: str | None) -> str:
    """The error for logs and run metadata; httpx names the URL in some messages, and the URL is a secret."""
    text = f"{type(exc).__name__}: {exc}"
    return text.replace(secret, "<webhook url>") if secret else text


def _with_retries(channel: str, send: Callable[[], None], policy: RetryPolicy, secret: str | None = None) -> Delivery:
    attempts = 0
    try:
        for attempt in Retrying(
            stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.max_seconds),
            wait=wait_exponential_jitter(initial=policy.initial_wait, max=policy.max_wait),
            retry=retry_if_exception_type((httpx.HTTPError, OSError, smtplib.SMTPException)),
            reraise=True,
        ):
            with attempt:
                attempts += 1
                send()
    except (httpx.HTTPError, OSError, smtplib.SMTPException) as exc:
        error = _describe(exc, secret)
        log.error("alert to %s not delivered after %d attempt(s): %s", channel, attempts, error)
        return Delivery(channel, False, attempts, error)
    if attempts > 1:
        log.warning("alert to %s delivered after %d attempts", channel, attempts)
    return Delivery(channel, True, attempts)


def _post(url: str, body: dict[str, object], timeout: float) -> None:
    response = httpx.post(url, json=body, timeout=timeout)
    response.raise_for_status()


def send_webhook(url: str, alert: Alert, ui_url: str, policy: RetryPolicy) -> Delivery:
    body = payload(alert, ui_url)
    return _with_retries("webhook", lambda: _post(url, body, policy.timeout_seconds), policy, secret=url)


def send_slack(url: str, alert: Alert, ui_url: str, policy: RetryPolicy) -> Delivery:
    """Slack incoming-webhook format: ``text`` is what every Slack-compatible receiver shows."""
    body: dict[str, object] = {"text": render_text(alert, ui_url)}
    return _with_retries("slack", lambda: _post(url, body, policy.timeout_seconds), policy, secret=url)


def send_email(
    host: str, port: int, sender: str, recipients: list[str], alert: Alert, ui_url: str, policy: RetryPolicy
) -> Delivery:
    message = EmailMessage()
    message["Subject"] = f"[meridian] {alert.subject}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message.set_content(render_text(alert, ui_url))

    def send() -> None:
        with smtplib.SMTP(host, port, timeout=policy.timeout_seconds) as smtp:
            smtp.send_message(message)

    return _with_retries("email", send, policy)
