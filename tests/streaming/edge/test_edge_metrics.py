"""The edge's buffer capacity and readiness gauges: what the buffer alerts divide by and what EdgeNotReady reads.

An in-process edge whose Kafka address has nothing listening, so every accepted event stays buffered: the
readiness gauge must say 1 while the edge merely buffers (``/readyz`` 200, degraded) and 0 from the moment
the buffer is too full (``/readyz`` 503), read at scrape time rather than copied when something happened.
No broker is needed, so this runs in seconds.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from streaming.generator import TrafficSpec, generate
from streaming.kafka.broker import free_port
from tests.helpers import platform_settings
from tests.streaming.edge.edge_helpers import KEY, InProcessEdge, edge_settings, metric, wait_for

CAPACITY = 200_000


def scrape(edge: InProcessEdge) -> str:
    return httpx.get(edge.url + "/metrics").text


def test_capacity_and_readiness_follow_the_buffer_and_agree_with_readyz(tmp_path: Path) -> None:
    dead = platform_settings(f"127.0.0.1:{free_port()}", "events.metrics.v1", tmp_path)
    edge = InProcessEdge(
        edge_settings(dead, tmp_path / "buffer", buffer_max_bytes=CAPACITY, buffer_segment_bytes=50_000)
    )
    http = httpx.Client(headers={"authorization": f"Bearer {KEY}", "content-type": "application/x-ndjson"})
    try:
        text = scrape(edge)
        assert metric(text, "meridian_edge_buffer_capacity_bytes") == CAPACITY
        assert metric(text, "meridian_edge_ready") == 1

        lines = [r.value for r in generate(TrafficSpec(count=4000, seed=31, duplicates=0, malformed=0, late=0))]
        assert http.post(edge.url + "/v1/events", content=b"\n".join(lines[:100])).status_code == 200
        wait_for(lambda: edge.service.forwarder.failing_since is not None, 20, "the forwarder to find Kafka down")
        assert httpx.get(edge.url + "/readyz").json()["status"] == "degraded"
        text = scrape(edge)
        assert metric(text, "meridian_edge_ready") == 1  # buffering is not unready: it still accepts safely
        assert 0 < metric(text, "meridian_edge_buffered_bytes") < CAPACITY

        refused = False
        for start in range(100, len(lines), 100):  # bounded: at most 39 requests
            if http.post(edge.url + "/v1/events", content=b"\n".join(lines[start : start + 100])).status_code == 503:
                refused = True
                break
        assert refused, "the buffer never filled"
        assert httpx.get(edge.url + "/readyz").status_code == 503
        text = scrape(edge)
        assert metric(text, "meridian_edge_ready") == 0
        assert metric(text, "meridian_edge_buffer_capacity_bytes") == CAPACITY
    finally:
        http.close()
        edge.stop()
