"""The warehouse dbt builds, behind one interface: a DuckDB file locally, BigQuery in dev/prod.

Callers read query results as Arrow (``read_arrow``) and count a table's rows (``count_rows``); which
engine answers is chosen once, by ``WarehouseResource.warehouse`` from the dbt target. What differs
between the engines stays here: how to connect, how identifiers are quoted, how parameters are
bound, and DuckDB's single writer (a read waits while a dbt build holds the file).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pyarrow as pa

Window = tuple[date, date]
"""An inclusive ``event_date`` range: the partitions one run wrote."""

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class WarehouseLockedError(RuntimeError):
    """The DuckDB file stayed locked by a writer (a dbt build) for longer than a reader waits."""


@runtime_checkable
class Warehouse(Protocol):
    engine: ClassVar[str]
    """``duckdb`` or ``bigquery``: the dialect of SQL handed to ``read_arrow``."""

    def read_arrow(self, sql: str) -> pa.Table:
        """A query's rows, as Arrow (``orchestration.lib.frames`` turns them into pandas)."""
        ...

    def count_rows(self, schema: str, table: str, window: Window | None = None) -> int:
        """Rows of ``schema.table``, or of its ``event_date`` window when given."""
        ...


def _identifier(name: str) -> str:
    """Relation names come from our asset keys; refuse anything that would need quoting to be safe."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a plain SQL identifier (letters, digits, underscores)")
    return name


def _is_lock_conflict(error: Exception) -> bool:
    return "could not set lock" in str(error).lower()


@dataclass(frozen=True)
class DuckDBWarehouse:
    """A DuckDB file, opened read-only for each read and closed straight after.

    DuckDB lets one process write a file and no other process open it meanwhile; while a dbt build
    writes, a read waits (polling every ``lock_poll_s``) up to ``lock_timeout_s``, then raises.
    """

    path: str
    lock_timeout_s: float = 120.0
    lock_poll_s: float = 1.0
    engine: ClassVar[str] = "duckdb"

    def _connect(self) -> Any:
        import duckdb

        deadline = time.monotonic() + self.lock_timeout_s
        while True:
            try:
                return duckdb.connect(self.path, read_only=True)
            except duckdb.IOException as error:
                if not _is_lock_conflict(error):
                    raise
                if time.monotonic() >= deadline:
                    raise WarehouseLockedError(
                        f"{self.path} stayed locked by a writer for {self.lock_timeout_s:g}s (a dbt build still "
                        f"running?); retry once it has finished. DuckDB said: {error}"
                    ) from error
            time.sleep(self.lock_poll_s)

    def _query(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        con = self._connect()
        try:
            return con.sql(sql, params=params or []).to_arrow_table()
        finally:
            con.close()

    def read_arrow(self, sql: str) -> pa.Table:
        return self._query(sql)

    def count_rows(self, schema: str, table: str, window: Window | None = None) -> int:
        sql = f'select count(*) as n from "{_identifier(schema)}"."{_identifier(table)}"'  # noqa: S608 - checked names
        params: list[Any] = []
        if window is not None:
            sql += " where event_date between ? and ?"
            params = list(window)
        return int(self._query(sql, params).column(0)[0].as_py())


@dataclass(frozen=True)
class BigQueryWarehouse:
    """BigQuery through the client library; ``endpoint`` only for emulators (no credentials are sent)."""

    project: str
    location: str | None = None
    endpoint: str | None = None
    engine: ClassVar[str] = "bigquery"

    def _query(self, sql: str, parameters: list[Any] | None = None) -> pa.Table:
        from google.cloud import bigquery

        from orchestration.lib.bigquery import bigquery_client

        config = bigquery.QueryJobConfig(query_parameters=parameters or [])
        with bigquery_client(self.project, self.location, self.endpoint) as client:
            return client.query(sql, job_config=config).result().to_arrow(create_bqstorage_client=False)

    def read_arrow(self, sql: str) -> pa.Table:
        return self._query(sql)

    def count_rows(self, schema: str, table: str, window: Window | None = None) -> int:
        from google.cloud import bigquery

        sql = f"select count(*) as n from `{_identifier(schema)}.{_identifier(table)}`"  # noqa: S608 - checked names
        parameters: list[Any] = []
        if window is not None:
            sql += " where event_date between @first_date and @last_date"
            parameters = [
                bigquery.ScalarQueryParameter("first_date", "DATE", window[0]),
                bigquery.ScalarQueryParameter("last_date", "DATE", window[1]),
            ]
        return int(self._query(sql, parameters).column(0)[0].as_py())
