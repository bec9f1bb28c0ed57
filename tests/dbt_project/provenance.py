"""Generated traffic as if part of it came through edge collectors: the tests' source of edge provenance.

The generator makes what clients send; provenance is what an edge adds on the way
(``streaming.edge.intake.enrich``, called here as the edge calls it), so it is added to the test data
rather than to the generator. Each copy of an event takes its own route: re-sent duplicates arrive
through an edge, straight to Kafka, or both, and an edge stamps each copy with its own receive time,
so a copy later in Kafka is often the one received first (an edge forwarding from its buffer late).
A few direct copies carry a ``received_at`` of their own that is not an instant, as a producer might.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, timedelta
from typing import Any

import orjson

from streaming.edge.intake import enrich, utc_text
from streaming.events.contract import Accepted, validate_event
from streaming.generator import GeneratedRecord
from tests.dbt_project.oracle import earliest_copies, received_instant

# Text no engine may read as an instant: no offset, not a date, not a real day, empty, finer than 1 us.
JUNK_RECEIVED_AT = ("2026-11-02T10:00:00", "yesterday", "2026-02-30T10:00:00Z", "", "2026-11-02T10:00:00.1234567Z")


def through_edges(
    records: list[GeneratedRecord], share: float = 0.4, junk: float = 0.01, seed: int = 7
) -> list[GeneratedRecord]:
    """``records`` with about ``share`` of the valid copies enriched by an edge, in the same Kafka order."""
    rng = random.Random(seed)
    out = []
    for rec in records:
        if rec.expected_reason is not None:
            out.append(rec)
            continue
        outcome = validate_event(orjson.loads(rec.value))
        assert isinstance(outcome, Accepted) and outcome.occurred_at is not None, rec
        roll = rng.random()
        if roll < share:
            out.append(replace(rec, value=_through_an_edge(rng, outcome)))
        elif roll < share + junk:
            event = {**outcome.event, "received_at": rng.choice(JUNK_RECEIVED_AT)}
            out.append(replace(rec, value=orjson.dumps(event)))
        else:
            out.append(rec)
    return out


def _through_an_edge(rng: random.Random, accepted: Accepted) -> bytes:
    assert accepted.occurred_at is not None
    delay = timedelta(milliseconds=rng.randrange(1, 120_000))
    if rng.random() < 0.3:  # the edge writes microseconds when the clock has them
        delay += timedelta(microseconds=rng.randrange(1, 1000))
    received = accepted.occurred_at.astimezone(UTC) + delay
    region = accepted.event["region"]
    edge_region = region if rng.random() < 0.9 else rng.choice(["us", "eu", "apac"])
    key, value = enrich(accepted, utc_text(received), f"edge-{edge_region}-{rng.randrange(3)}", edge_region)
    assert key.decode() == accepted.event["user_id"]  # the same key, so the same partition as the other copies
    return value


def kept_copies_that_were_not_first(records: list[GeneratedRecord]) -> int:
    """Events whose copy silver keeps differs in provenance from their first copy in Kafka: the tie-break's work."""
    first: dict[str, dict[str, Any]] = {}
    for rec in records:
        if rec.expected_reason is None:
            event = orjson.loads(rec.value)
            first.setdefault(event["event_id"], event)
    return sum(
        (kept["received_at"], kept.get("edge_id"))
        != (received_instant(first[event_id].get("received_at")), first[event_id].get("edge_id"))
        for event_id, kept in earliest_copies(records).items()
    )
