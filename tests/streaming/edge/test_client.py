"""The edge client over real HTTP: failing over between regions' edges on refused connections and 503,
staying where it landed, going home after the interval, and never failing over a bad batch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from streaming.edge.client import Ack, EdgeClient, EdgeRefused, PostReport
from tests.streaming.edge.edge_helpers import KEY, metric, wait_for
from tests.streaming.edge.stub_edges import DROP, OK, StubEdge, closed_url, kafkaless_edge

pytestmark = pytest.mark.integration


def batch(n: int, start: int = 0) -> list[bytes]:
    return [orjson.dumps({"event_id": f"e-{start + i}", "event_type": "page_view"}) for i in range(n)]


@pytest.fixture()
def stubs() -> Iterator[list[StubEdge]]:
    started: list[StubEdge] = []
    yield started
    for stub in started:
        stub.stop()


def stub(stubs: list[StubEdge], mode: int | str = OK, script: list[int | str] | None = None) -> StubEdge:
    running = StubEdge(mode=mode, script=script or [])
    stubs.append(running)
    return running


def test_a_refused_home_edge_fails_over_to_the_next_and_stays_there(stubs: list[StubEdge]) -> None:
    home, other = closed_url(), stub(stubs)
    acks: list[Ack] = []
    client, report = EdgeClient([home, other.url], KEY, failback_s=60, on_ack=acks.append), PostReport()
    first = client.deliver(batch(10), report)
    second = client.deliver(batch(10, 10), report)
    client.close()

    assert first.edge == second.edge == other.url and first.failovers == 1 and second.failovers == 0
    assert report.failovers == {home: 1}  # the second batch went straight to the edge that worked
    assert report.acknowledged == {other.url: 2} and report.accepted == 20
    assert [len(lines) for lines in other.acknowledged] == [10, 10]
    assert acks == [first, second] and first.uncertain_edges == ()  # refused: nothing was sent
    assert first.accepted_event_ids() == [f"e-{i}" for i in range(10)]


def test_a_503_fails_over_at_once_while_one_edge_alone_waits_it_out(stubs: list[StubEdge]) -> None:
    full = stub(stubs, 503)
    full.retry_after = "30"  # the failover must not wait for it
    other = stub(stubs)
    client, report = EdgeClient([full.url, other.url], KEY), PostReport()
    started = time.monotonic()
    ack = client.deliver(batch(5), report)
    assert time.monotonic() - started < 10
    assert ack.edge == other.url and report.failovers == {full.url: 1} and len(full.requests) == 1
    client.close()

    alone = stub(stubs, OK, script=[503, 503])  # one URL: as before, the same edge after Retry-After
    single, report = EdgeClient(alone.url, KEY), PostReport()
    assert single.send(batch(5), report)["accepted"] == 5
    single.close()
    assert report.retries == 2 and report.failovers == {} and report.acknowledged == {alone.url: 1}


def test_429_is_backpressure_retried_on_the_same_edge_not_a_failover(stubs: list[StubEdge]) -> None:
    busy, other = stub(stubs, OK, script=[429]), stub(stubs)
    client, report = EdgeClient([busy.url, other.url], KEY), PostReport()
    ack = client.deliver(batch(5), report)
    client.close()
    assert ack.edge == busy.url and len(busy.requests) == 2 and other.requests == []
    assert report.retries == 1 and report.failovers == {}


@pytest.mark.parametrize("status", [400, 401, 413])
def test_a_bad_batch_is_not_failed_over(stubs: list[StubEdge], status: int) -> None:
    home, other = stub(stubs, status), stub(stubs)
    client, report = EdgeClient([home.url, other.url], KEY), PostReport()
    with pytest.raises(EdgeRefused, match=f"{status} from {home.url}"):
        client.deliver(batch(5), report)
    client.close()
    assert other.requests == [] and report.failovers == {}


def test_the_client_goes_home_after_the_interval_and_away_again_while_home_is_down(stubs: list[StubEdge]) -> None:
    home, other = stub(stubs, 503), stub(stubs)
    client, report = EdgeClient([home.url, other.url], KEY, failback_s=1.0), PostReport()
    assert client.deliver(batch(1), report).edge == other.url
    assert client.deliver(batch(1), report).edge == other.url and len(home.requests) == 1  # sticky

    def went_home() -> bool:  # a batch every 0.1 s until one tries home
        client.deliver(batch(1), report)
        return report.failbacks == 1

    wait_for(went_home, 10, "the client to try its home edge again")
    assert len(home.requests) == 2 and report.failovers == {home.url: 2}  # home still down: away again

    home.mode = OK  # the region is back
    wait_for(lambda: client.deliver(batch(1), report).edge == home.url, 10, "traffic to return home")
    assert report.failbacks == 2 and client.edge == home.url
    assert client.deliver(batch(1), report).edge == home.url  # and it stays home
    client.close()


def test_a_dropped_connection_is_resent_to_the_next_edge_and_marked_uncertain(stubs: list[StubEdge]) -> None:
    dropping, other = stub(stubs, DROP), stub(stubs)
    client, report = EdgeClient([dropping.url, other.url], KEY), PostReport()
    ack = client.deliver(batch(3), report)
    client.close()
    assert ack.edge == other.url and ack.uncertain_edges == (dropping.url,) and report.uncertain == 1
    assert dropping.requests == other.acknowledged  # the same events reached both: event_ids dedupe them


def test_failover_wraps_round_from_the_last_edge_to_the_first(stubs: list[StubEdge]) -> None:
    home, other = stub(stubs, OK, script=[503]), stub(stubs)
    client, report = EdgeClient([home.url, other.url], KEY, failback_s=60), PostReport()
    assert client.deliver(batch(2), report).edge == other.url
    other.mode = 503  # now the second region goes too, and home is back
    assert client.deliver(batch(2), report).edge == home.url
    client.close()
    assert report.failovers == {home.url: 1, other.url: 1} and report.failbacks == 0


def test_when_every_edge_is_gone_the_deadline_still_holds() -> None:
    urls = [closed_url(), closed_url(), closed_url()]
    client, report = EdgeClient(urls, KEY), PostReport()
    started = time.monotonic()
    with pytest.raises(EdgeRefused, match="no edge of"):
        client.deliver(batch(1), report, deadline_s=1.5)
    client.close()
    assert time.monotonic() - started < 5
    assert set(report.failovers) == set(urls) and report.acknowledged == {}


def test_acknowledged_event_ids_are_those_the_edge_accepted(stubs: list[StubEdge]) -> None:
    edge = stub(stubs)
    client, report = EdgeClient([closed_url(), edge.url], KEY), PostReport()
    lines = [*batch(2), b"", b"not json", *batch(2, 2)]
    ack = client.deliver(lines, report)
    client.close()
    assert ack.response.status_code == 207 and ack.answer["errors"][0]["index"] == 2  # blank lines are not counted
    assert ack.accepted_event_ids() == ["e-0", "e-1", "e-2", "e-3"]


def test_batches_fail_over_to_a_real_edge_in_another_region(tmp_path: Path) -> None:
    edge = kafkaless_edge(tmp_path / "buffer")
    try:
        acks: list[Ack] = []
        client = EdgeClient([closed_url(), edge.url], KEY, compress=True, on_ack=acks.append)
        report = PostReport()
        for start in range(0, 300, 100):
            client.deliver(
                [
                    orjson.dumps(
                        {
                            "event_id": f"0b9f5a52-3c1e-4a4e-9a53-{start + i:012d}",
                            "event_type": "page_view",
                            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                            "region": "eu",
                            "user_id": "u-eu-1",
                            "schema_version": 1,
                        }
                    )
                    for i in range(100)
                ],
                report,
            )
        client.close()
        text = httpx.get(edge.url + "/metrics").text
    finally:
        edge.stop()
    assert report.accepted == 300 and report.acknowledged == {edge.url: 3}
    assert metric(text, "meridian_edge_events_accepted_total") == 300
    assert sum(len(a.accepted_event_ids()) for a in acks) == 300 and {a.edge for a in acks} == {edge.url}
