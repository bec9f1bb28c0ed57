from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from orchestration.lib.bronze.batch import build_batch, to_parquet
from orchestration.lib.bronze.ranges import OffsetRange, events_path
from orchestration.lib.bronze.reader import RawRecord
from orchestration.lib.lake import LocalLakeStorage
from orchestration.lib.warehouse import bronze_glob, event_dates_in_bronze, window_vars


def test_a_partition_window_becomes_inclusive_dates() -> None:
    start, end = datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 6, tzinfo=UTC)
    assert window_vars(start, end) == {"min_date": "2026-11-03", "max_date": "2026-11-05"}
    with pytest.raises(ValueError, match="empty"):
        window_vars(end, end)


def test_event_dates_come_from_bronze_in_utc(tmp_path: Path) -> None:
    lake = LocalLakeStorage(tmp_path, "us")
    assert event_dates_in_bronze(bronze_glob(lake, "t")) == []
    base = b'{"event_id":"0f8fad5b-d9cb-469f-a165-70867728950e","event_type":"page_view","region":"us",'
    records = [
        RawRecord(0, 0, 0, base + b'"user_id":"u","schema_version":1,"occurred_at":"2026-11-02T01:00:00+03:00"}'),
        RawRecord(0, 1, 0, base + b'"user_id":"u","schema_version":1,"occurred_at":"2026-11-03T12:00:00Z"}'),
    ]
    lake.write(events_path("t", OffsetRange(0, 0, 2)), to_parquet(build_batch("t", records).events))
    assert event_dates_in_bronze(bronze_glob(lake, "t")) == [date(2026, 11, 1), date(2026, 11, 3)]
