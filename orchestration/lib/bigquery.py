"""Bronze in BigQuery: a raw table fed from the lake's Parquet range files, each file loaded once.

The lake stays the ledger. Every row in the raw table carries ``bronze_file``, the lake path it came
from, so "which files are in BigQuery" is one query on the table itself, and a load job (atomic in
BigQuery: all of its rows or none) is the only thing that adds rows. Re-running after a crash
loads exactly the files still missing; nothing is appended twice as long as one load runs at a time
(the Dagster job shares the bronze lane's concurrency limit of one).

Files are loaded as Parquet, not streamed row by row: load jobs are free in BigQuery, keep types
exact, and are atomic. Local Parquet goes up through a resumable upload, which BigQuery emulators
also serve. Pure helpers here; the Dagster asset is ``orchestration/defs/bronze/bigquery.py``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.bronze.batch import EVENTS_SCHEMA, to_parquet
from orchestration.lib.lake import LakeStorage

if TYPE_CHECKING:
    from google.cloud import bigquery

SOURCE_COLUMN = "bronze_file"
# BigQuery has one integer type; widening here keeps a Parquet load's types identical to the table's.
_BQ_TYPES = {
    pa.string(): "STRING",
    pa.float64(): "FLOAT64",
    pa.int32(): "INT64",
    pa.int64(): "INT64",
}


def _bq_type(dtype: pa.DataType) -> str:
    if pa.types.is_timestamp(dtype):
        return "TIMESTAMP"
    try:
        return _BQ_TYPES[dtype]
    except KeyError:
        raise TypeError(f"no BigQuery type for bronze column type {dtype}") from None


def raw_arrow_schema() -> pa.Schema:
    """Bronze's Arrow schema as loaded: integers widened to int64, plus the source file column."""
    fields = [
        pa.field(f.name, pa.int64(), nullable=f.nullable) if pa.types.is_integer(f.type) else f for f in EVENTS_SCHEMA
    ]
    return pa.schema([*fields, pa.field(SOURCE_COLUMN, pa.string(), nullable=False)])


def raw_table_schema() -> list[tuple[str, str, str]]:
    """(name, BigQuery type, mode) of the raw table, in column order."""
    return [(f.name, _bq_type(f.type), "NULLABLE" if f.nullable else "REQUIRED") for f in raw_arrow_schema()]


def files_to_load(landed: Iterable[str], loaded: Iterable[str]) -> list[str]:
    """Landed bronze files not yet in the raw table, in a stable order."""
    return sorted(set(landed) - set(loaded))


def raw_rows(storage: LakeStorage, path: str) -> pa.Table:
    """One bronze file's rows shaped as the raw table: same columns, same order, plus their source."""
    table = pq.read_table(io.BytesIO(storage.read(path)))
    schema = raw_arrow_schema()
    for f in schema:  # a file landed before a column existed (the edge's provenance) has it as nulls
        if f.name not in table.column_names and f.nullable:
            table = table.append_column(f.name, pa.nulls(table.num_rows, f.type))
    table = table.append_column(SOURCE_COLUMN, pa.array([path] * table.num_rows, pa.string()))
    return table.select(schema.names).cast(schema)


def lake_file_rows(storage: LakeStorage, path: str) -> int:
    """Rows in one bronze file, from its Parquet footer."""
    return int(pq.ParquetFile(io.BytesIO(storage.read(path))).metadata.num_rows)


@dataclass(frozen=True)
class LoadReport:
    files: int
    rows: int
    jobs: int
    already_loaded: int


class RawEventsTable:
    """The raw events table in BigQuery, behind the handful of calls the loader needs."""

    def __init__(self, client: bigquery.Client, table_id: str, location: str | None = None) -> None:
        self.client = client
        self.table_id = table_id
        self.location = location

    def ensure(self) -> None:
        from google.cloud import bigquery

        project, dataset, _ = self.table_id.split(".")
        ds = bigquery.Dataset(f"{project}.{dataset}")
        if self.location:
            ds.location = self.location
        self.client.create_dataset(ds, exists_ok=True)
        schema = [bigquery.SchemaField(name, kind, mode=mode) for name, kind, mode in raw_table_schema()]
        table = self.client.create_table(bigquery.Table(self.table_id, schema=schema), exists_ok=True)
        known = {f.name for f in table.schema}
        added = [f for f in schema if f.name not in known and f.mode == "NULLABLE"]
        if added:  # a table made before bronze gained columns: add them (nullable), as dbt's append_new_columns does
            table.schema = [*table.schema, *added]
            self.client.update_table(table, ["schema"])

    def rows_per_file(self) -> dict[str, int]:
        sql = f"select {SOURCE_COLUMN} as f, count(*) as n from `{self.table_id}` group by 1"  # noqa: S608 - our id
        return {row["f"]: int(row["n"]) for row in self.client.query(sql, location=self.location).result()}

    def loaded_files(self) -> set[str]:
        return set(self.rows_per_file())

    def append(self, table: pa.Table) -> None:
        """One load job, atomic: all of these rows land or none do."""
        from google.cloud import bigquery

        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET,
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
        )
        job = self.client.load_table_from_file(
            io.BytesIO(to_parquet(table)), self.table_id, job_config=config, rewind=True, location=self.location
        )
        job.result()

    def count_rows(self) -> int:
        sql = f"select count(*) as n from `{self.table_id}`"  # noqa: S608 - our own table id
        return int(next(iter(self.client.query(sql, location=self.location).result()))["n"])


def load_bronze(
    raw: RawEventsTable, storage: LakeStorage, landed: Iterable[str], max_rows_per_job: int = 1_000_000
) -> LoadReport:
    """Load every landed bronze file the raw table does not have yet, in jobs of bounded size."""
    raw.ensure()
    landed = list(landed)
    pending = files_to_load(landed, raw.loaded_files())
    jobs = rows = 0
    batch: list[pa.Table] = []

    def flush() -> None:
        nonlocal jobs, rows, batch
        combined = pa.concat_tables(batch)
        raw.append(combined)
        jobs, rows, batch = jobs + 1, rows + combined.num_rows, []

    for path in pending:
        table = raw_rows(storage, path)
        if batch and sum(t.num_rows for t in batch) + table.num_rows > max_rows_per_job:
            flush()
        batch.append(table)
    if batch:
        flush()
    return LoadReport(files=len(pending), rows=rows, jobs=jobs, already_loaded=len(landed) - len(pending))


def bigquery_client(project: str, location: str | None = None, api_endpoint: str | None = None) -> Any:
    """A BigQuery client; with ``api_endpoint`` (an emulator) it sends no credentials anywhere."""
    from google.cloud import bigquery

    if not api_endpoint:
        return bigquery.Client(project=project, location=location)
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials

    return bigquery.Client(
        project=project,
        location=location,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options=ClientOptions(api_endpoint=api_endpoint),
    )
