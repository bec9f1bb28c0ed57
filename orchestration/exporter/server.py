"""``/metrics`` and ``/healthz`` on Starlette and uvicorn, the HTTP stack of the edge and the stream."""

from __future__ import annotations

import logging

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from orchestration.exporter.collector import LakeCollector
from orchestration.exporter.settings import ExporterSettings

log = logging.getLogger(__name__)


def build_app(collector: LakeCollector) -> Starlette:
    registry = CollectorRegistry()
    registry.register(collector)  # no describe(): registering reads nothing, the first scrape does

    # Plain functions: Starlette runs them in its thread pool, so a slow store never blocks the event loop.
    def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/metrics", metrics), Route("/healthz", healthz)])


def url(settings: ExporterSettings) -> str:
    return f"http://{settings.http_host}:{settings.http_port}/metrics"


def serve(settings: ExporterSettings, collector: LakeCollector) -> None:
    """Until SIGTERM/SIGINT (uvicorn handles both)."""
    log.info("exporter serving %s (reads cached %.0f s)", url(settings), settings.cache_seconds)
    uvicorn.run(
        build_app(collector),
        host=settings.http_host,
        port=settings.http_port,
        log_level="warning",
        access_log=False,
    )
