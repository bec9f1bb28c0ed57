"""The edge's HTTP API: ``POST /v1/events``, ``/metrics``, ``/healthz``, ``/readyz``.

Starlette on uvicorn, like the streaming service. Cheap checks (key, content type, body size)
run on the event loop; decoding, validation and the durable append run in a worker thread, so
a large batch or an fsync never stalls health checks. Status codes:
200 every event accepted, 207 some rejected (see ``errors``), 422 none accepted,
400/413/415 the request itself is wrong, 401 no valid key, 429 over the key's rate (with
Retry-After), 503 the disk buffer is full (with Retry-After; nothing of the request was kept).

``/readyz`` answers 200 with ``"status": "degraded"`` while buffering: an edge that buffers still
accepts safely, and taking every edge out of rotation during a Kafka outage would turn a
backlog into an outage. It answers 503 only when the buffer is nearly full.
"""

from __future__ import annotations

import time

import anyio.to_thread
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from streaming.edge.buffer import BufferFull
from streaming.edge.intake import IntakeError, body_kind
from streaming.edge.service import EdgeService

BUFFER_FULL_RETRY_SECONDS = 5


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise IntakeError(400, f"content-length {declared!r} is not a number")
        if int(declared) > limit:
            raise IntakeError(413, f"the body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise IntakeError(413, f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def build_app(service: EdgeService) -> Starlette:
    settings = service.settings
    metrics = service.metrics

    async def events(request: Request) -> Response:
        started = time.perf_counter()
        response = await _events(request)
        metrics.requests.labels(str(response.status_code)).inc()
        metrics.request_seconds.observe(time.perf_counter() - started)
        return response

    async def _events(request: Request) -> Response:
        key_name = service.keys.identify(request.headers.get("authorization"))
        if key_name is None:
            return _error(
                401,
                "missing or unknown API key: send 'Authorization: Bearer <key>'",
                {"WWW-Authenticate": 'Bearer realm="meridian-edge"'},
            )
        try:
            kind = body_kind(request.headers.get("content-type"))
            body = await _read_body(request, settings.max_body_bytes)
            outcome = await anyio.to_thread.run_sync(
                service.accept, body, kind, request.headers.get("content-encoding"), key_name
            )
        except IntakeError as exc:
            return _error(exc.status, exc.message)
        except BufferFull as exc:
            metrics.buffer_full.inc()
            return _error(503, f"not accepted, retry later: {exc}", {"Retry-After": str(BUFFER_FULL_RETRY_SECONDS)})
        if isinstance(outcome, int):
            if outcome == 0:
                return _error(429, f"one request may not exceed the key's whole rate ({settings.rate_limit})")
            return _error(429, f"key {key_name!r} is over {settings.rate_limit}", {"Retry-After": str(outcome)})
        accepted = len(outcome.records)
        status = 200 if not outcome.rejected else (207 if accepted else 422)
        return JSONResponse(
            {"accepted": accepted, "rejected": len(outcome.rejected), "errors": outcome.rejected}, status_code=status
        )

    async def prometheus(_: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def healthz(_: Request) -> Response:
        if not service.forwarder.is_alive():
            return _error(503, "the forwarder thread has stopped")
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        health = service.health()
        body = {"status": health.status, "detail": health.detail, **health.extra}
        return JSONResponse(body, status_code=200 if health.ready else 503)

    return Starlette(
        routes=[
            Route("/v1/events", events, methods=["POST"]),
            Route("/metrics", prometheus),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ]
    )
