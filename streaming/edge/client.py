"""A client for the edge's ``POST /v1/events``: NDJSON batches, gzip optional, honouring Retry-After,
failing over between regions' edges.

Used by ``meridian generate --to http://...`` and the tests (the benchmark drives the edge with
urllib3, whose per-request cost is lower, so that it measures the edge). httpx keeps a keep-alive
connection per edge; 429 and 503 are retried after the server's Retry-After, connection errors with
exponential backoff, both until a deadline, so a caller never loops forever.

With several edge URLs (the first is the client's home region) losing a region does not stop
ingestion: a connection error or a 503 moves the batch to the next edge at once (wrapping round;
after a whole round of failures the client waits as it would for one edge), the client stays on
the edge that took it, and after ``failback_s`` away it tries home again, so traffic returns once
the region is back. 429 is backpressure from a healthy edge, not a lost region: it is retried on
the same edge after Retry-After. Any other 4xx (and 5xx but 503) means the batch itself is wrong,
so no other edge is tried.

Duplicates: a batch is acknowledged by one edge only, except when an attempt's outcome is unknown.
A refused or timed-out connection, or a 503 (the edge kept nothing of the request), means no edge
has the batch, so sending it elsewhere cannot duplicate it. A connection that drops after the body
was sent (reset, read timeout, closed without an answer) may have left the batch on that edge's
disk; the client sends it again, on the next edge with several, because every event keeps its
event_id and silver and the streaming service deduplicate on it. :attr:`Ack.uncertain_edges` names
the edges that may hold such a copy.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

RETRYABLE = (429, 503)
FAILOVER_STATUSES = (503,)  # the edge kept nothing and cannot take more: another region can
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout)  # no byte of the request reached an edge
ACKNOWLEDGED = (200, 207, 422)  # the edge answered for every event (422: it rejected them all)
PATH = "/v1/events"


class EdgeRefused(RuntimeError):
    """The edge would not take a batch before the deadline (or said the request itself is wrong)."""


@dataclass
class PostReport:
    requests: int = 0
    accepted: int = 0
    rejected: int = 0
    retries: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    failovers: dict[str, int] = field(default_factory=dict)  # edge URL -> batches moved from it to the next edge
    acknowledged: dict[str, int] = field(default_factory=dict)  # edge URL -> batches it acknowledged
    failbacks: int = 0  # times the client went back to try its home edge
    uncertain: int = 0  # attempts sent whose answer never came: the batch was resent (event_ids dedupe)


@dataclass(frozen=True)
class Ack:
    """One batch acknowledged: which edge took it, its HTTP response and its decoded answer."""

    edge: str
    response: httpx.Response
    answer: dict[str, Any]
    lines: list[bytes]
    failovers: int  # edges this batch left before ``edge`` took it
    uncertain_edges: tuple[str, ...]  # edges that may also hold it (sent, then the connection dropped)

    def accepted_event_ids(self) -> list[str]:
        """The event_ids the edge accepted, in order: its answer lists the rejected by index, counted the
        way the edge counts NDJSON lines (blank lines skipped)."""
        rejected = {error["index"] for error in self.answer["errors"]}
        items = [line for line in (raw.strip() for raw in b"\n".join(self.lines).split(b"\n")) if line]
        return [str(orjson.loads(item)["event_id"]) for index, item in enumerate(items) if index not in rejected]


def batches(lines: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class EdgeClient:
    """Posts batches to the first edge of ``url`` that takes them; not shared between threads (it keeps
    which edge it is on).

    ``on_ack`` is called with every :class:`Ack`, for callers that log which edge took which events.
    """

    def __init__(
        self,
        url: str | Sequence[str],
        api_key: str,
        compress: bool = False,
        timeout_s: float = 30.0,
        failback_s: float = 30.0,
        connect_timeout_s: float = 5.0,
        on_ack: Callable[[Ack], None] | None = None,
    ) -> None:
        self.urls = [u.rstrip("/") for u in ([url] if isinstance(url, str) else url)]
        if not self.urls:
            raise ValueError("EdgeClient needs at least one edge URL")
        self.compress = compress
        self.failback_s = failback_s
        self.on_ack = on_ack
        self.current = 0  # index into urls: sticky, 0 is home
        self._away_since: float | None = None
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/x-ndjson"}
        if compress:
            headers["Content-Encoding"] = "gzip"
        # a region that is gone may drop packets: do not spend the whole timeout learning so
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, connect_timeout_s))
        self.http = httpx.Client(headers=headers, timeout=timeout)

    @property
    def edge(self) -> str:
        """The edge the next batch goes to (home, unless the client failed over)."""
        return self.urls[self.current]

    @property
    def endpoint(self) -> str:
        return self.edge + PATH

    def close(self) -> None:
        self.http.close()

    def post(self, lines: list[bytes]) -> httpx.Response:
        """One attempt at the current edge, no retry."""
        return self._post(self.edge, self._body(lines))

    def _body(self, lines: list[bytes]) -> bytes:
        body = b"\n".join(lines)
        return gzip.compress(body, 1) if self.compress else body

    def _post(self, edge: str, body: bytes) -> httpx.Response:
        return self.http.post(edge + PATH, content=body)

    def send(self, lines: list[bytes], report: PostReport, deadline_s: float = 120.0) -> dict[str, Any]:
        """Post one batch until an edge answers for it; returns the edge's answer (:meth:`deliver` says which)."""
        return self.deliver(lines, report, deadline_s).answer

    def deliver(self, lines: list[bytes], report: PostReport, deadline_s: float = 120.0) -> Ack:
        """Post one batch until an edge answers for it, failing over between the edges; the acknowledgement."""
        deadline = time.monotonic() + deadline_s
        self._maybe_go_home(report)
        body = self._body(lines)
        attempt = 0  # failed attempts, for the backoff
        hops = 0  # failovers since the last pause: after a whole round, pause as one edge would
        moved = 0
        uncertain: list[str] = []
        while True:
            edge = self.edge
            fail_over = len(self.urls) > 1
            try:
                response = self._post(edge, body)
            except httpx.TransportError as exc:
                wait, why = min(5.0, 0.1 * 2**attempt), f"{type(exc).__name__} at {edge}: {exc}"
                if not isinstance(exc, NEVER_SENT):
                    report.uncertain += 1
                    uncertain.append(edge)
            else:
                report.requests += 1
                if response.status_code in ACKNOWLEDGED:
                    return self._acknowledged(edge, response, lines, report, moved, uncertain)
                if response.status_code not in RETRYABLE:
                    raise EdgeRefused(f"{response.status_code} from {edge}: {response.text}")
                wait, why = float(response.headers.get("retry-after", "1")), f"{response.status_code} from {edge}"
                fail_over = fail_over and response.status_code in FAILOVER_STATUSES
            attempt += 1
            report.retries += 1
            if fail_over:
                report.failovers[edge] = report.failovers.get(edge, 0) + 1
                moved += 1
                self._move_on()
                hops += 1
                if hops < len(self.urls):
                    wait = 0.0  # the next edge has not been tried yet
                else:
                    hops = 0
            if time.monotonic() + wait > deadline:
                which = "the edge" if len(self.urls) == 1 else f"no edge of {', '.join(self.urls)}"
                raise EdgeRefused(f"{which} did not take the batch within {deadline_s}s (last: {why})")
            if wait:
                time.sleep(wait)

    def _acknowledged(
        self,
        edge: str,
        response: httpx.Response,
        lines: list[bytes],
        report: PostReport,
        moved: int,
        uncertain: list[str],
    ) -> Ack:
        answer: dict[str, Any] = response.json()
        report.accepted += answer["accepted"]
        report.rejected += answer["rejected"]
        for error in answer["errors"]:
            report.reasons[error["reason"]] = report.reasons.get(error["reason"], 0) + 1
        report.acknowledged[edge] = report.acknowledged.get(edge, 0) + 1
        ack = Ack(edge, response, answer, lines, moved, tuple(uncertain))
        if self.on_ack is not None:
            self.on_ack(ack)
        return ack

    def _move_on(self) -> None:
        self.current = (self.current + 1) % len(self.urls)
        if self.current == 0:
            self._away_since = None
        elif self._away_since is None:
            self._away_since = time.monotonic()

    def _maybe_go_home(self, report: PostReport) -> None:
        if self._away_since is not None and time.monotonic() - self._away_since >= self.failback_s:
            self.current, self._away_since = 0, None
            report.failbacks += 1
