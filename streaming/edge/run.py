"""Run one edge instance: uvicorn in the main thread (it handles SIGTERM/SIGINT), the forwarder beside it."""

from __future__ import annotations

import logging

import uvicorn

from orchestration.settings import Settings
from streaming.edge.api import build_app
from streaming.edge.service import EdgeService

log = logging.getLogger(__name__)


def serve(settings: Settings) -> None:
    """Until SIGTERM/SIGINT; then stop accepting, let the forwarder finish its batch, fsync the buffer."""
    service = EdgeService(settings)
    service.start()
    log.info(
        "edge %s serving http://%s:%s/v1/events, buffer %s",
        settings.edge_id,
        settings.edge_http_host,
        settings.edge_http_port,
        settings.edge_buffer_dir,
    )
    try:
        uvicorn.run(
            build_app(service),
            host=settings.edge_http_host,
            port=settings.edge_http_port,
            log_level="warning",
            access_log=False,
        )
    finally:
        service.stop()
