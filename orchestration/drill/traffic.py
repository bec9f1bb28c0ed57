"""The drill's clients: live events posted through the edges, every acknowledgement logged.

One client per region, each posting batches of fresh valid events (``streaming.generator`` in live
mode, no malformed, late or duplicate records: the drill measures loss, not the contract) to its
home edge first and failing over to the other regions' edges on connection errors or 503
(:class:`streaming.edge.client.EdgeClient`). Every batch sent and every batch acknowledged (2xx) is
appended to a JSON-lines log with the edge that acknowledged it: the drill's ground truth for RPO.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

from streaming.edge.client import Ack, EdgeClient, EdgeRefused, PostReport
from streaming.generator import TrafficSpec, generate


@dataclass
class Sent:
    """What one event was, for the independent computation of gold (region and hour of occurred_at)."""

    event_id: str
    region: str
    hour: str


@dataclass
class TrafficLog:
    """The log read back: every event sent, and when and by which edge each acknowledged one was taken."""

    sent: dict[str, Sent] = field(default_factory=dict)
    acked: dict[str, tuple[datetime, str]] = field(default_factory=dict)  # event_id -> (first ack, edge)
    refused_batches: int = 0

    def acked_before(self, moment: datetime) -> set[str]:
        return {event_id for event_id, (at, _) in self.acked.items() if at <= moment}

    def acked_by_edge(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, edge in self.acked.values():
            counts[edge] = counts.get(edge, 0) + 1
        return counts


def read_log(path: Path) -> TrafficLog:
    result = TrafficLog()
    if not path.exists():
        return result
    for raw in path.read_bytes().splitlines():
        try:
            line = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue  # the line being written as we read
        if line["kind"] == "sent":
            for event_id, region, hour in line["events"]:
                result.sent[event_id] = Sent(event_id, region, hour)
        elif line["kind"] == "acked":
            at = datetime.fromisoformat(line["at"])
            for event_id in line["ids"]:
                result.acked.setdefault(event_id, (at, line["edge"]))
        elif line["kind"] == "refused":
            result.refused_batches += 1
    return result


class DrillTraffic:
    """``edges``: region -> its edge URL; each region's client lists its own first, then the others."""

    def __init__(
        self,
        edges: Mapping[str, str],
        api_key: str,
        rate: float,
        log_path: Path,
        *,
        batch_size: int = 10,
        failback_s: float = 15.0,
        seed: int = 0,
        max_events: int = 1_000_000,
    ) -> None:
        self.edges = dict(edges)
        self.api_key = api_key
        self.rate = rate  # events per second, all clients together
        self.log_path = log_path
        self.batch_size = batch_size
        self.failback_s = failback_s
        self.seed = seed
        self.max_events = max_events
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.reports: dict[str, PostReport] = {}

    def urls_for(self, region: str) -> list[str]:
        names = list(self.edges)
        i = names.index(region)
        return [self.edges[n] for n in names[i:] + names[:i]]

    def _write(self, line: dict[str, object]) -> None:
        with self._lock, self.log_path.open("ab") as out:
            out.write(orjson.dumps(line) + b"\n")

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        for i, region in enumerate(self.edges):
            thread = threading.Thread(target=self._client, args=(region, i), name=f"drill-client-{region}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout_s: float = 60.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)

    def _client(self, region: str, index: int) -> None:
        per_client = self.rate / len(self.edges)
        interval = self.batch_size / per_client
        report = self.reports.setdefault(region, PostReport())

        def logged(ack: Ack) -> None:
            now = datetime.now(UTC).isoformat()
            self._write({"kind": "acked", "at": now, "edge": ack.edge, "ids": ack.accepted_event_ids()})

        client = EdgeClient(
            self.urls_for(region), self.api_key, timeout_s=10, failback_s=self.failback_s, on_ack=logged
        )
        spec = TrafficSpec(
            count=self.max_events, seed=self.seed * 100 + index, duplicates=0, late=0, malformed=0, live=True
        )
        records = generate(spec)
        try:
            while not self._stop.is_set():
                began = time.monotonic()
                lines = [r.value for r in itertools.islice(records, self.batch_size)]
                if not lines:
                    return
                self._write({"kind": "sent", "events": _described(lines)})
                try:
                    client.deliver(lines, report, deadline_s=60)
                except EdgeRefused as exc:
                    self._write({"kind": "refused", "error": str(exc)[:300]})
                self._stop.wait(max(0.0, interval - (time.monotonic() - began)))
        finally:
            client.close()


def _described(lines: Sequence[bytes]) -> list[list[str]]:
    out = []
    for line in lines:
        event = orjson.loads(line)
        occurred = datetime.fromisoformat(str(event["occurred_at"]).replace("Z", "+00:00")).astimezone(UTC)
        out.append([str(event["event_id"]), str(event["region"]), occurred.strftime("%Y-%m-%d %H:00:00")])
    return out
