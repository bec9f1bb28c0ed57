"""One dashboard per region: that region's business in real time, then the services serving it.

Two kinds of filter, on purpose. Analytics filter on ``event_region`` (where the user is): the
business figure for a region, summed over every cluster's stream instances (each event is counted
by one of them, also after a failover). Service panels filter on the scrape-added target label
``region`` (which cluster the pod runs in): what the on-call person for that cluster owns.
"""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model

from deploy.monitoring.dashboards import promql as q
from deploy.monitoring.dashboards.panels import (
    ERROR_RATE_STEPS,
    LAG_STEPS,
    READY_STEPS,
    WINDOW_AGE_STEPS,
    PanelBuilder,
    Section,
    dashboard,
    stat_panel,
    timeseries_panel,
)


def analytics_stats(ev: str, suffix: str = "") -> list[PanelBuilder]:
    """The four numbers of the latest closed window: volume, revenue, error rate, freshness."""
    return [
        stat_panel(
            f"Events in the last window{suffix}",
            "Events of every type in the latest closed one-minute window. A drop to 0 while the edge still "
            "accepts traffic means the stream service stopped closing windows.",
            "short",
            [(q.window("meridian_stream_window_events", ev), "events")],
        ),
        stat_panel(
            f"Revenue in the last window{suffix}",
            "Purchase revenue (USD) in the latest closed window: the business figure to watch during an incident.",
            "currencyUSD",
            [(q.window("meridian_stream_window_revenue_usd", ev), "revenue")],
        ),
        stat_panel(
            f"Error rate{suffix}",
            "Error events over all events in the latest closed window. Above 1% something is failing for users.",
            "percentunit",
            [(q.window_error_rate(ev), "error rate")],
            steps=ERROR_RATE_STEPS,
            decimals=2,
        ),
        stat_panel(
            f"Window age{suffix}",
            "Seconds since the end of the newest closed window: under about two minutes (one window plus the "
            "emit delay) is normal; more means the numbers beside it are stale (stream lagging or down).",
            "s",
            [(q.age("meridian_stream_window_end_timestamp_seconds", ev), "age")],
            steps=WINDOW_AGE_STEPS,
        ),
    ]


def analytics_section(title: str, ev: str) -> Section:
    """Per-event-type analytics from the stream's latest closed windows."""
    by = ("event_type",)
    return Section(
        title,
        [
            *analytics_stats(ev),
            timeseries_panel(
                "Events per window by type",
                "Events per closed one-minute window, by event type: the funnel (page views to purchases) live.",
                "short",
                [(q.window("meridian_stream_window_events", ev, by), "{{event_type}}")],
            ),
            timeseries_panel(
                "Revenue per window by type",
                "Revenue (USD) per closed window, by event type. A fall with steady page views points at checkout.",
                "currencyUSD",
                [(q.window("meridian_stream_window_revenue_usd", ev, by), "{{event_type}}")],
            ),
            timeseries_panel(
                "Error rate by type",
                "Errors over events per closed window, by event type: which step of the funnel is failing.",
                "percentunit",
                [(q.window_error_rate(ev, by), "{{event_type}}")],
                steps=ERROR_RATE_STEPS,
            ),
            timeseries_panel(
                "p95 client latency by type",
                "95th percentile of the latency the clients reported, per closed window and event type (the "
                "worst stream instance's p95: percentiles of partial windows cannot be merged).",
                "s",
                [(q.window_p95(ev, by), "{{event_type}}")],
            ),
        ],
    )


