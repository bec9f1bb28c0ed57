"""What ``meridian up`` adds for monitoring: MirrorMakers between its local regions and Prometheus over all.

With disaster recovery on and several local brokers, every region gets the MirrorMaker 2 production runs
(pulling the other regions' events topic into its cluster) with its JMX exporter on a loopback port; then
Prometheus scrapes the edges, the stream, the lake exporter and those MirrorMakers with the chart's rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from orchestration.lib.local_prometheus import (
    RULES,
    LocalPrometheus,
    PrometheusError,
    ScrapeTarget,
    find_binary,
    local_targets,
    prometheus_config,
)
from streaming.kafka.mirror import LocalMirrorMaker

MIRROR_METRICS_PORT = 9404  # the JMX exporter's usual port; region slot i takes 9404 + i


def start_mirrors(
    clusters: Mapping[str, str], topic: str, home: Path, metrics_port: int = MIRROR_METRICS_PORT
) -> dict[str, LocalMirrorMaker]:
    """One MirrorMaker into each region (slot order), side by side: each waits for its mirrored topics."""
    mirrors = {
        region: LocalMirrorMaker(
            home=home / f"mirror-maker-{region}",
            clusters=dict(clusters),
            target=region,
            topics=[topic],
            metrics_port=metrics_port + slot,
        )
        for slot, region in enumerate(clusters)
    }
    with ThreadPoolExecutor(len(mirrors) or 1) as pool:
        list(pool.map(lambda m: m.start(timeout_s=120), mirrors.values()))
    return mirrors


def start_prometheus(
    home: Path,
    port: int,
    edges: Mapping[str, str],
    primary: str,
    stream: str,
    exporter: str,
    mirrors: Mapping[str, LocalMirrorMaker],
) -> LocalPrometheus:
    """Prometheus with the chart's rules; raises :class:`PrometheusError` where it is not installed."""
    find_binary()
    targets = local_targets(edges, primary, stream, exporter)
    targets += [
        ScrapeTarget("meridian-mirrormaker", f"127.0.0.1:{mirror.metrics_port}", {"region": region})
        for region, mirror in mirrors.items()
    ]
    return LocalPrometheus(home, port, prometheus_config(targets, [RULES])).start()


__all__ = ["PrometheusError", "start_mirrors", "start_prometheus"]
