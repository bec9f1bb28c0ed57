"""What the commands share: settings from the environment, clear errors, sending to Kafka or an edge.

Heavy libraries are imported inside the functions, so ``meridian --help`` stays quick.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import typer


@contextlib.contextmanager
def clear_errors() -> Iterator[None]:
    """Bad settings and an unreachable or refusing Kafka end the command with what to fix (exit 2), not a traceback."""
    from pydantic import ValidationError

    from streaming.kafka.clients import KafkaUnavailable

    try:
        yield
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or e['type']}: {e['msg']}" for e in exc.errors())
        typer.echo(f"invalid settings ({exc.title}): {problems}", err=True)
        raise typer.Exit(2) from None
    except KafkaUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def kafka_settings(bootstrap: str | None, topic: str | None = None) -> Any:
    """Kafka's settings (security included) from the environment, with the command line's overrides."""
    from streaming.kafka.settings import KafkaSettings

    kafka = KafkaSettings()
    updates = {k: v for k, v in {"bootstrap_servers": bootstrap, "events_topic": topic}.items() if v}
    return kafka.model_copy(update=updates) if updates else kafka


def send(records: object, total: int, rate: float | None, topic: str | None, bootstrap: str | None) -> None:
    from tqdm import tqdm

    from streaming.kafka import clients
    from streaming.kafka.produce import send_all

    kafka = kafka_settings(bootstrap, topic)
    producer = clients.producer(kafka)
    with tqdm(total=total, unit="rec", desc="produce", disable=None) as bar:  # no bar off a terminal
        report = send_all(producer, kafka.events_topic, records, rate, bar.update)  # type: ignore[arg-type]
    producer.close()
    typer.echo(f"sent {report.sent}, acknowledged {report.acked}, failed {report.failed}")
    if report.failed:
        typer.echo("\n".join(report.errors), err=True)
        raise typer.Exit(1)


def post(
    lines: object,
    total: int,
    rate: float | None,
    urls: list[str],
    api_key: str,
    batch_size: int,
    compress: bool,
    failback_s: float = 30.0,
) -> None:
    """Post to the first of ``urls`` (the home edge), failing over to the next on a lost region."""
    import time

    from tqdm import tqdm

    from streaming.edge.client import EdgeClient, EdgeRefused, PostReport, batches

    client = EdgeClient(urls, api_key, compress=compress, failback_s=failback_s)
    report = PostReport()
    started = time.monotonic()
    sent = 0
    try:
        with tqdm(total=total, unit="ev", desc="post", disable=None) as bar:
            for batch in batches(lines, batch_size):  # type: ignore[arg-type]
                if rate:
                    ahead = sent / rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
                client.send(batch, report)
                sent += len(batch)
                bar.update(len(batch))
    except EdgeRefused as exc:
        typer.echo(f"the edge refused a batch: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        client.close()
    typer.echo(f"posted {sent} in {report.requests} requests: accepted {report.accepted}, rejected {report.rejected}")
    if report.reasons:
        typer.echo("rejected by reason: " + ", ".join(f"{k}={v}" for k, v in sorted(report.reasons.items())))
    if len(urls) > 1:
        typer.echo("acknowledged by edge: " + ", ".join(f"{u}={report.acknowledged.get(u, 0)}" for u in client.urls))
        typer.echo(
            "failovers from edge: "
            + ", ".join(f"{u}={report.failovers.get(u, 0)}" for u in client.urls)
            + f"; back home {report.failbacks} times"
        )
