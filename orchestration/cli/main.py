"""``meridian``: run the platform, make traffic, and run the pipeline once.

Typer (on Click) gives typed options and ``--help`` on every command for little code. Heavy
libraries (dagster, pyarrow, kafka) are imported inside the commands so ``meridian --help``
stays well under a second.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

# Typer's rich help costs ~0.6 s of imports on every call; plain Click help is instant.
os.environ.setdefault("TYPER_USE_RICH", "0")

import typer  # noqa: E402

from orchestration.cli.dr import app as dr_app  # noqa: E402
from orchestration.cli.exporter import exporter  # noqa: E402
from orchestration.cli.io import clear_errors, kafka_settings, post, send  # noqa: E402

app = typer.Typer(
    help="Meridian: real-time and batch analytics across regions, orchestrated by Dagster.",
    no_args_is_help=True,
    add_completion=False,
)

app.add_typer(dr_app, name="dr")
app.command()(exporter)

Bootstrap = Annotated[str | None, typer.Option(help="Kafka bootstrap servers; default from KAFKA_BOOTSTRAP_SERVERS.")]


def edge_urls(values: list[str]) -> list[str]:
    """``--to`` given once or more, each a URL or a comma-separated list: the edges in order, home first."""
    urls = [url.strip() for value in values for url in value.split(",") if url.strip()]
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise typer.BadParameter(f"--to {url!r} is not an http(s):// URL")
    if not urls:
        raise typer.BadParameter("--to needs at least one http(s):// URL")
    return urls


@app.command()
def generate(
    count: Annotated[int, typer.Option(min=1, help="How many records to make.")] = 10_000,
    output: Annotated[Path | None, typer.Option(help="Write JSONL here instead of sending to Kafka.")] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            help="Records per second (default: as fast as possible); with a rate, occurred_at is the current time.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same records.")] = 0,
    start: Annotated[datetime, typer.Option(help="Start of the event-time window (UTC).")] = datetime(2026, 11, 1),
    days: Annotated[float, typer.Option(min=0.01, help="Length of the event-time window in days.")] = 1.0,
    duplicates: Annotated[float, typer.Option(min=0, max=1, help="Fraction re-sent as exact duplicates.")] = 0.02,
    late: Annotated[float, typer.Option(min=0, max=1, help="Fraction with occurred_at hours to days old.")] = 0.01,
    malformed: Annotated[float, typer.Option(min=0, max=1, help="Fraction that break the contract.")] = 0.01,
    v2: Annotated[float, typer.Option(min=0, max=1, help="Fraction written with schema version 2.")] = 0.3,
    topic: Annotated[str | None, typer.Option(help="Topic (default: MERIDIAN_EVENTS_TOPIC or events.raw.v1).")] = None,
    bootstrap: Bootstrap = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            metavar="URL[,URL...]",
            help="Send to an edge collector (http://host:port) instead of straight to Kafka. Repeat it, or give a"
            " comma-separated list, for edges in other regions: the first is home, the others take over in"
            " order on connection errors or 503.",
        ),
    ] = None,
    failback_seconds: Annotated[
        float, typer.Option(min=0, help="With several --to edges: seconds on another edge before trying home again.")
    ] = 30.0,
    api_key: Annotated[str | None, typer.Option(envvar="MERIDIAN_EDGE_API_KEY", help="The edge's API key.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Events per request to the edge.")] = 500,
    gzip: Annotated[bool, typer.Option(help="gzip the requests to the edge.")] = False,
) -> None:
    """Make realistic multi-region traffic, to Kafka, to an edge collector, or to a JSONL file."""
    from tqdm import tqdm

    from streaming.generator import TrafficSpec
    from streaming.generator import generate as make

    spec = TrafficSpec(
        count=count,
        seed=seed,
        start=start.replace(tzinfo=start.tzinfo or UTC),
        days=days,
        duplicates=duplicates,
        late=late,
        malformed=malformed,
        v2=v2,
        live=rate is not None,
    )
    records = make(spec)
    if output is not None:
        with output.open("wb") as out, tqdm(total=count, unit="rec", desc="generate", disable=None) as bar:
            for rec in records:
                out.write(rec.value.replace(b"\n", b" ") + b"\n")
                bar.update()
        typer.echo(f"wrote {count} records to {output}")
        return
    if to:
        urls = edge_urls(to)
        if not api_key:
            raise typer.BadParameter("--to needs --api-key (or MERIDIAN_EDGE_API_KEY)")
        post((r.value for r in records), count, rate, urls, api_key, batch_size, gzip, failback_seconds)
        return
    with clear_errors():
        send(((r.key, r.value) for r in records), count, rate, topic, bootstrap)


@app.command()
def produce(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL file, one record a line.")],
    rate: Annotated[float | None, typer.Option(min=0.1, help="Records per second.")] = None,
    topic: Annotated[str | None, typer.Option(help="Topic (default: MERIDIAN_EVENTS_TOPIC or events.raw.v1).")] = None,
    bootstrap: Bootstrap = None,
) -> None:
    """Send a file's lines to Kafka verbatim, one record a line, invalid JSON included."""
    lines = file.read_bytes().splitlines()
    with clear_errors():
        send(((None, line) for line in lines), len(lines), rate, topic, bootstrap)


@app.command()
def topics(
    bootstrap: Bootstrap = None,
    partitions: Annotated[int | None, typer.Option(min=1, help="Partitions for new topics.")] = None,
) -> None:
    """Create the platform's Kafka topics if they do not exist."""
    from streaming.kafka.admin import ensure_topic

    with clear_errors():
        kafka = kafka_settings(bootstrap)
        ensure_topic(kafka, kafka.events_topic, partitions or kafka.events_topic_partitions)
    typer.echo(f"topic {kafka.events_topic} ready")


