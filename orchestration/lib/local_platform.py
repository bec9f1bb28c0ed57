"""Where ``meridian up`` puts each region on one machine, and the summary it prints.

The primary region keeps every name and port a single-region platform always had (broker on 9092
in ``.local/kafka/broker``, edge on 8090 with ``.local/edge/buffer``, ``edge.log``), so adding
regions changes nothing for it. Every other region takes a slot, in ``MERIDIAN_REGIONS`` order:
slot ``i`` has its broker ``PORT_STRIDE * i`` above the primary's (controller on the next port),
its edge ``i`` above the primary's, and its files suffixed with ``-<region>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestration.settings import PlatformSettings

PORT_STRIDE = 100  # between two regions' local brokers: 9092/9093, 9192/9193, 9292/9293, ...


def region_slots(regions: Sequence[str], primary: str) -> list[str]:
    """The regions in slot order: the primary first (slot 0), then the others as configured."""
    return [primary, *(r for r in regions if r != primary)]


def regional(name: str, region: str, primary: str) -> str:
    """``name`` for the primary region, ``name-<region>`` for the others (broker homes, logs, buffers)."""
    return name if region == primary else f"{name}-{region}"


def regional_path(path: Path, region: str, primary: str) -> Path:
    """``path`` with its last part made regional, beside the primary's."""
    return path.with_name(regional(path.name, region, primary))


def broker_ports(base: int, slot: int) -> tuple[int, int]:
    """(client port, controller port) of the local broker in ``slot``."""
    port = base + PORT_STRIDE * slot
    return port, port + 1


def split_rate(total: float, regions: int, floor: float = 0.1) -> float:
    """Each region's share of the generator's events per second (never under the generator's minimum)."""
    return max(floor, total / regions)


@dataclass(frozen=True)
class RegionView:
    """One region as the summary shows it; ``kafka`` is None for a region this deployment does not land."""

    region: str
    store: str  # the lake store: an absolute folder for a local lake, else its URI
    kafka: str | None = None
    broker_log: Path | None = None  # set when the broker is a local one started here
    edge_url: str | None = None
    edge_log: Path | None = None
    generator_rate: float = 0.0
    generator_log: Path | None = None


@dataclass(frozen=True)
class PlatformView:
    """Everything the summary shows; ``regions`` in slot order, then the regions not landed here."""

    regions: Sequence[RegionView]
    primary: str
    aggregation: str
    topic: str
    partitions: int
    edge_key: str
    generator_rate: float  # the total, across regions
    dagster_url: str
    stream_url: str
    logs: Path
    dagster_home: Path
    warehouse: str
    warehouse_interval_s: float
    exporter_url: str | None = None
    prometheus_url: str | None = None  # None where Prometheus is not installed
    prometheus_log: Path | None = None
    mirrors: tuple[tuple[str, str, Path], ...] = ()  # (target region, metrics URL, log) of each MirrorMaker


def summary(view: PlatformView) -> str:
    """What ``meridian up`` prints once everything is started."""
    body = _one_region(view) if len(view.regions) == 1 else _regions(view)
    return "\n".join(
        [
            "Meridian is running:",
            *body,
            f"  warehouse      {view.warehouse}: silver and gold follow bronze "
            f"(warehouse_sensor, a build at most every {view.warehouse_interval_s} s)",
            *_monitoring(view),
            "Press Ctrl-C to stop everything.",
        ]
    )


def _monitoring(view: PlatformView) -> list[str]:
    lines = [f"  MirrorMaker    into {region}, metrics {url}  (log {log})" for region, url, log in view.mirrors]
    if view.exporter_url:
        lines.append(f"  lake exporter  {view.exporter_url}/metrics  (log {view.logs / 'exporter.log'})")
    if view.prometheus_url:
        url = view.prometheus_url
        lines.append(f"  Prometheus     {url}  (alerts at {url}/alerts, log {view.prometheus_log})")
    return lines


def _one_region(view: PlatformView) -> list[str]:
    (region,) = view.regions
    logs = view.logs
    return [
        f"  Kafka          {region.kafka}"
        + (f" (local KRaft broker, log {region.broker_log})" if region.broker_log else ""),
        f"  topic          {view.topic} ({view.partitions} partitions)",
        f"  edge collector {region.edge_url}/v1/events  (log {region.edge_log})",
        f"                 Authorization: Bearer {view.edge_key}",
        f"  generator      {view.generator_rate} events/s through the edge, log {region.generator_log}"
        if region.generator_log
        else "  generator      off",
        f"  Dagster UI     {view.dagster_url}  (log {logs / 'dagster.log'})",
        f"  real-time API  {view.stream_url}/v1/metrics/realtime  (log {logs / 'stream.log'})",
        f"  DAGSTER_HOME   {view.dagster_home}",
        f"  lake           {region.store}",
    ]


def _regions(view: PlatformView) -> list[str]:
    logs = view.logs
    return [
        *region_lines(view.regions, view.primary, view.aggregation),
        f"  topic          {view.topic} ({view.partitions} partitions) on every region's Kafka",
        "  edge collector one per region (above), each taking",
        f"                 Authorization: Bearer {view.edge_key}",
        f"  generator      {view.generator_rate} events/s in all, split evenly across the edges"
        if view.generator_rate > 0
        else "  generator      off",
        f"  Dagster UI     {view.dagster_url}  (log {logs / 'dagster.log'}): a bronze asset per region, "
        "group replication",
        f"  real-time API  {view.stream_url}/v1/metrics/realtime, primary region {view.primary} only  "
        f"(log {logs / 'stream.log'})",
        f"  DAGSTER_HOME   {view.dagster_home}",
    ]


def region_lines(views: Sequence[RegionView], primary: str, aggregation: str) -> list[str]:
    """The per-region block: each region's Kafka, edge, traffic and lake store, primary and aggregation marked."""
    lines = []
    for view in views:
        roles = [
            role for role, name in (("primary", primary), ("aggregation region", aggregation)) if name == view.region
        ]
        lines.append(f"  region {view.region}" + (f" ({', '.join(roles)})" if roles else ""))
        if view.kafka is None:
            lines.append("    Kafka        none configured here: this deployment does not land it, no edge")
        else:
            local = f" (local KRaft broker, log {view.broker_log})" if view.broker_log else ""
            lines.append(f"    Kafka        {view.kafka}{local}")
        if view.edge_url is not None:
            lines.append(f"    edge         {view.edge_url}/v1/events  (log {view.edge_log})")
        if view.generator_log is not None:
            lines.append(
                f"    generator    {view.generator_rate:g} events/s through this edge, log {view.generator_log}"
            )
        lines.append(f"    lake         {view.store}")
    return lines


def warehouse_location(settings: PlatformSettings) -> str:
    if settings.warehouse.uses_bigquery:
        return f"BigQuery {settings.bigquery.project} (dbt target {settings.warehouse.dbt_target})"
    return str(settings.warehouse.duckdb_path.absolute())


def store_location(settings: PlatformSettings, region: str) -> str:
    """A region's lake store as the summary shows it: the absolute folder of a local lake, else its URI."""
    uri = settings.lake.store_uri(region)
    return str((settings.lake.root / region).absolute()) if uri == "local" else uri


def external_clusters(settings: PlatformSettings, bootstrap: str) -> dict[str, str]:
    """Region -> bootstrap servers of the clusters configured for this deployment, primary first."""
    primary = settings.lake.primary_region
    ingest = settings.ingest_regions()
    return {
        region: bootstrap if region == primary else settings.kafka.region_bootstrap_servers[region]
        for region in region_slots(ingest, primary)
    }
