"""Platform health: is every service up and keeping up, across the selected clusters.

Where the alerts (deploy/helm/meridian/files/prometheus-rules.yaml) page, this is the page to open:
one series per region for each alert's signal, then the lake and data-quality state.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.models import dashboard as model

from deploy.monitoring.dashboards import promql as q
from deploy.monitoring.dashboards.panels import (
    ERROR_RATE_STEPS,
    LAG_STEPS,
    READY_STEPS,
    Section,
    dashboard,
    region_variable,
    stat_panel,
    table_panel,
    timeseries_panel,
)

SVC = 'region=~"$region"'
MIRROR = 'target=~"$region"'  # MirrorMaker's cluster aliases are the regions
BY_REGION = ("region",)
LAKE = 'lake_region=~"$region"'
LAG = "meridian_lake_replication_lag_seconds"
FROM_SELECTED, INTO_SELECTED = 'source_region=~"$region"', 'target_region=~"$region"'


def _services() -> Section:
    return Section(
        "Services",
        [
            timeseries_panel(
                "Scrape targets up",
                "Targets Prometheus scraped successfully, per job and region. A drop means pods are gone or "
                "/metrics stopped answering, and every other panel for that job goes blank.",
                "short",
                [(q.agg("sum", q.sel("up", SVC), ("job", "region")), "{{job}} {{region}}")],
            ),
            timeseries_panel(
                "Edge pods ready",
                "Share of edge pods whose /readyz answers 200, per region; under 1 the Service sends traffic "
                "to fewer pods (a rollout, or buffers refusing writes).",
                "percentunit",
                [(q.ready_fraction("meridian_edge_ready", SVC, BY_REGION), "{{region}}")],
                steps=READY_STEPS,
                max_value=1,
            ),
            timeseries_panel(
                "Stream instances ready",
                "Share of stream pods ready (restored and consuming), per region.",
                "percentunit",
                [(q.ready_fraction("meridian_stream_ready", SVC, BY_REGION), "{{region}}")],
                steps=READY_STEPS,
                max_value=1,
            ),
            timeseries_panel(
                "Exporter scrape errors",
                "Errors per second reading the lake ledger, manifests or Dagster instance in `meridian exporter`: "
                "while non-zero the lake panels below may be stale.",
                "ops",
                [(q.rate_or_zero("meridian_exporter_scrape_errors_total", SVC), "errors")],
            ),
        ],
    )


def _edge() -> Section:
    return Section(
        "Edge",
        [
            timeseries_panel(
                "5xx ratio",
                "Share of edge requests answered 5xx, per region (the canary analysis aborts above 1%).",
                "percentunit",
                [(q.ratio_5xx(SVC, BY_REGION), "{{region}}")],
                steps=ERROR_RATE_STEPS,
            ),
            timeseries_panel(
                "p99 request latency",
                "p99 edge request latency per region (the canary analysis aborts above 0.5 s).",
                "s",
                [(q.quantile(0.99, "meridian_edge_request_seconds_bucket", SVC, BY_REGION), "{{region}}")],
                steps=[("green", None), ("red", 0.5)],
            ),
            timeseries_panel(
                "Buffer fill (fullest pod)",
                "The fullest edge pod's buffer over its capacity, per region. Near 100% the pod starts "
                "answering 503: Kafka is down or too slow in that region.",
                "percentunit",
                [
                    (
                        q.agg(
                            "max",
                            f"{q.sel('meridian_edge_buffered_bytes', SVC)}"
                            f" / {q.sel('meridian_edge_buffer_capacity_bytes', SVC)}",
                            BY_REGION,
                        ),
                        "{{region}}",
                    )
                ],
                steps=[("green", None), ("orange", 0.5), ("red", 0.8)],
                max_value=1,
            ),
            timeseries_panel(
                "Forward lag and refusals",
                "Age of the oldest event not yet in Kafka (worst pod), and requests refused because a buffer "
                "was full, per region.",
                "s",
                [
                    (q.agg("max", q.sel("meridian_edge_forward_lag_seconds", SVC), BY_REGION), "lag {{region}}"),
                    (q.rate("meridian_edge_buffer_full_total", SVC, BY_REGION), "refused/s {{region}}"),
                ],
                steps=LAG_STEPS,
            ).override_by_regexp("^refused/s .*", [model.DynamicConfigValue(id_val="unit", value="reqps")]),
        ],
    )


def _stream() -> Section:
    return Section(
        "Stream",
        [
            timeseries_panel(
                "Consumer lag",
                "Records the stream service is behind on the events topic, per region. KEDA scales on it, "
                "up to one consumer per partition; lag still growing at that cap needs more partitions.",
                "short",
                [(q.agg("sum", q.sel("meridian_stream_consumer_lag", SVC), BY_REGION), "{{region}}")],
            ),
            timeseries_panel(
                "Since last checkpoint (oldest instance)",
                "Seconds since the oldest stream instance last checkpointed, per region; a restart replays "
                "from there, so growth means checkpoints are failing.",
                "s",
                [(q.worst_age("meridian_stream_last_checkpoint_timestamp_seconds", SVC, BY_REGION), "{{region}}")],
                steps=[("green", None), ("orange", 300.0), ("red", 900.0)],
            ),
            timeseries_panel(
                "Recoveries and invalid records",
                "Restores after Kafka refused a write, and records rejected by the contract, per second.",
                "ops",
                [
                    (q.rate("meridian_stream_recoveries_total", SVC, BY_REGION), "recoveries {{region}}"),
                    (
                        q.rate_or_zero(
                            "meridian_stream_invalid_records_total",
                            SVC,
                            BY_REGION,
                            like=q.rate("meridian_stream_records_total", SVC, BY_REGION),
                        ),
                        "invalid {{region}}",
                    ),
                ],
            ),
            timeseries_panel(
                "Partitions owned",
                "Partitions the stream instances hold between them, per region; below the topic's partition "
                "count a rebalance is stuck and part of the traffic is not being counted.",
                "short",
                [(q.agg("sum", q.sel("meridian_stream_partitions_owned", SVC), BY_REGION), "{{region}}")],
            ),
        ],
    )


def _lake() -> Section:
    return Section(
        "Replication, lake and data quality",
        [
            timeseries_panel(
                "MirrorMaker replication latency",
                "Worst record latency of MirrorMaker replicating between regions, per source and target cluster.",
                "ms",
                [
                    (
                        q.agg("max", q.sel("meridian_mirror_replication_latency_ms_max", MIRROR), ("source", "target")),
                        "{{source}} → {{target}}",
                    )
                ],
            ),
            timeseries_panel(
                "MirrorMaker failed tasks",
                "Connector tasks in the FAILED state: replication of their partitions has stopped until the "
                "task is restarted (the Connect REST API, or a MirrorMaker pod restart).",
                "short",
                [(q.agg("sum", q.sel("meridian_mirror_connector_failed_tasks", SVC), ("connector",)), "{{connector}}")],
                steps=[("green", None), ("red", 1.0)],
            ),
            timeseries_panel(
                "Bronze freshness",
                "Seconds since events last landed in each region's bronze layer.",
                "s",
                [
                    (
                        q.age("meridian_lake_bronze_last_landed_timestamp_seconds", LAKE, ("lake_region",)),
                        "{{lake_region}}",
                    )
                ],
                steps=[("green", None), ("orange", 1800.0), ("red", 7200.0)],
            ),
            timeseries_panel(
                "Lake replication lag",
                "Seconds one region's lake copy trails the other's, for pairs touching the selected regions: what a "
                "failover to the target region would be missing.",
                "s",
                [
                    (
                        q.agg(
                            "max",
                            f"{q.sel(LAG, FROM_SELECTED)} or {q.sel(LAG, INTO_SELECTED)}",
                            ("source_region", "target_region"),
                        ),
                        "{{source_region}} → {{target_region}}",
                    )
                ],
                steps=[("green", None), ("orange", 900.0), ("red", 3600.0)],
            ),
            stat_panel(
                "Gold last built",
                "Seconds since the gold layer (the marts analysts query) was last built.",
                "s",
                [(q.age("meridian_lake_gold_last_build_timestamp_seconds"), "age")],
                steps=[("green", None), ("orange", 7200.0), ("red", 86400.0)],
                height=8,
            ),
            stat_panel(
                "Quality checks failing",
                "Data-quality checks whose latest evaluation failed; the table beside names them.",
                "short",
                [(q.agg("sum", "meridian_quality_check_failed"), "failing")],
                steps=[("green", None), ("red", 1.0)],
                height=8,
            ),
            table_panel(
                "Quality checks",
                "The latest result of every asset check: FAIL rows are what to fix (or quarantine) first.",
                q.agg("max", "meridian_quality_check_failed", ("asset", "check")),
                {"0": ("pass", "green"), "1": ("FAIL", "red")},
            ),
        ],
    )


def platform_dashboard(regions: Sequence[str]) -> model.Dashboard:
    """Operations across the selected clusters."""
    return dashboard(
        uid="meridian-platform-health",
        title="Meridian / platform health",
        description="Is every Meridian service up and keeping up, per region: the signals the alerts page on.",
        tags=["operations"],
        sections=[_services(), _edge(), _stream(), _lake()],
        variables=[region_variable(regions)],
    )
