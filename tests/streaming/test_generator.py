from collections import Counter

from streaming.events.contract import Accepted, Rejected, parse_record
from streaming.generator import MALFORMED_KINDS, TrafficSpec, diurnal_weight, generate


def test_same_seed_same_records_other_seed_other_records() -> None:
    spec = TrafficSpec(count=2000, seed=7)
    assert [r.value for r in generate(spec)] == [r.value for r in generate(spec)]
    assert [r.value for r in generate(TrafficSpec(count=2000, seed=8))] != [r.value for r in generate(spec)]


def test_fractions_and_oracle_match_the_contract() -> None:
    records = list(generate(TrafficSpec(count=20_000, seed=3, duplicates=0.05, late=0.05, malformed=0.05, v2=0.5)))
    kinds = Counter(r.kind for r in records)
    assert 800 < kinds["duplicate"] < 1200
    assert 800 < sum(kinds[k] for k in MALFORMED_KINDS) < 1200
    assert set(MALFORMED_KINDS) <= set(kinds)
    for rec in records:
        outcome = parse_record(rec.value)
        if rec.expected_reason:
            assert isinstance(outcome, Rejected) and outcome.reason == rec.expected_reason, rec
        else:
            assert isinstance(outcome, Accepted), (rec, outcome)
    versions = Counter(parse_record(r.value).event["schema_version"] for r in records if r.kind in ("v2", "event"))
    assert versions[2] > 0.4 * sum(versions.values())


def test_duplicates_repeat_an_earlier_event_exactly() -> None:
    records = list(generate(TrafficSpec(count=5000, seed=1, duplicates=0.1)))
    originals = {r.value for r in records if r.kind != "duplicate"}
    assert all(r.value in originals for r in records if r.kind == "duplicate")


def test_traffic_follows_a_diurnal_curve() -> None:
    from datetime import UTC, datetime

    noon_utc = datetime(2026, 11, 1, 21, tzinfo=UTC)  # 16:00 in the US: peak
    night_utc = datetime(2026, 11, 1, 9, tzinfo=UTC)  # 04:00 in the US: trough
    assert diurnal_weight(noon_utc, "us") > 1.7 > 0.3 > diurnal_weight(night_utc, "us")
    records = list(generate(TrafficSpec(count=20_000, seed=2, duplicates=0, malformed=0, late=0)))
    hours = Counter(
        datetime.fromisoformat(parse_record(r.value).event["occurred_at"]).astimezone(UTC).hour
        for r in records
        if b'"region":"us"' in r.value
    )
    assert hours[21] > 3 * hours[9]
