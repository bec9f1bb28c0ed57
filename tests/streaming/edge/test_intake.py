"""Request bodies to Kafka records: every limit, every kind of bad input, and the enrichment."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from streaming.edge.intake import IntakeError, Limits, body_kind, decompress, parse_items, take, utc_text
from streaming.generator import TrafficSpec, generate

LIMITS = Limits(max_decompressed_bytes=1 << 20, max_events=100, max_field_chars=64, max_depth=3)
EVENT: dict[str, Any] = {
    "event_id": "0b9f5a52-3c1e-4a4e-9a53-2f6d1c6f1a10",
    "event_type": "page_view",
    "occurred_at": "2026-11-26T10:00:00.123+01:00",
    "region": "eu",
    "user_id": "u-eu-1",
    "schema_version": 1,
}


def status_of(call: Any) -> tuple[int, str]:
    with pytest.raises(IntakeError) as info:
        call()
    return info.value.status, info.value.message


@pytest.mark.parametrize("media", ["text/plain", "application/xml", None, "multipart/form-data"])
def test_other_content_types_are_415(media: str | None) -> None:
    status, message = status_of(lambda: body_kind(media))
    assert status == 415 and "application/x-ndjson" in message


def test_json_and_ndjson_content_types_with_parameters() -> None:
    assert body_kind("application/json; charset=utf-8") == "json"
    assert body_kind("Application/X-NDJSON") == "ndjson"


def test_a_gzip_bomb_is_413_without_inflating_it() -> None:
    bomb = gzip.compress(b"[" + b" " * (50 * 1024 * 1024) + b"]", 9)  # 50 MiB of spaces in ~50 KiB
    assert len(bomb) < 100_000
    status, message = status_of(lambda: decompress(bomb, "gzip", 1 << 20))
    assert status == 413 and "decompresses to more than 1048576 bytes" in message


def test_gzip_that_is_not_gzip_or_is_cut_short_is_400_and_unknown_encodings_415() -> None:
    assert status_of(lambda: decompress(b"plain text", "gzip", 1000))[0] == 400
    whole = gzip.compress(orjson.dumps([EVENT]))
    assert status_of(lambda: decompress(whole[:-12], "gzip", 1000)) == (400, "the gzip body is truncated")
    assert status_of(lambda: decompress(whole, "br", 1000))[0] == 415
    assert decompress(whole, "gzip", 1000) == orjson.dumps([EVENT])


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'[{"a": NaN}]', "not valid JSON"),
        (b'[{"a": Infinity}]', "not valid JSON"),
        (b'[{"a": 1e400}]', "infinity"),
        (b'[{"user_id": "\xff\xfe"}]', "not valid UTF-8"),
        (b"[" * 2000, "depth"),
        (b'"a string"', "JSON array of events"),
        (b"[]", "no events"),
    ],
    ids=["nan", "infinity", "overflowing-float", "invalid-utf8", "deep-array", "scalar", "empty"],
)
def test_a_json_body_that_is_not_an_array_of_events_is_400(body: bytes, words: str) -> None:
    status, message = status_of(lambda: parse_items(body, "json", 100))
    assert status == 400 and words in message


def test_too_many_events_is_413() -> None:
    body = orjson.dumps([EVENT] * 101)
    assert status_of(lambda: parse_items(body, "json", 100)) == (
        413,
        "more than 100 events in one request; split the batch",
    )
    ndjson = b"\n".join([orjson.dumps(EVENT)] * 101)
    assert status_of(lambda: parse_items(ndjson, "ndjson", 100))[0] == 413


def test_ndjson_rejects_bad_lines_alone() -> None:
    body = b"\n".join([orjson.dumps(EVENT), b'{"a": NaN}', b"", b'{"user_id": "\xff"}', orjson.dumps(EVENT) + b"\r"])
    intake = take(parse_items(body, "ndjson", 100), LIMITS, "edge-1", "eu")
    assert len(intake.records) == 2
    assert [(e["index"], e["reason"]) for e in intake.rejected] == [(1, "invalid_json"), (2, "invalid_utf8")]


@pytest.mark.parametrize(
    ("change", "reason", "words"),
    [
        ({"user_id": "u" * 65}, "too_long", "user_id has 65 characters"),
        ({"x" * 65: 1}, "too_long", "field name"),
        ({"extra": {"a": {"b": {"c": 1}}}}, "too_deep", "extra.a.b nests deeper than 3"),
        ({"latency_ms": 2**60}, "number_out_of_range", "latency_ms="),
        ({"extra": [1, 2, -(2**54)]}, "number_out_of_range", "extra.2="),
        ({"region": "mars"}, "invalid:region", "region"),
        ({"event_type": "purchase"}, "missing:amount", "amount"),
    ],
)
def test_one_bad_event_is_rejected_with_a_reason_and_the_rest_accepted(
    change: dict[str, Any], reason: str, words: str
) -> None:
    bad = {**EVENT, **change}
    intake = take([EVENT, bad, EVENT], LIMITS, "edge-1", "eu")
    assert len(intake.records) == 2
    (error,) = intake.rejected
    assert error["index"] == 1 and error["reason"] == reason and words in error["detail"]


def test_enrichment_keys_by_user_and_normalises_occurred_at_to_utc() -> None:
    now = datetime(2026, 11, 26, 12, 0, 0, 500000, tzinfo=UTC)
    intake = take(
        [dict(EVENT), {**EVENT, "occurred_at": "2026-11-26T09:00:00.000Z", "edge_id": "spoofed"}],
        LIMITS,
        "edge-7",
        "apac",
        now,
    )
    (key1, value1), (_, value2) = intake.records
    first, second = orjson.loads(value1), orjson.loads(value2)
    assert key1 == b"u-eu-1"
    assert first["occurred_at"] == "2026-11-26T09:00:00.123Z"  # +01:00 -> UTC, same instant
    assert first["received_at"] == "2026-11-26T12:00:00.500Z"
    assert (first["edge_id"], first["edge_region"]) == ("edge-7", "apac")
    assert second["occurred_at"] == "2026-11-26T09:00:00.000Z"
    assert second["edge_id"] == "edge-7"  # the edge, not the client, says where it was received
    assert utc_text(datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)) == "2026-01-01T00:00:00.123456Z"


def test_generated_traffic_is_judged_as_the_contract_judges_it() -> None:
    """Every malformed generated record is rejected with the reason bronze would quarantine it with."""
    generated = list(generate(TrafficSpec(count=3000, seed=4, malformed=0.05)))
    body = b"\n".join(r.value for r in generated)
    wide = Limits(max_decompressed_bytes=1 << 24, max_events=5000, max_field_chars=4096, max_depth=4)
    intake = take(parse_items(body, "ndjson", 5000), wide, "edge-1", "us")
    expected = {i: r.expected_reason for i, r in enumerate(generated) if r.expected_reason}
    assert {e["index"]: e["reason"] for e in intake.rejected} == expected
    assert len(intake.records) == len(generated) - len(expected)


def test_events_no_daily_partition_will_read_are_rejected_with_their_own_reasons() -> None:
    from datetime import UTC, date, datetime, timedelta

    from streaming.events.event_time import BEFORE_PARTITIONS, TOO_FAR_IN_FUTURE, EventTimeRules

    rules = EventTimeRules(date(2026, 10, 1), timedelta(days=1))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    future, ancient = {**EVENT, "occurred_at": "9999-01-01T00:00:00Z"}, {**EVENT, "occurred_at": "0001-01-01T00:00:00Z"}
    soon = {**EVENT, "occurred_at": "2026-12-01T23:00:00+00:00"}
    intake = take([future, ancient, soon], LIMITS, "edge-1", "eu", now, rules)
    assert [(r["index"], r["reason"]) for r in intake.rejected] == [(0, TOO_FAR_IN_FUTURE), (1, BEFORE_PARTITIONS)]
    assert len(intake.records) == 1
