"""Gold older than the freshness window fails ``gold_fresh``; fresh gold passes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.quality.checks import gold_fresh
from orchestration.defs.quality.resources import QualityResource
from orchestration.defs.warehouse.resources import WarehouseResource


def test_staleness_is_a_check_failure(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    latest = (datetime.now(UTC) - timedelta(hours=5)).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    con = duckdb.connect(str(db))
    con.execute("create schema gold")
    con.execute("create table gold.fct_region_hourly_metrics as select ?::timestamp as event_hour", [latest])
    con.close()
    warehouse = WarehouseResource(duckdb_path=str(db))

    stale = gold_fresh(warehouse=warehouse, quality=QualityResource(freshness_hours=4))
    fresh = gold_fresh(warehouse=warehouse, quality=QualityResource(freshness_hours=7))

    assert isinstance(stale, dg.AssetCheckResult) and isinstance(fresh, dg.AssetCheckResult)
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.ERROR
    assert str(latest) in str(stale.metadata["observed"])
    assert fresh.passed
