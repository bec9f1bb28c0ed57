"""The service's HTTP API: live windows as JSON, Prometheus metrics, liveness and readiness.

Starlette (already in the lock through Dagster's webserver) served by uvicorn in a thread beside
the Kafka loop; handlers read the service's view (``StreamService.view``), a copy taken under its
lock, so a response is consistent with whole batches, never half of one.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio.to_thread
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from streaming.events.contract import REGIONS

if TYPE_CHECKING:
    from streaming.realtime.service import StreamService

STALE_LOOP_SECONDS = 30.0


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def parse_window(value: str) -> int:
    """``60s``, ``1m``, ``10s`` or plain seconds -> milliseconds."""
    text = value.strip().lower()
    try:
        if text.endswith("ms"):
            return int(text[:-2])
        if text.endswith("m"):
            return int(float(text[:-1]) * 60_000)
        return int(float(text.removesuffix("s")) * 1000)
    except ValueError:
        raise ValueError(f"window={value!r} is not a duration such as 60s, 1m or 10s") from None


def build_app(service: StreamService) -> Starlette:
    async def realtime(request: Request) -> Response:
        region = request.query_params.get("region")
        if region is not None and region not in REGIONS:
            return _error(400, f"region={region!r} is not one of {list(REGIONS)}")
        window = request.query_params.get("window")
        if window is not None:
            try:
                window_ms = parse_window(window)
            except ValueError as exc:
                return _error(400, str(exc))
            if window_ms != service.window_ms:
                return _error(
                    400, f"this service computes {service.window_ms // 1000}s windows, not {window_ms / 1000:g}s"
                )
        return JSONResponse(service.view(region).to_json())

    async def metrics(_: Request) -> Response:
        # In a worker thread: the window gauges wait (briefly) for the service's lock, the event loop must not.
        body = await anyio.to_thread.run_sync(generate_latest, service.metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def healthz(_: Request) -> Response:
        age = time.monotonic() - service.last_loop
        if service.last_loop and age > STALE_LOOP_SECONDS:
            return _error(503, f"the consume loop has not run for {age:.0f}s")
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        ready, why = service.ready()
        if not ready:
            return _error(503, why)
        return JSONResponse({"status": "ready", "partitions": service.partitions()})

    return Starlette(
        routes=[
            Route("/v1/metrics/realtime", realtime),
            Route("/metrics", metrics),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ]
    )
