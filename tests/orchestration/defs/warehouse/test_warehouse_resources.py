"""The warehouse resource picks its engine once; both engines read Arrow and count a window's rows."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from orchestration.defs.warehouse.resources import WarehouseResource
from orchestration.lib import warehouse_engines
from orchestration.lib.warehouse_engines import BigQueryWarehouse, DuckDBWarehouse, Warehouse, WarehouseLockedError

WINDOW = (date(2026, 11, 2), date(2026, 11, 3))
# 50 rows over five days, ten a day
TABLE_SQL = "select date '2026-11-01' + cast(i % 5 as integer) as event_date, i from range(50) r(i)"


def _duckdb_with_gold(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema gold")
    con.execute(f"create table gold.t as {TABLE_SQL}")
    con.close()


def test_the_dbt_target_chooses_the_engine() -> None:
    local = WarehouseResource(duckdb_path="/w.duckdb").warehouse()
    prod = WarehouseResource(target="prod", bq_project="p", bq_location="EU").warehouse()
    assert isinstance(local, Warehouse) and isinstance(prod, Warehouse)
    assert local == DuckDBWarehouse("/w.duckdb") and local.engine == "duckdb"
    assert prod == BigQueryWarehouse("p", "EU", None) and prod.engine == "bigquery"
    assert WarehouseResource(target="emulator").engine == "bigquery"


def test_duckdb_counts_a_window_or_the_whole_table_and_reads_arrow(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _duckdb_with_gold(db)
    warehouse = WarehouseResource(duckdb_path=str(db))
    assert warehouse.row_counts([("gold", "t")]) == {("gold", "t"): 50}
    assert warehouse.row_counts([("gold", "t")], ("2026-11-02", "2026-11-03")) == {("gold", "t"): 20}
    assert warehouse.warehouse().read_arrow("select max(i) as m from gold.t").to_pylist() == [{"m": 49}]
    assert list(warehouse.read_frame("select i from gold.t order by i limit 2")["i"]) == [0, 1]


def test_names_that_are_not_plain_identifiers_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="identifier"):
        DuckDBWarehouse(str(tmp_path / "w.duckdb")).count_rows("gold", "t; drop schema gold")


def _hold_write_lock(path: Path) -> subprocess.Popen[str]:
    """Another process with the file open for writing (as dbt has it during a build), until stdin closes."""
    code = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read()"
    writer = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "locked"
    return writer


def _release(writer: subprocess.Popen[str]) -> None:
    if writer.stdin is not None and not writer.stdin.closed:
        writer.stdin.close()
    writer.wait(timeout=30)


def test_a_duckdb_read_waits_while_a_writer_holds_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "w.duckdb"
    _duckdb_with_gold(db)
    writer = _hold_write_lock(db)
    try:
        with pytest.raises(WarehouseLockedError, match="dbt build"):
            DuckDBWarehouse(str(db), lock_timeout_s=0).count_rows("gold", "t")
        waits: list[float] = []

        def writer_finishes(seconds: float) -> None:  # the first wait is when the build ends
            waits.append(seconds)
            _release(writer)

        clock = SimpleNamespace(monotonic=time.monotonic, sleep=writer_finishes)
        monkeypatch.setattr(warehouse_engines, "time", clock)
        assert DuckDBWarehouse(str(db), lock_timeout_s=60, lock_poll_s=0.5).count_rows("gold", "t", WINDOW) == 20
        assert waits == [0.5]
    finally:
        _release(writer)


@pytest.mark.integration
def test_bigquery_counts_a_window_with_query_parameters(bigquery_endpoint: str) -> None:
    from orchestration.lib.bigquery import bigquery_client

    project = "meridian-test"
    with bigquery_client(project, None, bigquery_endpoint) as client:
        client.query("create schema if not exists gold").result()
        client.query(
            "create or replace table gold.counted as select date_add(date '2026-11-01', interval mod(i, 5) day) "
            "as event_date, i from unnest(generate_array(0, 49)) as i"
        ).result()
    warehouse = WarehouseResource(target="emulator", bq_project=project, bq_endpoint=bigquery_endpoint)
    assert warehouse.row_counts([("gold", "counted")], ("2026-11-02", "2026-11-03")) == {("gold", "counted"): 20}
    assert warehouse.row_counts([("gold", "counted")]) == {("gold", "counted"): 50}
