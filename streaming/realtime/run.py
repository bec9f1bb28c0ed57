"""Run one streaming service instance: the Kafka loop in the main thread, HTTP beside it."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import uvicorn

from streaming.kafka.settings import KafkaSettings
from streaming.realtime.api import build_app
from streaming.realtime.service import StreamService
from streaming.realtime.settings import StreamSettings

log = logging.getLogger(__name__)


def serve(settings: StreamSettings, kafka: KafkaSettings) -> None:
    """Until SIGTERM/SIGINT; on those, leave the group with every partition checkpointed."""
    service = StreamService(settings, kafka)
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(service),
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            access_log=False,
        )
    )
    http = threading.Thread(target=server.run, name="stream-http", daemon=True)
    http.start()

    def stop(signum: int, _: FrameType | None) -> None:
        log.info("signal %s: stopping", signum)
        service.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("serving http://%s:%s/v1/metrics/realtime", settings.http_host, settings.http_port)
    try:
        service.run()
    finally:
        server.should_exit = True
        http.join(timeout=5)
