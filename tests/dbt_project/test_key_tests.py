"""Null keys and duplicate ids that escaped dedup are caught by dbt's tests on silver, at ERROR.

These are the defects the GX suites deliberately do not repeat (see quality/suites/silver_events.py),
so this test injects them into a hand-made silver table and runs the real ``dbt test``.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.dbt_project.dbt_cli import run_dbt

pytestmark = pytest.mark.integration

ROWS = [
    ("e1", "page_view", "us", "u1", "web"),
    ("e2", "purchase", "eu", "u2", "ios"),
    ("e2", "purchase", "eu", "u2", "ios"),  # a duplicate that escaped dedup
    (None, "error", "apac", "u3", "android"),  # a null key
]


def test_null_keys_and_duplicate_ids_fail_dbt_tests_at_error_severity(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema silver; create schema gold")
    con.execute("create table gold.dim_regions as select * from (values ('us'), ('eu'), ('apac')) t(region)")
    con.execute(
        "create table silver.stg_events (event_id varchar, event_type varchar, region varchar, user_id varchar, "
        "device varchar, occurred_at timestamp default timestamp '2026-11-02 10:00', "
        "event_date date default date '2026-11-02')"
    )
    con.executemany(
        "insert into silver.stg_events (event_id, event_type, region, user_id, device) values (?, ?, ?, ?, ?)", ROWS
    )
    con.close()

    target = tmp_path / "target"
    run = run_dbt(tmp_path, "test", "--select", "stg_events", "--exclude", "test_type:unit")

    assert run.returncode == 1, run.stdout[-3000:]  # dbt exits 1 when a test fails
    results = json.loads((target / "run_results.json").read_text())["results"]
    status = {r["unique_id"].split(".")[2]: r["status"] for r in results}
    failing = {name: s for name, s in status.items() if s != "pass"}
    assert failing == {"not_null_stg_events_event_id": "fail", "unique_stg_events_event_id": "fail"}  # fail = error
    assert len(status) > 5  # the other silver tests ran and passed on the same rows
