"""Run one edge instance: uvicorn in the main thread (it handles SIGTERM/SIGINT), the forwarder beside it."""

from __future__ import annotations

import logging

import uvicorn

from streaming.edge.api import build_app
from streaming.edge.service import EdgeService
from streaming.edge.settings import EdgeSettings
from streaming.events.event_time import EventTimeSettings
from streaming.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)


def serve(settings: EdgeSettings, kafka: KafkaSettings, event_time: EventTimeSettings) -> None:
    """Until SIGTERM/SIGINT; then stop accepting, let the forwarder finish its batch, fsync the buffer."""
    service = EdgeService(settings, kafka, event_time)
    service.start()
    log.info(
        "edge %s serving http://%s:%s/v1/events, buffer %s",
        settings.id,
        settings.http_host,
        settings.http_port,
        settings.buffer_dir,
    )
    try:
        uvicorn.run(
            build_app(service),
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            access_log=False,
        )
    finally:
        service.stop()
