import io
from datetime import UTC, datetime

import orjson
import pyarrow.parquet as pq

from orchestration.lib.bronze.batch import EVENTS_SCHEMA, QUARANTINE_SCHEMA, RawRecord, build_batch, to_parquet

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
