import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from streaming.events.compat import incompatibilities
from streaming.events.contract import SUPPORTED_VERSIONS, Accepted, Rejected, load_schema, parse_record, validate_event


def event(**over: object) -> dict:
    base = {
        "event_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "event_type": "page_view",
        "occurred_at": "2026-11-26T10:15:00.123+01:00",
        "region": "eu",
        "user_id": "u-1",
        "schema_version": 1,
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_a_minimal_event_is_accepted() -> None:
    assert isinstance(validate_event(event()), Accepted)


def test_a_purchase_needs_amount_and_currency() -> None:
    outcome = validate_event(event(event_type="purchase"))
    assert isinstance(outcome, Rejected) and outcome.reason == "missing:amount"
    assert isinstance(validate_event(event(event_type="purchase", amount=3.5, currency="EUR")), Accepted)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "not_an_object"),
        (None, "empty_record"),
        (json.dumps(event(event_id=None)).encode(), "missing:event_id"),
        (json.dumps(event(event_id="not-a-uuid")).encode(), "invalid:event_id"),
        (json.dumps(event(event_type="click")).encode(), "invalid:event_type"),
        (json.dumps(event(region="mars")).encode(), "invalid:region"),
        (json.dumps(event(user_id="")).encode(), "invalid:user_id"),
        (json.dumps(event(occurred_at="2026-11-26 10:15:00")).encode(), "invalid:occurred_at"),
        (json.dumps(event(occurred_at="2026-02-30T10:00:00Z")).encode(), "invalid:occurred_at"),
        (json.dumps(event(country="Germany")).encode(), "invalid:country"),
        (json.dumps(event(device="fridge")).encode(), "invalid:device"),
        (json.dumps(event(latency_ms=-1)).encode(), "invalid:latency_ms"),
        (json.dumps(event(amount=5, currency="EUR")).encode(), "unexpected:amount_or_currency_on_non_purchase"),
        (json.dumps(event(event_type="purchase", amount=-5, currency="EUR")).encode(), "invalid:amount"),
        (json.dumps(event(event_type="purchase", amount=5, currency="euro")).encode(), "invalid:currency"),
        (json.dumps(event(schema_version="1")).encode(), "invalid:schema_version"),
        (json.dumps(event(schema_version=True)).encode(), "invalid:schema_version"),
        (json.dumps(event(schema_version=9)).encode(), "unsupported_schema_version"),
    ],
)
def test_every_broken_rule_has_its_reason_code(raw: bytes | None, reason: str) -> None:
    outcome = parse_record(raw)
    assert isinstance(outcome, Rejected)
    assert outcome.reason == reason
    assert outcome.detail


def test_a_v1_reader_accepts_v2_events_and_a_v2_reader_accepts_v1_events() -> None:
    v2_event = event(schema_version=2, app_version="6.0.0")
    v1_event = event()
    assert isinstance(validate_event(v2_event, reader_version=1), Accepted)
    assert isinstance(validate_event(v1_event, reader_version=2), Accepted)
    assert isinstance(validate_event(v2_event), Accepted)


@pytest.mark.parametrize(("old", "new"), [(a, b) for a in SUPPORTED_VERSIONS for b in SUPPORTED_VERSIONS if a < b])
def test_every_shipped_version_is_compatible_with_every_earlier_one(old: int, new: int) -> None:
    assert incompatibilities(load_schema(old), load_schema(new)) == []


def test_an_incompatible_change_is_detected() -> None:
    v2 = load_schema(2)
    new_required = copy.deepcopy(v2)
    new_required["required"].append("app_version")
    narrowed = copy.deepcopy(v2)
    narrowed["properties"]["region"]["enum"] = ["us", "eu"]
    closed = copy.deepcopy(v2)
    closed["additionalProperties"] = False
    removed = copy.deepcopy(v2)
    del removed["properties"]["session_id"]
    retyped = copy.deepcopy(v2)
    retyped["properties"]["latency_ms"]["type"] = "string"
    for broken in (new_required, narrowed, closed, removed, retyped):
        assert incompatibilities(v2, broken), broken


def test_documentation_changes_are_compatible() -> None:
    v2 = load_schema(2)
    reworded = copy.deepcopy(v2)
    reworded["properties"]["region"]["description"] = "Where the user is."
    assert incompatibilities(v2, reworded) == []


def judged_by_the_schema_file(spec: object) -> Iterator[tuple[dict[str, Any], bool]]:
    """Each generated event that decodes to an object of a known version, and whether the schema
    file (the whole of it, compiled by fastjsonschema) accepts it."""
    import fastjsonschema
    import orjson

    from streaming.generator import generate

    full = {v: fastjsonschema.compile(load_schema(v)) for v in SUPPORTED_VERSIONS}
    for rec in generate(spec):  # type: ignore[arg-type]
        try:
            decoded = orjson.loads(rec.value)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(decoded, dict) or decoded.get("schema_version") not in SUPPORTED_VERSIONS:
            continue
        try:
            full[decoded["schema_version"]](decoded)
            yield decoded, True
        except fastjsonschema.JsonSchemaValueException:
            yield decoded, False


def test_the_fast_path_agrees_with_the_full_schema_file() -> None:
    """Validation checks the schema's if/then/else directly (for speed); the file must say the same."""
    from streaming.generator import TrafficSpec

    for decoded, by_file in judged_by_the_schema_file(TrafficSpec(count=5000, seed=12, malformed=0.2)):
        ours = validate_event(decoded)
        if ours == Rejected("invalid:occurred_at", getattr(ours, "detail", "")):
            continue  # an impossible date (Feb 30) passes the schema's pattern; we check the calendar too
        assert isinstance(ours, Accepted) == by_file, (decoded, ours)


def test_the_rust_validator_and_fastjsonschema_agree_on_every_event() -> None:
    """Valid events are accepted by jsonschema-rs alone; a disagreement would change what is quarantined."""
    from streaming.events.contract import _fast
    from streaming.generator import TrafficSpec

    checked = rejected = 0
    for decoded, by_file in judged_by_the_schema_file(TrafficSpec(count=20_000, seed=13, malformed=0.3, v2=0.5)):
        assert _fast(decoded["schema_version"]).is_valid(decoded) == by_file, decoded
        checked, rejected = checked + 1, rejected + (not by_file)
    assert checked > 15_000 and rejected > 1_000
