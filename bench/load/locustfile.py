"""Locust load test for the edge collector's ``POST /v1/events``.

Self-contained (only Locust needed), so it runs on load-generator machines without Meridian:

    MERIDIAN_EDGE_API_KEY=mk_... locust -f bench/load/locustfile.py --host http://edge.example:8090
    MERIDIAN_EDGE_API_KEY=mk_... locust -f bench/load/locustfile.py --host http://127.0.0.1:8090 \\
        --headless -u 50 -r 10 -t 2m --events-per-request 100 --gzip

Each simulated client posts NDJSON batches of fresh, valid events (new event_ids, occurred_at
now) as fast as the edge answers. 429 and 503 count as failures named "backpressure", so the
report shows how much load was pushed back rather than hiding it. See README "Load-testing the edge".
"""

from __future__ import annotations

import gzip
import json
import os
import random
import uuid
from datetime import UTC, datetime

from locust import FastHttpUser, constant, events, task

REGIONS = {"us": ["US", "CA"], "eu": ["DE", "FR", "GB"], "apac": ["JP", "SG", "AU"]}
TYPES = ["page_view"] * 12 + ["add_to_cart"] * 4 + ["checkout"] * 2 + ["purchase", "error"]


@events.init_command_line_parser.add_listener
def _options(parser) -> None:  # type: ignore[no-untyped-def]
    parser.add_argument("--events-per-request", type=int, default=100, help="events in each POST")
    parser.add_argument("--gzip", action="store_true", default=False, help="gzip every body")


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
        self.rng = random.Random()
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
        if self.compress:
            self.headers["Content-Encoding"] = "gzip"

    @task
    def post_events(self) -> None:
        body = "\n".join(json.dumps(make_event(self.rng)) for _ in range(self.batch)).encode()
        if self.compress:
            body = gzip.compress(body, 1)
        with self.client.post(
            "/v1/events", data=body, headers=self.headers, name=f"/v1/events x{self.batch}", catch_response=True
        ) as response:
            if response.status_code == 200:
                response.success()
            elif response.status_code in (429, 503):
                response.failure(f"backpressure {response.status_code}")
            else:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