@app.command("run-once")
def run_once() -> None:
    """Materialize everything pending once, in this process, and print a summary."""
    from orchestration.runner import run_pending

    summary = run_pending()
    typer.echo(summary.render())
    if not summary.success:
        raise typer.Exit(1)


@app.command()
def regions() -> None:
    """Per region: its store, what landed there, and how far every other region's replica of it has come."""
    from orchestration.defs.replication.assets import LEDGERS
    from orchestration.defs.shared.resources import shared_resources
    from orchestration.lib.replication import region_status, render_status
    from orchestration.settings import get_settings

    with clear_errors():
        settings = get_settings()
        lake = shared_resources(settings)[1]
        stores = {region: lake.storage(region) for region in settings.lake.regions}
        statuses = region_status(stores, LEDGERS, pairs=settings.replication_pairs())
    typer.echo(f"aggregation region (global silver and gold): {settings.lake.aggregation}")
    typer.echo(render_status(statuses))
    if any(status.error for status in statuses):
        raise typer.Exit(1)


@app.command()
def backfill(
    start: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="First event date (UTC), inclusive.")],
    end: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Last event date (UTC), inclusive.")],
    full_refresh: Annotated[bool, typer.Option(help="Rebuild every table from scratch instead.")] = False,
) -> None:
    """Rebuild silver and gold for a range of days in one dbt run (a single-run backfill).

    The same backfill from the UI: select the partitions of the silver/gold assets, Materialize.
    """
    from orchestration.runner import run_backfill

    if end < start:
        raise typer.BadParameter(f"--end {end.date()} is before --start {start.date()}")
    summary = run_backfill(start.date().isoformat(), end.date().isoformat(), full_refresh=full_refresh)
    typer.echo(summary.render())
    if not summary.success:
        raise typer.Exit(1)


@app.command()
def stream(
    port: Annotated[int | None, typer.Option(help="HTTP port of the API (default MERIDIAN_STREAM_HTTP_PORT).")] = None,
    window_seconds: Annotated[int | None, typer.Option(help="Tumbling window size (default 60).")] = None,
) -> None:
    """Run the streaming service: per-region windowed metrics from Kafka, served over HTTP."""
    import logging

    from streaming.realtime.run import serve
    from streaming.realtime.settings import StreamSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    updates: dict[str, object] = {}
    if port is not None:
        updates["http_port"] = port
    if window_seconds is not None:
        updates["window_seconds"] = window_seconds
    with clear_errors():
        serve(StreamSettings().model_copy(update=updates), kafka_settings(None))


@app.command()
def edge(
    port: Annotated[int | None, typer.Option(help="HTTP port (default MERIDIAN_EDGE_HTTP_PORT, 8090).")] = None,
    buffer_dir: Annotated[
        Path | None, typer.Option(help="Disk buffer directory (default MERIDIAN_EDGE_BUFFER_DIR).")
    ] = None,
) -> None:
    """Run the edge collector: authenticated HTTP ingestion, validated and enriched, buffered on disk, into Kafka."""
    import logging

    from streaming.edge.auth import ConfigError
    from streaming.edge.run import serve
    from streaming.edge.settings import EdgeSettings
    from streaming.events.event_time import EventTimeSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    updates: dict[str, object] = {}
    if port is not None:
        updates["http_port"] = port
    if buffer_dir is not None:
        updates["buffer_dir"] = buffer_dir
    try:
        with clear_errors():
            serve(EdgeSettings().model_copy(update=updates), kafka_settings(None), EventTimeSettings())
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@app.command("edge-key")
def edge_key(name: Annotated[str, typer.Argument(help="A name for the key (shows in logs and metrics).")]) -> None:
    """Mint an edge API key: give the key to the client, the entry to MERIDIAN_EDGE_API_KEYS."""
    from streaming.edge.auth import mint_key

    key, entry = mint_key(name)
    typer.echo(f"key (give to the client, shown once): {key}")
    typer.echo(f"entry for MERIDIAN_EDGE_API_KEYS:     {entry}")


@app.command()
def up(
    generator_rate: Annotated[float, typer.Option(help="Synthetic events per second (0: no generator).")] = 50.0,
    port: Annotated[int, typer.Option(help="Dagster UI port.")] = 3000,
    stream_port: Annotated[int | None, typer.Option(help="Streaming API port (default 8081).")] = None,
    edge_port: Annotated[
        int | None, typer.Option(help="Edge collector port (default 8090); other regions' edges at +1, +2, ...")
    ] = None,
    kafka_port: Annotated[
        int,
        typer.Option(
            min=1,
            max=65000,
            help="Local broker port of the primary region (controller on the next); other regions' at +100, +200, ...",
        ),
    ] = 9092,
    prometheus_port: Annotated[int, typer.Option(help="Local Prometheus port (it loads the chart's rules).")] = 9090,
    exporter_port: Annotated[int, typer.Option(help="The lake exporter's port (meridian exporter).")] = 9108,
) -> None:
    """Run the platform locally: Kafka (unless KAFKA_BOOTSTRAP_SERVERS is set), edge, traffic, streaming, Dagster.

    One broker, edge and generator per region of MERIDIAN_REGIONS; the streaming service reads the primary's Kafka.
    """
    from orchestration.platform import run_platform

    raise typer.Exit(
        run_platform(
            generator_rate=generator_rate,
            port=port,
            stream_port=stream_port,
            edge_port=edge_port,
            kafka_port=kafka_port,
            prometheus_port=prometheus_port,
            exporter_port=exporter_port,
        )
    )


if __name__ == "__main__":
    app()
