"""The global overview: every region side by side, then one repeated row per selected region.

The first rows compare regions (one series each); the repeated row shows the same headline numbers
as each region's own dashboard, so "which region is it?" is answered before drilling down.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.models import dashboard as model

from deploy.monitoring.dashboards import promql as q
from deploy.monitoring.dashboards.panels import (
    ERROR_RATE_STEPS,
    Section,
    dashboard,
    region_variable,
    stat_panel,
    timeseries_panel,
)
from deploy.monitoring.dashboards.region import analytics_stats

ALL_EVENTS = 'event_region=~"$region"'
ALL_SERVICES = 'region=~"$region"'


def _global_section() -> Section:
    ev_by = ("event_region",)
    svc_by = ("region",)
    return Section(
        "All regions (latest closed 60 s window)",
        [
            stat_panel(
                "Events in the last window",
                "Events in the latest closed one-minute window, all selected regions together.",
                "short",
                [(q.window("meridian_stream_window_events", ALL_EVENTS), "events")],
            ),
            stat_panel(
                "Revenue in the last window",
                "Purchase revenue (USD) in the latest closed window, all selected regions together.",
                "currencyUSD",
                [(q.window("meridian_stream_window_revenue_usd", ALL_EVENTS), "revenue")],
            ),
            stat_panel(
                "Error rate",
                "Error events over all events in the latest closed window, all selected regions.",
                "percentunit",
                [(q.window_error_rate(ALL_EVENTS), "error rate")],
                steps=ERROR_RATE_STEPS,
                decimals=2,
            ),
            stat_panel(
                "Edge requests",
                "Requests per second reaching the edges of every selected cluster.",
                "reqps",
                [(q.rate("meridian_edge_requests_total", ALL_SERVICES), "requests")],
            ),
            timeseries_panel(
                "Events per window by region",
                "Events per closed window for each region's users: a region falling alone is a regional outage "
                "(its edge, its Kafka or its clients), all falling together is the stream service.",
                "short",
                [(q.window("meridian_stream_window_events", ALL_EVENTS, ev_by), "{{event_region}}")],
            ),
            timeseries_panel(
                "Revenue per window by region",
                "Revenue (USD) per closed window for each region's users.",
                "currencyUSD",
                [(q.window("meridian_stream_window_revenue_usd", ALL_EVENTS, ev_by), "{{event_region}}")],
            ),
            timeseries_panel(
                "Error rate by region",
                "Errors over events per closed window for each region's users.",
                "percentunit",
                [(q.window_error_rate(ALL_EVENTS, ev_by), "{{event_region}}")],
                steps=ERROR_RATE_STEPS,
            ),
            timeseries_panel(
                "p95 client latency by region",
                "95th percentile client-reported latency per closed window, each region's worst instance.",
                "s",
                [(q.window_p95(ALL_EVENTS, ev_by), "{{event_region}}")],
            ),
            timeseries_panel(
                "Edge requests by region",
                "Requests per second at each cluster's edge. Traffic moving from one region to another is a "
                "failover (or a DNS change) in progress.",
                "reqps",
                [(q.rate("meridian_edge_requests_total", ALL_SERVICES, svc_by), "{{region}}")],
            ),
            timeseries_panel(
                "Edge 5xx ratio by region",
                "Share of requests answered 5xx at each cluster's edge; above 1% users are losing events.",
                "percentunit",
                [(q.ratio_5xx(ALL_SERVICES, svc_by), "{{region}}")],
                steps=ERROR_RATE_STEPS,
            ),
        ],
    )


def _region_section() -> Section:
    one_events = 'event_region=~"$region"'
    one_cluster = 'region=~"$region"'
    return Section(
        "Region $region",
        [
            *analytics_stats(one_events, suffix=" ($region)"),
            stat_panel(
                "Edge p99 latency ($region)",
                "p99 request latency at this cluster's edge; the canary analysis aborts above 0.5 s.",
                "s",
                [(q.quantile(0.99, "meridian_edge_request_seconds_bucket", one_cluster), "p99")],
                steps=[("green", None), ("red", 0.5)],
            ),
            stat_panel(
                "Edge 5xx ratio ($region)",
                "Share of requests answered 5xx at this cluster's edge.",
                "percentunit",
                [(q.ratio_5xx(one_cluster), "5xx")],
                steps=ERROR_RATE_STEPS,
                decimals=2,
            ),
            stat_panel(
                "Edge forward lag ($region)",
                "Age of the oldest event not yet in this cluster's Kafka, worst edge pod.",
                "s",
                [(q.agg("max", q.sel("meridian_edge_forward_lag_seconds", one_cluster)), "lag")],
                steps=[("green", None), ("orange", 60.0), ("red", 300.0)],
            ),
            stat_panel(
                "Stream consumer lag ($region)",
                "Records the cluster's stream service is behind on the events topic.",
                "short",
                [(q.agg("sum", q.sel("meridian_stream_consumer_lag", one_cluster)), "records")],
                steps=[("green", None), ("orange", 10000.0), ("red", 100000.0)],
            ),
        ],
        repeat="region",
    )


def overview_dashboard(regions: Sequence[str]) -> model.Dashboard:
    """All regions at a glance; the ``region`` variable narrows the comparison and picks the repeated rows."""
    return dashboard(
        uid="meridian-overview",
        title="Meridian / global overview",
        description="Real-time analytics and edge traffic of every region, compared; one row per region below.",
        tags=["overview"],
        sections=[_global_section(), _region_section()],
        variables=[region_variable(regions)],
    )
