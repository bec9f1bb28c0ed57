"""PromQL fragments the dashboards share, so each query shape is written (and fixed) once.

Matchers come in as text (``region="us"`` or ``region=~"$region"``) because the same panel is built
with a region fixed (one dashboard per region) and with a Grafana variable (overview, platform health).
Queries over counters that carry a label only once something went wrong (rejections by reason,
Kafka errors by error) fall back to zero, so "no errors" draws as 0 instead of "No data".
"""

from __future__ import annotations

from collections.abc import Sequence

RATE = "$__rate_interval"


def sel(metric: str, matchers: str = "") -> str:
    """``metric{matchers}``, or the bare metric when there is nothing to match."""
    return f"{metric}{{{matchers}}}" if matchers else metric


def _by(labels: Sequence[str]) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


def agg(op: str, expr: str, by: Sequence[str] = ()) -> str:
    """``op by (labels) (expr)``."""
    return f"{op}{_by(by)} ({expr})" if by else f"{op}({expr})"


def rate(metric: str, matchers: str = "", by: Sequence[str] = ()) -> str:
    """Per-second rate of a counter, summed (by the given labels)."""
    return agg("sum", f"rate({sel(metric, matchers)}[{RATE}])", by)


def rate_or_zero(metric: str, matchers: str, by: Sequence[str] = (), like: str = "") -> str:
    """``rate`` that reads 0 where the counter has never been incremented (so has no series yet).

    Without labels the fallback is ``vector(0)``; with labels it is ``like`` (a rate that always has
    those labels) times zero, so each region still gets its own 0 series.
    """
    if not by:
        return f"{rate(metric, matchers)} or vector(0)"
    return f"{rate(metric, matchers, by)} or {like} * 0"


def ratio_5xx(matchers: str, by: Sequence[str] = ()) -> str:
    """Share of edge requests answered 5xx; 0 (not "No data") while there are none."""
    ok = ", ".join(m for m in (matchers, 'status=~"5.."') if m)
    total = rate("meridian_edge_requests_total", matchers, by)
    errors = rate("meridian_edge_requests_total", ok, by)
    return f"({errors} or {total} * 0) / {total}"


def quantile(q: float, bucket_metric: str, matchers: str, by: Sequence[str] = ()) -> str:
    """``histogram_quantile`` over a rate of buckets, keeping ``by`` labels besides ``le``."""
    return f"histogram_quantile({q}, {rate(bucket_metric, matchers, ('le', *by))})"


def age(timestamp_metric: str, matchers: str = "", by: Sequence[str] = ()) -> str:
    """Seconds since a unix-time gauge, the newest per group (a freshness signal)."""
    return f"time() - {agg('max', sel(timestamp_metric, matchers), by)}"


def worst_age(timestamp_metric: str, matchers: str = "", by: Sequence[str] = ()) -> str:
    """Seconds since a unix-time gauge, the oldest instance per group (the laggard pages)."""
    return agg("max", f"time() - {sel(timestamp_metric, matchers)}", by)


def window(metric: str, matchers: str, by: Sequence[str] = ()) -> str:
    """A latest-closed-window gauge summed over stream instances (each holds its partitions' share)."""
    return agg("sum", sel(metric, matchers), by)


def window_error_rate(matchers: str, by: Sequence[str] = ()) -> str:
    """Errors over events in the latest closed window."""
    errors = window("meridian_stream_window_errors", matchers, by)
    events = window("meridian_stream_window_events", matchers, by)
    return f"{errors} / {events}"


def window_p95(matchers: str, by: Sequence[str] = ()) -> str:
    """The worst instance's p95: percentiles of partial windows cannot be merged, the max bounds them."""
    return agg("max", sel("meridian_stream_window_latency_p95_seconds", matchers), by)


def ready_fraction(metric: str, matchers: str, by: Sequence[str] = ()) -> str:
    """Share of scraped pods whose readiness gauge reads 1."""
    return f"{agg('sum', sel(metric, matchers), by)} / {agg('count', sel(metric, matchers), by)}"
