"""Locust load test for the edge collector's ``POST /v1/events``.

Self-contained (only Locust needed), so it runs on load-generator machines without Meridian:

    MERIDIAN_EDGE_API_KEY=mk_... locust -f bench/load/locustfile.py --host http://edge.example:8090
    MERIDIAN_EDGE_API_KEY=mk_... locust -f bench/load/locustfile.py --host http://127.0.0.1:8090 \\
        --headless -u 50 -r 10 -t 2m --events-per-request 100 --gzip

Each simulated client posts NDJSON batches of fresh, valid events (new event_ids, occurred_at
now) as fast as the edge answers. 429 and 503 count as failures named "backpressure", so the
report shows how much load was pushed back rather than hiding it. See README "Load-testing the edge".

Losing a region: with ``--edge-urls http://edge.us:8090,http://edge.eu:8090`` (or
``MERIDIAN_EDGE_URLS``; the first is home, ``--host`` is then only the default) each user moves a
batch to the next edge on a connection error or a 503, stays on the edge that took it, and tries
home again after ``--failback-seconds`` (30). The failed attempt stays a failure (its message names
the edge), and every move is reported as a ``FAILOVER`` row named ``failover <from> -> <to>``.
429 is backpressure from a healthy edge: never a failover.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import time
import uuid
from datetime import UTC, datetime

from locust import FastHttpUser, constant, events, task

REGIONS = {"us": ["US", "CA"], "eu": ["DE", "FR", "GB"], "apac": ["JP", "SG", "AU"]}
TYPES = ["page_view"] * 12 + ["add_to_cart"] * 4 + ["checkout"] * 2 + ["purchase", "error"]


@events.init_command_line_parser.add_listener
def _options(parser) -> None:  # type: ignore[no-untyped-def]
    parser.add_argument("--events-per-request", type=int, default=100, help="events in each POST")
    parser.add_argument("--gzip", action="store_true", default=False, help="gzip every body")
    parser.add_argument(
        "--edge-urls",
        env_var="MERIDIAN_EDGE_URLS",
        default="",
        help="comma-separated edges, home first: fail over to the next on connection errors or 503",
    )
    parser.add_argument(
        "--failback-seconds",
        type=float,
        env_var="MERIDIAN_EDGE_FAILBACK_SECONDS",
        default=30.0,
        help="with --edge-urls: seconds on another edge before trying home again",
    )


@events.init.add_listener
def _default_host(environment, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    """``--edge-urls`` alone is enough: its home edge stands in for ``--host``."""
    options = environment.parsed_options
    urls = edge_urls(options.edge_urls if options else "", None)
    if urls and not environment.host:
        environment.host = urls[0]


def edge_urls(option: str, host: str | None) -> list[str]:
    """The edges in failover order: ``--edge-urls`` if given, else ``--host`` alone."""
    urls = [url.strip().rstrip("/") for url in option.split(",") if url.strip()]
    return urls or ([host.rstrip("/")] if host else [])


def fails_over(status: int, edges: int) -> bool:
    """A lost region (no connection: Locust's status 0) or a full edge (503) sends the batch elsewhere."""
    return edges > 1 and status in (0, 503)


def make_event(rng: random.Random) -> dict[str, object]:
    region = rng.choice(list(REGIONS))
    event_type = rng.choice(TYPES)
    user = rng.randrange(100_000)
    event: dict[str, object] = {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "event_type": event_type,
        "occurred_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "region": region,
        "user_id": f"u-{region}-{user}",
        "session_id": f"s-{region}-{user}",
        "country": rng.choice(REGIONS[region]),
        "device": rng.choice(["web", "ios", "android"]),
        "latency_ms": round(rng.lognormvariate(4.8, 0.6), 3),
        "schema_version": 1,
    }
    if event_type == "purchase":
        event.update(amount=round(rng.lognormvariate(3.7, 0.8), 2), currency="USD")
    return event


class EdgeClient(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        key = os.environ.get("MERIDIAN_EDGE_API_KEY")
        if not key:
            raise RuntimeError("set MERIDIAN_EDGE_API_KEY to a key the edge accepts (meridian edge-key)")
        options = self.environment.parsed_options
        self.batch = options.events_per_request if options else 100
        self.compress = bool(options and options.gzip)
        self.edges = edge_urls(options.edge_urls if options else "", self.host)
        self.failback_s = options.failback_seconds if options else 30.0
        self.current = 0  # index into edges: sticky, 0 is home
        self.away_since: float | None = None
        self.rng = random.Random()
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
        if self.compress:
            self.headers["Content-Encoding"] = "gzip"

    @task
    def post_events(self) -> None:
        body = "\n".join(json.dumps(make_event(self.rng)) for _ in range(self.batch)).encode()
        if self.compress:
            body = gzip.compress(body, 1)
        if self.away_since is not None and time.monotonic() - self.away_since >= self.failback_s:
            self.current, self.away_since = 0, None
        for _ in self.edges:  # at most one attempt per edge for this batch
            edge = self.edges[self.current]
            status = self._post(edge, body)
            if not fails_over(status, len(self.edges)):
                return
            self.current = (self.current + 1) % len(self.edges)
            self.away_since = None if self.current == 0 else (self.away_since or time.monotonic())
            self.environment.events.request.fire(
                request_type="FAILOVER",
                name=f"failover {edge} -> {self.edges[self.current]}",
                response_time=0,
                response_length=0,
                exception=None,
                context={},
            )

    def _post(self, edge: str, body: bytes) -> int:
        where = f" at {edge}" if len(self.edges) > 1 else ""
        with self.client.post(
            f"{edge}/v1/events", data=body, headers=self.headers, name=f"/v1/events x{self.batch}", catch_response=True
        ) as response:
            if response.status_code == 200:
                response.success()
            elif response.status_code in (429, 503):
                response.failure(f"backpressure {response.status_code}{where}")
            elif response.status_code == 0 and where:
                response.failure(f"connection error{where}: {response.error}")
            else:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
            return int(response.status_code)
