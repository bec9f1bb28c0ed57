"""Incremental tables built before a model gained columns take them on the next incremental run.

Silver and gold in production were built before the edge's provenance columns existed. Rebuilding a
day on top of them must add the columns (on_schema_change: append_new_columns) instead of failing
the run, fill them for the days it rebuilds, and leave every other day's rows in place.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.bronze.batch import build_batch, to_parquet
from orchestration.lib.bronze.reader import RawRecord
from streaming.generator import TrafficSpec, generate
from tests.dbt_project.dbt_cli import run_dbt
from tests.dbt_project.oracle import expected_gold
from tests.dbt_project.provenance import through_edges

pytestmark = pytest.mark.integration

NEW_COLUMNS = ("received_at", "edge_id", "edge_region")
TABLES = ("silver.stg_events", "gold.fct_events")
REBUILT = date(2026, 11, 4)
# The tables as built before the columns existed.
DROP_NEW_COLUMNS = """
alter table silver.stg_events drop column received_at;
alter table silver.stg_events drop column edge_id;
alter table silver.stg_events drop column edge_region;
alter table gold.fct_events drop column received_at;
alter table gold.fct_events drop column edge_id;
alter table gold.fct_events drop column edge_region;
"""
ROWS = {
    "silver.stg_events": "select event_id, event_date, received_at, edge_id, edge_region from silver.stg_events",
    "gold.fct_events": "select event_id, event_date, received_at, edge_id, edge_region from gold.fct_events",
}


def dbt(tmp_path: Path, *args: str, dbt_vars: dict[str, str]) -> None:
    run = run_dbt(tmp_path, *args, dbt_vars=dbt_vars)
    assert run.returncode == 0, run.stdout[-3000:]


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, name = table.split(".")
    sql = "select column_name from information_schema.columns where table_schema = ? and table_name = ?"
    return [row[0] for row in con.execute(sql, [schema, name]).fetchall()]


def test_an_incremental_run_adds_new_columns_to_tables_built_without_them(tmp_path: Path) -> None:
    spec = TrafficSpec(count=1_500, seed=41, start=datetime(2026, 11, 3, tzinfo=UTC), days=2, late=0, malformed=0)
    records = through_edges(list(generate(spec)))
    raw = [RawRecord(0, offset, 1_796_000_000_000, r.value) for offset, r in enumerate(records)]
    (tmp_path / "bronze" / "p0").mkdir(parents=True)
    (tmp_path / "bronze" / "p0" / "0.parquet").write_bytes(to_parquet(build_batch("events", raw).events))
    glob = {"bronze_events_glob": str(tmp_path / "bronze" / "*" / "*.parquet")}
    select = ["--select", "fx_rates", "stg_events", "fct_events"]

    dbt(tmp_path, "build", *select, "--resource-type", "seed", "--resource-type", "model", dbt_vars=glob)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(DROP_NEW_COLUMNS)
        assert not any(set(NEW_COLUMNS) & set(columns(con, table)) for table in TABLES)

    day = REBUILT.isoformat()
    dbt(tmp_path, "run", "--select", "stg_events", "fct_events", dbt_vars={**glob, "min_date": day, "max_date": day})

    expected = expected_gold(records)["fct_events"]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        for table in TABLES:
            assert set(NEW_COLUMNS) <= set(columns(con, table)), table
            rows = con.execute(ROWS[table]).fetchall()
            assert len(rows) == len(expected), table  # every day's rows are still there
            for event_id, event_date, *provenance in rows:
                want = expected[event_id]
                if event_date == REBUILT:
                    assert tuple(provenance) == (want["received_at"], want.get("edge_id"), want.get("edge_region"))
                else:  # a day no run has covered since: null until one does
                    assert provenance == [None, None, None], (table, event_id)
            rebuilt = [r for r in rows if r[1] == REBUILT]
            assert rebuilt and any(r[2] is not None for r in rebuilt) and len(rebuilt) < len(rows)