def edge_section(svc: str) -> Section:
    """The HTTP edge: traffic, errors, latency and its disk buffer towards Kafka."""
    status = ("status",)
    inst = ("instance",)
    return Section(
        "Edge (ingest)",
        [
            timeseries_panel(
                "Requests by status",
                "Requests per second to /v1/events by HTTP status. 503s mean a full buffer, 4xx bad clients.",
                "reqps",
                [(q.rate("meridian_edge_requests_total", svc, status), "{{status}}")],
            ),
            timeseries_panel(
                "5xx ratio",
                "Share of requests answered 5xx, the canary analysis' first metric: above 1% a rollout aborts.",
                "percentunit",
                [(q.ratio_5xx(svc), "5xx ratio")],
                steps=ERROR_RATE_STEPS,
            ),
            timeseries_panel(
                "Request latency",
                "p50 and p99 request latency at the edge; the canary analysis aborts a rollout above 0.5 s p99.",
                "s",
                [
                    (q.quantile(0.5, "meridian_edge_request_seconds_bucket", svc), "p50"),
                    (q.quantile(0.99, "meridian_edge_request_seconds_bucket", svc), "p99"),
                ],
                steps=[("green", None), ("red", 0.5)],
            ),
            timeseries_panel(
                "Events accepted, forwarded, rejected",
                "Events per second made durable in the buffer, acknowledged by Kafka, and refused. Forwarded "
                "below accepted for long means Kafka is not keeping up; rejected are client or buffer errors.",
                "cps",
                [
                    (q.rate("meridian_edge_events_accepted_total", svc), "accepted"),
                    (q.rate("meridian_edge_events_forwarded_total", svc), "forwarded"),
                    (q.rate_or_zero("meridian_edge_events_rejected_total", svc), "rejected"),
                    (q.rate_or_zero("meridian_edge_kafka_errors_total", svc), "Kafka errors"),
                ],
            ),
            timeseries_panel(
                "Buffer fill",
                "Bytes buffered on each edge pod's disk over the configured capacity. At 100% the edge answers "
                "503 and clients must retry; rising steadily means Kafka is unreachable.",
                "percentunit",
                [
                    (
                        f"{q.agg('sum', q.sel('meridian_edge_buffered_bytes', svc), inst)}"
                        f" / {q.agg('sum', q.sel('meridian_edge_buffer_capacity_bytes', svc), inst)}",
                        "{{instance}}",
                    )
                ],
                steps=[("green", None), ("orange", 0.5), ("red", 0.8)],
                max_value=1,
            ),
            timeseries_panel(
                "Buffered records and forward lag",
                "Records waiting for Kafka and the age of the oldest one, per pod. Lag over a minute means "
                "events reach analytics late (and a pod lost now would cost them until its disk returns).",
                "s",
                [
                    (q.agg("max", q.sel("meridian_edge_forward_lag_seconds", svc), inst), "lag {{instance}}"),
                    (q.agg("sum", q.sel("meridian_edge_buffered_records", svc), inst), "records {{instance}}"),
                ],
                steps=LAG_STEPS,
            ).override_by_regexp("^records .*", [model.DynamicConfigValue(id_val="unit", value="short")]),
        ],
    )


def stream_section(svc: str) -> Section:
    """The stream service: Kafka lag, checkpoints, readiness."""
    return Section(
        "Stream processing",
        [
            stat_panel(
                "Stream instances ready",
                "Share of stream pods whose /readyz answers 200 (restored from their checkpoint, consuming).",
                "percentunit",
                [(q.ready_fraction("meridian_stream_ready", svc), "ready")],
                steps=READY_STEPS,
            ),
            stat_panel(
                "Since last checkpoint",
                "Seconds since the oldest instance last wrote its state snapshot; a restart replays from "
                "there. Growing without bound means checkpoints fail (decades: none yet since start).",
                "s",
                [(q.worst_age("meridian_stream_last_checkpoint_timestamp_seconds", svc), "oldest")],
                steps=[("green", None), ("orange", 300.0), ("red", 900.0)],
            ),
            stat_panel(
                "Partitions owned",
                "Partitions the stream instances hold between them; below the topic's count means a "
                "rebalance is stuck and some events are not being counted.",
                "short",
                [(q.agg("sum", q.sel("meridian_stream_partitions_owned", svc)), "partitions")],
            ),
            stat_panel(
                "Consumer lag",
                "Records behind the end of the events topic, all partitions. KEDA adds consumers when it grows.",
                "short",
                [(q.agg("sum", q.sel("meridian_stream_consumer_lag", svc)), "records")],
                steps=[("green", None), ("orange", 10000.0), ("red", 100000.0)],
            ),
            timeseries_panel(
                "Consumer lag by partition",
                "Records behind per partition. One partition lagging alone is a hot key or a stuck consumer.",
                "short",
                [(q.agg("sum", q.sel("meridian_stream_consumer_lag", svc), ("partition",)), "p{{partition}}")],
            ),
            timeseries_panel(
                "Records consumed, late, invalid",
                "Records per second read from Kafka, events arriving after their window closed, and records "
                "the contract rejected (sent to the dead-letter topic).",
                "cps",
                [
                    (q.rate("meridian_stream_records_total", svc), "consumed"),
                    (q.rate("meridian_stream_late_events_total", svc), "late"),
                    (q.rate_or_zero("meridian_stream_invalid_records_total", svc), "invalid"),
                ],
            ),
            timeseries_panel(
                "Checkpoints and recoveries",
                "Snapshots written per second, and restores after Kafka refused a write (should stay at 0).",
                "ops",
                [
                    (q.rate("meridian_stream_checkpoints_total", svc), "checkpoints"),
                    (q.rate("meridian_stream_recoveries_total", svc), "recoveries"),
                ],
            ),
            timeseries_panel(
                "Window emit delay",
                "p95 seconds from a window's end to its emission: how late the analytics above are by design.",
                "s",
                [(q.quantile(0.95, "meridian_stream_window_emit_delay_seconds_bucket", svc), "p95")],
            ),
        ],
    )


