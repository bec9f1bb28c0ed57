import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.bronze.batch import build_batch, to_parquet
from orchestration.lib.bronze.ranges import OffsetRange, events_path
from orchestration.lib.bronze.reader import RawRecord
from orchestration.lib.lake import LocalLakeStorage
from orchestration.lib.warehouse import (
    BronzeIndexError,
    bronze_glob,
    event_dates_in_bronze,
    read_bronze_index,
    window_vars,
    write_bronze_index,
)


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


def test_a_bronze_index_reads_back_as_written_and_refuses_what_would_misread(tmp_path: Path) -> None:
    index = tmp_path / "runs" / "bronze_index.json"
    files = ["/lake/us/bronze/events/a.parquet", "gs://meridian-eu/replicas/us/bronze/events/b.parquet"]
    write_bronze_index(index, files)
    assert read_bronze_index(index) == files
    assert json.loads(index.read_text()) == {"version": 1, "files": files}
    assert [p.name for p in index.parent.iterdir()] == ["bronze_index.json"]  # no temporary file left
    with pytest.raises(BronzeIndexError, match="no files"):
        write_bronze_index(index, [])
    with pytest.raises(BronzeIndexError, match="more than once"):
        write_bronze_index(index, [files[0], files[0]])
    assert read_bronze_index(index) == files  # a refused write leaves the index as it was
    index.write_text('["a.parquet"]')
    with pytest.raises(BronzeIndexError, match="not a version 1 bronze index"):
        read_bronze_index(index)
    index.write_text('{"version": 1, "files": ["a.parquet", 3]}')
    with pytest.raises(BronzeIndexError, match="entry 1 is 3"):
        read_bronze_index(index)
    with pytest.raises(BronzeIndexError, match="cannot read"):
        read_bronze_index(tmp_path / "missing.json")


def test_event_dates_come_from_exactly_the_listed_files(tmp_path: Path) -> None:
    lake = LocalLakeStorage(tmp_path, "us")
    base = b'{"event_id":"0f8fad5b-d9cb-469f-a165-70867728950e","event_type":"page_view","region":"us",'
    day = {
        2: RawRecord(0, 0, 0, base + b'"user_id":"u","schema_version":1,"occurred_at":"2026-11-02T12:00:00Z"}'),
        3: RawRecord(0, 1, 0, base + b'"user_id":"u","schema_version":1,"occurred_at":"2026-11-03T12:00:00Z"}'),
    }
    for n, rec in day.items():
        lake.write(events_path("t", OffsetRange(0, n, n + 1)), to_parquet(build_batch("t", [rec]).events))
    listed = lake.uri(events_path("t", OffsetRange(0, 3, 4)))
    assert event_dates_in_bronze([listed]) == [date(2026, 11, 3)]  # the other file sits beside it, unread
    assert event_dates_in_bronze(bronze_glob(lake, "t")) == [date(2026, 11, 2), date(2026, 11, 3)]
    assert event_dates_in_bronze([]) == []
    with pytest.raises(duckdb.IOException):
        event_dates_in_bronze([listed, str(tmp_path / "gone.parquet")])
