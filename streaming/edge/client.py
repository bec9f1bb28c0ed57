"""A client for the edge's ``POST /v1/events``: NDJSON batches, gzip optional, honouring Retry-After.

Used by ``meridian generate --to http://...`` and the tests (the benchmark drives the edge with
urllib3, whose per-request cost is lower, so that it measures the edge). httpx keeps one
keep-alive connection; 429 and 503 are retried after the server's Retry-After, connection
errors with exponential backoff, both until a deadline, so a caller never loops forever.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRYABLE = (429, 503)


class EdgeRefused(RuntimeError):
    """The edge would not take a batch before the deadline (or said the request itself is wrong)."""


@dataclass
class PostReport:
    requests: int = 0
    accepted: int = 0
    rejected: int = 0
    retries: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


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
    def __init__(self, url: str, api_key: str, compress: bool = False, timeout_s: float = 30.0) -> None:
        self.endpoint = url.rstrip("/") + "/v1/events"
        self.compress = compress
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/x-ndjson"}
        if compress:
            headers["Content-Encoding"] = "gzip"
        self.http = httpx.Client(headers=headers, timeout=timeout_s)

    def close(self) -> None:
        self.http.close()

    def post(self, lines: list[bytes]) -> httpx.Response:
        body = b"\n".join(lines)
        return self.http.post(self.endpoint, content=gzip.compress(body, 1) if self.compress else body)

    def send(self, lines: list[bytes], report: PostReport, deadline_s: float = 120.0) -> dict[str, Any]:
        """Post one batch until the edge answers for it; returns the edge's answer."""
        deadline = time.monotonic() + deadline_s
        attempt = 0
        while True:
            try:
                response = self.post(lines)
            except httpx.TransportError as exc:
                wait, why = min(5.0, 0.1 * 2**attempt), f"{type(exc).__name__}: {exc}"
            else:
                report.requests += 1
                if response.status_code in (200, 207, 422):
                    answer: dict[str, Any] = response.json()
                    report.accepted += answer["accepted"]
                    report.rejected += answer["rejected"]
                    for error in answer["errors"]:
                        report.reasons[error["reason"]] = report.reasons.get(error["reason"], 0) + 1
                    return answer
                if response.status_code not in RETRYABLE:
                    raise EdgeRefused(f"{response.status_code}: {response.text}")
                wait, why = float(response.headers.get("retry-after", "1")), f"{response.status_code}"
            attempt += 1
            report.retries += 1
            if time.monotonic() + wait > deadline:
                raise EdgeRefused(f"the edge did not take the batch within {deadline_s}s (last: {why})")
            time.sleep(wait)
