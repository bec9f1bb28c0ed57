"""Edges for failover tests: a scriptable stand-in that answers like the edge, and a real edge that
needs no Kafka (it acknowledges onto its disk buffer, which is all a client sees).

Both are real HTTP servers on 127.0.0.1; nothing of httpx or Locust is mocked.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

from streaming.edge.settings import EdgeSettings
from streaming.kafka.broker import free_port
from streaming.kafka.settings import KafkaSettings
from tests.streaming.edge.edge_helpers import KEY_ENTRY, EdgeConfig, InProcessEdge

OK = "ok"  # answer like the edge: 200, or 207 listing the lines that are not JSON objects with an event_id
DROP = "drop"  # read the whole request, then close the connection without an answer: outcome unknown


@dataclass
class StubEdge:
    """Answers each POST with the next of ``script``, then with ``mode``: OK, DROP or an HTTP status."""

    mode: int | str = OK
    script: list[int | str] = field(default_factory=list)
    retry_after: str = "0"
    requests: list[list[bytes]] = field(default_factory=list)  # the non-blank lines of every request received
    acknowledged: list[list[bytes]] = field(default_factory=list)  # those of the requests it answered OK
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def _next(self, lines: list[bytes]) -> int | str:
        with self.lock:
            self.requests.append(lines)
            what = self.script.pop(0) if self.script else self.mode
            if what == OK:
                self.acknowledged.append(lines)
            return what

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the edge's uvicorn

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                return

            def do_POST(self) -> None:  # noqa: N802 - the base class's name
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                lines = [line.strip() for line in body.split(b"\n") if line.strip()]
                what = stub._next(lines)
                if what == DROP:
                    self.close_connection = True
                    return
                if what == OK:
                    errors = [
                        {"index": i, "reason": "invalid:json", "detail": ""}
                        for i, line in enumerate(lines)
                        if not _ok(line)
                    ]
                    answer = {"accepted": len(lines) - len(errors), "rejected": len(errors), "errors": errors}
                    self._answer(207 if errors else 200, answer)
                else:
                    self._answer(int(what), {"error": f"stub says {what}"}, {"Retry-After": stub.retry_after})

            def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = orjson.dumps(body)
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _ok(line: bytes) -> bool:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return isinstance(value, dict) and "event_id" in value


def kafkaless_edge(buffer_dir: Path) -> InProcessEdge:
    """A real edge whose Kafka is down: it still acknowledges, onto its disk buffer."""
    edge = EdgeSettings(api_keys=[KEY_ENTRY], buffer_dir=buffer_dir, http_port=free_port(), kafka_timeout_seconds=1.0)
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}", bootstrap_timeout_seconds=1.0)
    return InProcessEdge(EdgeConfig(edge, kafka))


def closed_url() -> str:
    """An edge URL nothing listens on: connections are refused, as when a region is gone."""
    return f"http://127.0.0.1:{free_port()}"
