"""Pure helpers of the BigQuery raw load: the table's schema, what is left to load, rows as loaded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from orchestration.lib.bigquery import (
    SOURCE_COLUMN,
    RawEventsTable,
    files_to_load,
    lake_file_rows,
    raw_arrow_schema,
    raw_rows,
    raw_table_schema,
)
from orchestration.lib.bronze.batch import EVENTS_SCHEMA, to_parquet
from orchestration.lib.lake import LocalLakeStorage


def test_the_raw_table_has_every_bronze_column_in_order_plus_its_source_file() -> None:
    schema = raw_table_schema()
    assert [name for name, _, _ in schema] == [*EVENTS_SCHEMA.names, SOURCE_COLUMN]
    kinds = {name: (kind, mode) for name, kind, mode in schema}
    assert kinds["kafka_partition"] == ("INT64", "REQUIRED")  # int32 in Parquet, one integer type in BigQuery
    assert kinds["ingested_at"] == ("TIMESTAMP", "REQUIRED")
    assert kinds["latency_ms"] == ("FLOAT64", "NULLABLE")
    assert kinds["ingest_region"] == ("STRING", "NULLABLE")  # added to a table made before it by ensure()
    assert kinds[SOURCE_COLUMN] == ("STRING", "REQUIRED")


def test_only_files_missing_from_the_table_are_loaded() -> None:
    assert files_to_load(["b", "a", "c"], {"b", "stale"}) == ["a", "c"]
    assert files_to_load(["a"], ["a"]) == []


def test_rows_as_loaded_carry_their_file_and_the_raw_schema(tmp_path: Path) -> None:
    storage = LocalLakeStorage(tmp_path, "us")
    row = {name: None for name in EVENTS_SCHEMA.names}
    row.update(
        event_id="e1", kafka_topic="t", kafka_partition=3, kafka_offset=7, ingested_at=datetime(2026, 11, 1, tzinfo=UTC)
    )
    table = pa.Table.from_pylist([row, {**row, "event_id": "e2", "kafka_offset": 8}], schema=EVENTS_SCHEMA)
    storage.write("bronze/events/f.parquet", to_parquet(table))

    rows = raw_rows(storage, "bronze/events/f.parquet")

    assert rows.schema == raw_arrow_schema()
    assert rows.column(SOURCE_COLUMN).to_pylist() == ["bronze/events/f.parquet"] * 2
    assert rows.column("kafka_offset").to_pylist() == [7, 8]
    assert lake_file_rows(storage, "bronze/events/f.parquet") == 2


def test_a_file_landed_before_the_provenance_columns_loads_with_them_as_nulls(tmp_path: Path) -> None:
    storage = LocalLakeStorage(tmp_path, "us")
    later = ("received_at", "edge_id", "edge_region", "ingest_region")
    old_schema = pa.schema([f for f in EVENTS_SCHEMA if f.name not in later])
    row = {name: None for name in old_schema.names}
    row.update(
        event_id="e1", kafka_topic="t", kafka_partition=0, kafka_offset=1, ingested_at=datetime(2026, 11, 1, tzinfo=UTC)
    )
    storage.write("bronze/events/old.parquet", to_parquet(pa.Table.from_pylist([row], schema=old_schema)))

    rows = raw_rows(storage, "bronze/events/old.parquet")

    assert rows.schema == raw_arrow_schema()
    assert rows.column("edge_id").to_pylist() == [None] and rows.column("event_id").to_pylist() == ["e1"]
    assert rows.column("ingest_region").to_pylist() == [None]


class TableMadeBeforeIngestRegion:
    """A client whose raw table exists already, from before bronze had ``ingest_region``."""

    def __init__(self) -> None:
        self.updated: list[Any] = []

    def create_dataset(self, dataset: Any, exists_ok: bool) -> None:
        pass

    def create_table(self, table: Any, exists_ok: bool) -> Any:
        table.schema = [f for f in table.schema if f.name != "ingest_region"]
        return table

    def update_table(self, table: Any, fields: list[str]) -> None:
        self.updated.append((table, fields))


def test_ensure_adds_the_ingest_region_column_to_a_table_made_before_it() -> None:
    client = TableMadeBeforeIngestRegion()

    RawEventsTable(client, "p.raw.events").ensure()  # type: ignore[arg-type]

    [(table, fields)] = client.updated
    assert fields == ["schema"]
    assert [(f.name, f.field_type, f.mode) for f in table.schema][-1] == ("ingest_region", "STRING", "NULLABLE")
