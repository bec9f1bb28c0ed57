"""The Rust hot path (``streaming/native``) against Python, the authority it defers to.

The native code may hand any record to Python, but whatever it accepts on its own must be exactly
what Python accepts, with the same event time. These tests feed it generated traffic (with
malformed records) and hand-made edge cases where JSON decoders and JSON Schema engines are
known to disagree, and record which records it handed to Python.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NamedTuple

import meridian_native
import orjson
import pytest

from streaming.events import sketches
from streaming.events.contract import Accepted, parse_record
from streaming.events.reference import load_fx_rates
from streaming.generator import TrafficSpec, generate
from streaming.realtime import windows as windows_module
from streaming.realtime.windows import PartitionWindows

EVENT = {
    "event_id": "0b7e8f3c-8a4e-4c1e-9f5d-2a6b7c8d9e0f",
    "event_type": "purchase",
    "occurred_at": "2026-11-20T10:00:00.123Z",
    "region": "eu",
    "user_id": "u-1",
    "amount": 12.5,
    "currency": "EUR",
    "latency_ms": 80,
    "schema_version": 1,
}


def variant(**changes: Any) -> bytes:
    return orjson.dumps({**EVENT, **changes})


# Records where a fast path could plausibly disagree with orjson + jsonschema-rs + fromisoformat.
EDGE_CASES: list[bytes | None] = [
    None,
    b"",
    b"[1, 2]",
    b'"just a string"',
    b"{not json",
    variant(),
    variant(region="\u0065u"),  # an escaped plain letter: same string
    variant(region="eu "),
    variant(schema_version=1.0),
    variant(schema_version=True),
    variant(schema_version=3),
    variant(amount=12),
    variant(amount=-0.0),
    variant(amount=1e308),
    variant(latency_ms=0),
    variant(latency_ms=-1),
    variant(event_type="page_view"),  # amount and currency are forbidden off purchases
    variant(currency="eur"),
    variant(country="FRA"),
    variant(country="FR", device="web", session_id="s", app_version="1.2"),
    variant(extra={"nested": [1, {"deep": None}]}, tags=["a", "b"]),
    variant(user_id=""),
    variant(event_id="0B7E8F3C-8A4E-4C1E-9F5D-2A6B7C8D9E0F"),
    variant(event_id="0b7e8f3c-8a4e-4c1e-9f5d-2a6b7c8d9e0"),
    variant(occurred_at="2026-11-20t10:00:00Z"),
    variant(occurred_at="2026-11-20 10:00:00+01:00"),
    variant(occurred_at="2026-02-29T10:00:00Z"),
    variant(occurred_at="2026-11-20T24:00:00Z"),
    variant(occurred_at="2026-11-20T10:00:00.1234567890Z"),
    variant(occurred_at="2026-11-20T10:00:00+23:59"),
    variant(occurred_at="\u0662026-11-20T10:00:00Z"),
    variant(occurred_at="1969-12-31T23:59:59.999Z"),
    variant(occurred_at="2026-11-20T10:00:00"),
    orjson.dumps(EVENT)[:-1] + b', "region": "us"}',  # a field given twice
    orjson.dumps(EVENT)[:-1] + b', "big": 123456789012345678901234567890}',
    orjson.dumps(EVENT)[:-1] + b', "huge": 1e400}',
    orjson.dumps(EVENT)[:-1] + b', "nan": NaN}',
    orjson.dumps(EVENT) + b" trailing",
    orjson.dumps(EVENT) + b"  \n",
    b"\xef\xbb\xbf" + orjson.dumps(EVENT),
    orjson.dumps(EVENT).replace(b'"u-1"', b'"u-\\ud800"'),
    orjson.dumps(EVENT).replace(b'"u-1"', b'"u-\xff"'),
    b"[" * 200 + b"]" * 200,
    orjson.dumps(EVENT)[:-1] + b', "deep": ' + b"[" * 150 + b"]" * 150 + b"}",  # deeper than serde_json reads
]


def generated(count: int = 4_000) -> list[bytes | None]:
    spec = TrafficSpec(
        count=count,
        seed=11,
        start=datetime(2026, 11, 20, tzinfo=UTC),
        days=0.01,
        duplicates=0.03,
        late=0.02,
        malformed=0.05,
    )
    return [r.value for r in generate(spec)]


class Record(NamedTuple):
    offset: int
    value: bytes | None


def judged_offsets(values: list[bytes | None]) -> tuple[set[int], PartitionWindows]:
    """Process ``values`` one by one; the offsets the native code handed to Python."""
    state = PartitionWindows(0, 60_000, 10_000, load_fx_rates())
    handed: set[int] = set()
    current = [0]

    def judge(value: Any) -> Any:
        handed.add(current[0])
        return windows_module._judge(value)

    state.core = meridian_native.WindowCore(
        60_000,
        10_000,
        sketches.LatencySketch.LOG_GAMMA,
        load_fx_rates(),
        windows_module._schemas(),
        judge,
        sketches.new_users,
        0,
    )
    for offset, value in enumerate(values):
        current[0] = offset
        state.process(offset, value)
    return handed, state


@pytest.mark.parametrize("source", ["generated", "edge cases"])
def test_what_the_native_path_accepts_python_accepts(source: str) -> None:
    values = generated() if source == "generated" else EDGE_CASES
    handed, _ = judged_offsets(values)
    accepted_natively = [v for i, v in enumerate(values) if i not in handed]
    for value in accepted_natively:
        assert isinstance(parse_record(value), Accepted), value
    rejected_by_python = sum(not isinstance(parse_record(v), Accepted) for v in values)
    # every record Python rejects went to Python (that is where reason codes come from) ...
    assert rejected_by_python > 0 and len(handed) >= rejected_by_python
    # ... and the fast path really is the common path
    if source == "generated":
        assert len(accepted_natively) > 0.9 * len(values)


def test_records_python_accepts_but_the_fast_path_does_not_are_still_counted() -> None:
    """A lowercase 't' separator and a space are valid for Python; the native path hands them over."""
    values = [
        variant(occurred_at="2026-11-20t10:00:00Z"),
        variant(occurred_at="2026-11-20 10:00:01Z", event_id=EVENT["event_id"].replace("0b", "1b")),
    ]
    handed, state = judged_offsets(values)
    assert handed == {0, 1}
    assert sum(w.events for w in state.windows.values()) == 2 and not state.invalid


def test_invalid_records_get_pythons_reason_codes() -> None:
    values = EDGE_CASES
    _, state = judged_offsets(values)
    expected: dict[str, int] = {}
    for value in values:
        outcome = parse_record(value)
        if not isinstance(outcome, Accepted):
            expected[outcome.reason] = expected.get(outcome.reason, 0) + 1
    assert dict(state.invalid) == expected


def timestamps(count: int) -> Iterator[str]:
    rng = random.Random(7)
    for _ in range(count):
        instant = datetime(1900, 1, 1, tzinfo=UTC) + timedelta(
            microseconds=rng.randrange(0, 300 * 365 * 86_400 * 10**6)
        )
        offset = timedelta(minutes=rng.randrange(-23 * 60 - 59, 23 * 60 + 60))
        local = instant.astimezone(timezone(offset))
        text = local.strftime("%Y-%m-%dT%H:%M:%S")
        digits = rng.randrange(0, 10)
        if digits:
            text += "." + "".join(rng.choice("0123456789") for _ in range(digits))
        text += rng.choice(["Z", "z", local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]])
        yield text


def test_event_time_matches_python_to_the_millisecond() -> None:
    handled = 0
    for text in timestamps(30_000):
        native = meridian_native.event_time_ms(text)
        python = int(datetime.fromisoformat(text.replace("z", "Z")).timestamp() * 1000)
        if native is not None:
            handled += 1
            assert native == python, text
    assert handled > 25_000  # years after 2200 are left to Python


def test_latency_buckets_match_the_python_sketch() -> None:
    rng = random.Random(3)
    values = [rng.lognormvariate(4, 2) for _ in range(20_000)] + [1e-9, 0.5, 1.0, 1e9]
    for value in values:
        assert meridian_native.latency_bucket(value, sketches.LatencySketch.LOG_GAMMA) == math.ceil(
            math.log(value) / sketches.LatencySketch.LOG_GAMMA
        )


def normalized(snapshot: bytes) -> dict[str, Any]:
    """A snapshot with each window's event ids sorted (a set's order is not part of the state)."""
    data: dict[str, Any] = orjson.loads(snapshot)
    for window in data["windows"]:
        window["event_ids"].sort()
    return data


def test_a_batch_decoded_on_threads_equals_one_record_at_a_time() -> None:
    values = generated(3_000)
    one_by_one = PartitionWindows(0, 60_000, 10_000, load_fx_rates())
    for offset, value in enumerate(values):
        one_by_one.process(offset, value)
    batched = PartitionWindows(0, 60_000, 10_000, load_fx_rates())
    records = [Record(offset, value) for offset, value in enumerate(values)]
    for start in range(0, len(records), 1_000):  # batches above the parallel threshold
        batched.process_records(records[start : start + 1_000])
    assert normalized(batched.snapshot()) == normalized(one_by_one.snapshot())
    assert one_by_one.invalid and one_by_one.late and one_by_one.duplicates


def native_with(extra_property: dict[str, Any]) -> tuple[meridian_native.WindowCore, list[Any]]:
    """A core whose schema is contract v1 plus a property ``x`` with the given rules."""
    schema = orjson.loads(windows_module._schemas()[1])
    schema["properties"]["x"] = extra_property
    handed: list[Any] = []

    def judge(value: Any) -> Any:
        handed.append(value)
        return windows_module._judge(value)

    core = meridian_native.WindowCore(
        60_000,
        10_000,
        sketches.LatencySketch.LOG_GAMMA,
        {},
        {1: orjson.dumps(schema).decode()},
        judge,
        sketches.new_users,
        0,
    )
    return core, handed


@pytest.mark.parametrize(
    ("rule", "value", "native"),
    [
        ({"not": {"type": "integer"}}, 1.5, True),
        ({"not": {"type": "integer"}}, 1.0, False),  # draft-07: 1.0 is an integer, so this is invalid
        ({"not": {"enum": [1]}}, 1.0, False),  # 1.0 equals 1 in JSON Schema
        ({"not": {"enum": ["a"]}}, "b", True),
        ({"not": {"pattern": "^\\d$"}}, "a", True),
        ({"not": {"pattern": "^\\d$"}}, "\u0663", False),  # a Unicode digit: regex dialects differ
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 2.0, False),
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, "s", True),
        ({"required": ["a"]}, {"a": 1}, False),  # a nested object's fields are not kept
        ({"required": ["a"]}, 2, True),  # object keywords do not apply to numbers
        ({"minimum": 0}, 2**60, False),  # beyond 2^53 a float comparison could be wrong
    ],
)
def test_the_native_check_says_valid_only_when_it_is_sure(rule: dict[str, Any], value: Any, native: bool) -> None:
    core, handed = native_with(rule)
    core.process(0, variant(x=value))
    assert (not handed) is native


@pytest.mark.parametrize(
    "rule", [{"format": "date-time"}, {"additionalProperties": {"type": "string"}}, {"type": "decimal"}]
)
def test_a_schema_rule_the_native_check_does_not_know_refuses_to_start(rule: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="x|format|additionalProperties|decimal"):
        native_with(rule)
