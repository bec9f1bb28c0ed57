import io
from datetime import UTC, date, datetime, timedelta

import orjson
import pyarrow.parquet as pq

from orchestration.lib.bronze.batch import EVENTS_SCHEMA, QUARANTINE_SCHEMA, build_batch, to_parquet
from orchestration.lib.bronze.reader import RawRecord
from streaming.events.event_time import BEFORE_PARTITIONS, TOO_FAR_IN_FUTURE, EventTimeRules

GOOD = {
    "event_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "event_type": "purchase",
    "occurred_at": "2026-11-26T10:15:00Z",
    "region": "us",
    "user_id": "u-1",
    "amount": 12.5,
    "currency": "USD",
    "schema_version": 2,
    "app_version": "6.0.0",
}


def test_valid_rows_keep_their_kafka_position_and_bad_ones_are_quarantined_with_raw_bytes() -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    records = [
        RawRecord(2, 10, 1_700_000_000_000, orjson.dumps(GOOD)),
        RawRecord(2, 11, 1_700_000_000_001, b"{oops"),
        RawRecord(2, 12, 1_700_000_000_002, orjson.dumps({**GOOD, "region": "mars"})),
    ]
    batch = build_batch("t", records, now)
    assert batch.events.schema == EVENTS_SCHEMA
    assert batch.quarantine.schema == QUARANTINE_SCHEMA
    row = batch.events.to_pylist()[0]
    assert (row["kafka_partition"], row["kafka_offset"], row["amount"], row["app_version"]) == (2, 10, 12.5, "6.0.0")
    assert row["session_id"] is None
    bad = batch.quarantine.to_pylist()
    assert [(b["kafka_offset"], b["reason"], b["raw_value"]) for b in bad] == [
        (11, "invalid_json", b"{oops"),
        (12, "invalid:region", orjson.dumps({**GOOD, "region": "mars"})),
    ]
    assert batch.reasons == {"invalid_json": 1, "invalid:region": 1}


def test_parquet_is_zstd_and_reads_back() -> None:
    batch = build_batch("t", [RawRecord(0, 0, 0, orjson.dumps(GOOD))])
    data = to_parquet(batch.events)
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert pq.read_table(io.BytesIO(data)).equals(batch.events)


def test_events_no_partition_will_read_are_quarantined_against_the_records_kafka_time() -> None:
    """Judged against the record's Kafka timestamp, so landing the range again a week later (a
    retry, a backfill) sorts every record exactly as the first landing did."""
    rules = EventTimeRules(date(2026, 10, 1), timedelta(days=1))
    produced = int(datetime(2026, 11, 26, 12, tzinfo=UTC).timestamp() * 1000)
    records = [
        RawRecord(0, 0, produced, orjson.dumps(GOOD)),
        RawRecord(0, 1, produced, orjson.dumps({**GOOD, "occurred_at": "9999-12-31T00:00:00Z"})),
        RawRecord(0, 2, produced, orjson.dumps({**GOOD, "occurred_at": "0001-01-01T00:00:00Z"})),
        RawRecord(0, 3, produced, orjson.dumps({**GOOD, "occurred_at": "2026-11-27T11:00:00Z"})),  # within a day
    ]
    first = build_batch("t", records, datetime(2026, 11, 26, tzinfo=UTC), rules)
    again = build_batch("t", records, datetime(2026, 12, 30, tzinfo=UTC), rules)
    for batch in (first, again):
        assert batch.events.column("kafka_offset").to_pylist() == [0, 3]
        assert [(q["kafka_offset"], q["reason"]) for q in batch.quarantine.to_pylist()] == [
            (1, TOO_FAR_IN_FUTURE),
            (2, BEFORE_PARTITIONS),
        ]
        assert batch.reasons == {TOO_FAR_IN_FUTURE: 1, BEFORE_PARTITIONS: 1}


def test_edge_provenance_lands_in_bronze_and_is_null_for_events_sent_straight_to_kafka() -> None:
    from_edge = {**GOOD, "received_at": "2026-11-26T10:15:01.250Z", "edge_id": "edge-eu-1", "edge_region": "eu"}
    batch = build_batch("t", [RawRecord(0, 0, 0, orjson.dumps(from_edge)), RawRecord(0, 1, 0, orjson.dumps(GOOD))])
    rows = batch.events.to_pylist()
    assert [(r["received_at"], r["edge_id"], r["edge_region"]) for r in rows] == [
        ("2026-11-26T10:15:01.250Z", "edge-eu-1", "eu"),
        (None, None, None),
    ]


def test_provenance_of_another_type_is_quarantined_not_a_crash_of_the_batch() -> None:
    forged = {**GOOD, "edge_id": 5}
    batch = build_batch("t", [RawRecord(0, 0, 0, orjson.dumps(forged)), RawRecord(0, 1, 0, orjson.dumps(GOOD))])
    assert batch.events.column("kafka_offset").to_pylist() == [1]
    assert batch.reasons == {"invalid:edge_id": 1}


def test_every_row_and_quarantined_record_carries_the_region_that_ingested_it() -> None:
    records = [
        RawRecord(0, 0, 0, orjson.dumps(GOOD)),
        RawRecord(0, 1, 0, b"{oops"),
        RawRecord(0, 2, 0, orjson.dumps(GOOD)),
    ]
    batch = build_batch("t", records, ingest_region="eu")
    assert batch.events.column("ingest_region").to_pylist() == ["eu", "eu"]
    assert batch.quarantine.column("ingest_region").to_pylist() == ["eu"]
    assert EVENTS_SCHEMA.names[-2:] == ["ingested_at", "ingest_region"]  # beside the other landing fields
    assert EVENTS_SCHEMA.field("ingest_region").nullable  # files landed before it existed lack it
    unstamped = build_batch("t", records[:1])
    assert unstamped.events.column("ingest_region").to_pylist() == [None]
