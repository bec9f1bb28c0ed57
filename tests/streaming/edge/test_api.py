"""The edge over real HTTP against the real broker: what it accepts lands in Kafka enriched; every bad
request gets the right status and message, and the edge keeps serving."""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from orchestration.settings import PlatformSettings
from streaming.edge.auth import ApiKeys, ConfigError, hash_key
from streaming.edge.client import EdgeClient, PostReport, batches
from streaming.generator import TrafficSpec, generate
from tests.streaming.edge.edge_helpers import KEY, InProcessEdge, edge_settings, metric, read_topic, wait_for

pytestmark = pytest.mark.integration

EVENT = {
    "event_id": "0b9f5a52-3c1e-4a4e-9a53-2f6d1c6f1a10",
    "event_type": "page_view",
    "occurred_at": "2026-11-26T10:00:00.123Z",
    "region": "eu",
    "user_id": "u-eu-1",
    "schema_version": 1,
}


@pytest.fixture()
def edge(settings: PlatformSettings, tmp_path: Path) -> Iterator[InProcessEdge]:
    running = InProcessEdge(
        edge_settings(
            settings,
            tmp_path / "buffer",
            max_body_bytes=200_000,
            max_decompressed_bytes=400_000,
            max_events_per_request=1000,
            rate_limit="3000/minute",
        )
    )
    yield running
    running.stop()


def post(
    edge: InProcessEdge, body: bytes, headers: dict[str, str] | None = None, key: str | None = KEY
) -> httpx.Response:
    sent = {"content-type": "application/json", **(headers or {})}
    if key is not None:
        sent["authorization"] = f"Bearer {key}"
    return httpx.post(edge.url + "/v1/events", content=body, headers=sent, timeout=30)


def test_accepted_events_reach_kafka_enriched_and_keyed_by_user(
    edge: InProcessEdge, settings: PlatformSettings
) -> None:
    generated = list(generate(TrafficSpec(count=1500, seed=11, malformed=0.03)))
    client = EdgeClient(edge.url, KEY, compress=True)
    report = PostReport()
    answers = [client.send(batch, report) for batch in batches((r.value for r in generated), 500)]
    client.close()

    expected_rejections = Counter(r.expected_reason for r in generated if r.expected_reason)
    assert report.reasons == dict(expected_rejections)
    assert report.accepted == len(generated) - sum(expected_rejections.values())
    assert {a["rejected"] > 0 for a in answers} == {True}  # each batch had some: 207s

    landed = read_topic(settings.kafka.bootstrap_servers, settings.kafka.events_topic, report.accepted)
    assert len(landed) == report.accepted  # Kafka was up: exactly once
    sent_ids = Counter(orjson.loads(r.value)["event_id"] for r in generated if not r.expected_reason)
    assert Counter(event["event_id"] for _, event in landed) == sent_ids
    for key, event in landed:
        assert key == event["user_id"].encode()
        assert event["edge_id"] == edge.settings.edge.id and event["edge_region"] == edge.settings.edge.region
        assert event["occurred_at"].endswith("Z") and event["received_at"].endswith("Z")

    text = httpx.get(edge.url + "/metrics").text
    wait_for(
        lambda: (
            metric(httpx.get(edge.url + "/metrics").text, "meridian_edge_events_forwarded_total") == report.accepted
        ),
        20,
        "forwarded metric",
    )
    assert metric(text, "meridian_edge_events_accepted_total") == report.accepted
    assert metric(text, "meridian_edge_events_rejected_total") == report.rejected
    assert 'meridian_edge_events_rejected_total{reason="invalid_json"}' in text
    ready = httpx.get(edge.url + "/readyz").json()
    assert ready["status"] == "ready" and ready["buffered_records"] == 0


BOMB = gzip.compress(b" " * 10_000_000, 9)


@pytest.mark.parametrize(
    ("body", "headers", "key", "status", "words"),
    [
        (orjson.dumps([EVENT]), {}, None, 401, "Authorization: Bearer"),
        (orjson.dumps([EVENT]), {}, "mk_not-a-key", 401, "unknown API key"),
        (orjson.dumps([EVENT]), {"authorization": f"Basic {KEY}"}, None, 401, "Bearer"),
        (orjson.dumps([EVENT]), {"content-type": "text/plain"}, KEY, 415, "content-type 'text/plain'"),
        (orjson.dumps([EVENT]), {"content-encoding": "br"}, KEY, 415, "content-encoding 'br'"),
        (b"[" + b" " * 300_000 + b"]", {}, KEY, 413, "limit is 200000"),
        (BOMB, {"content-encoding": "gzip"}, KEY, 413, "decompresses to more than 400000"),
        (orjson.dumps([EVENT] * 1001), {}, KEY, 413, "more than 1000 events"),
        (b"{not json", {}, KEY, 400, "not valid JSON"),
        (b'[{"amount": NaN}]', {}, KEY, 400, "not valid JSON"),
        (b'[{"amount": Infinity}]', {}, KEY, 400, "not valid JSON"),
        (b'[{"amount": 1e999}]', {}, KEY, 400, "infinity"),
        (b'[{"user_id": "\xc3\x28"}]', {}, KEY, 400, "UTF-8"),
        (b"[" * 5000 + b"]" * 5000, {}, KEY, 400, "depth"),
        (orjson.dumps([{**EVENT, "latency_ms": 2**63}]), {}, KEY, 422, "number_out_of_range"),
        (orjson.dumps([{**EVENT, "user_id": "u" * 5000}]), {}, KEY, 422, "too_long"),
        (orjson.dumps([{**EVENT, "nested": {"a": {"b": {"c": {"d": 1}}}}}]), {}, KEY, 422, "too_deep"),
        (orjson.dumps([{**EVENT, "region": "mars"}]), {}, KEY, 422, "invalid:region"),
    ],
    ids=[
        "no-key", "unknown-key", "basic-auth", "content-type", "content-encoding", "body-size", "gzip-bomb",
        "too-many-events", "not-json", "nan", "infinity", "huge-float", "invalid-utf8", "deep-nesting",
        "huge-integer", "oversized-field", "nested-field", "contract",
    ],
)  # fmt: skip
def test_bad_requests_get_the_right_status_and_message_and_the_edge_keeps_serving(
    edge: InProcessEdge, body: bytes, headers: dict[str, str], key: str | None, status: int, words: str
) -> None:
    response = post(edge, body, headers, key)
    assert response.status_code == status, response.text
    assert words in response.text
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert edge.service.buffer.pending() == (0, 0)  # nothing of a refused request was kept
    assert post(edge, orjson.dumps([EVENT])).status_code == 200  # and the next request is served
    assert httpx.get(edge.url + "/healthz").status_code == 200


def test_a_key_over_its_rate_gets_429_with_retry_after(edge: InProcessEdge) -> None:
    body = orjson.dumps([EVENT] * 1000)
    codes = [post(edge, body).status_code for _ in range(3)]  # 3000/minute: the third fills it
    assert codes == [200, 200, 200]
    refused = post(edge, body)
    assert refused.status_code == 429 and "over 3000/minute" in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert metric(httpx.get(edge.url + "/metrics").text, 'meridian_edge_requests_total{status="429"}') == 1


def test_key_configuration_is_hashed_and_checked() -> None:
    keys = ApiKeys.parse([f"ci:{hash_key('secret-1')}"])
    assert keys.identify("Bearer secret-1") == "ci" and keys.identify("Bearer secret-2") is None
    with pytest.raises(ConfigError, match="meridian edge-key"):
        ApiKeys.parse(["ci:secret-1"])  # a raw key where its hash belongs