def replication_section(region: str) -> Section:
    """Getting this region's data to the lake and to the other regions."""
    mirror = f'target="{region}"'
    lake = f'lake_region="{region}"'
    pair = ("source", "target")
    latency, age, records = "latency {{source}} → {{target}}", "age {{source}} → {{target}}", "records/s {{source}}"
    lake_pair = ("source_region", "target_region")
    lag = "meridian_lake_replication_lag_seconds"
    outgoing, incoming = f'source_region="{region}"', f'target_region="{region}"'
    return Section(
        "Replication and lake",
        [
            timeseries_panel(
                "MirrorMaker into this region",
                "Replicating the other regions' topics into this cluster: the worst record latency (source write "
                "to target write) and the age of the records it polls (how far behind the source it reads). "
                "An idle partition keeps its last latency, so read them with the records per second.",
                "ms",
                [
                    (q.agg("max", q.sel("meridian_mirror_replication_latency_ms_max", mirror), pair), latency),
                    (q.agg("max", q.sel("meridian_mirror_record_age_ms_max", mirror), pair), age),
                    (q.rate("meridian_mirror_records_total", mirror, pair), records),
                ],
            ).override_by_regexp("^records/s .*", [model.DynamicConfigValue(id_val="unit", value="cps")]),
            timeseries_panel(
                "Lake replication lag",
                "Seconds the lake copy in one region trails the other, for pairs touching this region: the "
                "data a failover to the target region would miss.",
                "s",
                [
                    (
                        q.agg("max", f"{q.sel(lag, outgoing)} or {q.sel(lag, incoming)}", lake_pair),
                        "{{source_region}} → {{target_region}}",
                    )
                ],
                steps=[("green", None), ("orange", 900.0), ("red", 3600.0)],
            ),
            stat_panel(
                "Bronze last landed",
                "Seconds since events last landed in this region's bronze layer; hours mean the lakehouse "
                "ingest (Dagster) stopped and gold will go stale next.",
                "s",
                [(q.age("meridian_lake_bronze_last_landed_timestamp_seconds", lake), "age")],
                steps=[("green", None), ("orange", 1800.0), ("red", 7200.0)],
                width=12,
                height=8,
            ),
        ],
    )


def region_dashboard(region: str) -> model.Dashboard:
    """The dashboard of one region, every query fixed to it (no variable to forget to set)."""
    ev = f'event_region="{region}"'
    svc = f'region="{region}"'
    return dashboard(
        uid=f"meridian-region-{region}",
        title=f"Meridian / region {region}",
        description=f"Real-time analytics of region {region}'s users, then the edge, stream, replication "
        f"and lake serving them in the {region} cluster.",
        tags=["region", region],
        sections=[
            analytics_section(f"Real-time analytics: {region} (latest closed 60 s window)", ev),
            edge_section(svc),
            stream_section(svc),
            replication_section(region),
        ],
    )
