"""The global build: silver and gold from two regions' bronze, read through a bronze index.

Two regions land the same generated traffic in part (a client that failed over sends an event to
both): the aggregation region (eu) reads its own files and us's replica files, exactly as the index
lists them, with real ``dbt build`` on DuckDB. A replica file no manifest verified sits next to the
listed ones, and the glob var points at every file, so reading anything but the index shows.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from orchestration.defs.warehouse.project import DBT_PROJECT_DIR
from orchestration.lib.bronze.batch import build_batch, to_parquet
from orchestration.lib.bronze.ranges import OffsetRange, events_path
from orchestration.lib.bronze.reader import RawRecord
from orchestration.lib.lake import LocalLakeStorage
from orchestration.lib.warehouse import event_dates_in_bronze, read_bronze_index, write_bronze_index
from streaming.events.lake import contract_fields
from streaming.generator import TrafficSpec, generate
from tests.dbt_project.dbt_cli import run_dbt

pytestmark = pytest.mark.integration

TOPIC = "events.raw.v1"
SPEC = TrafficSpec(
    count=900, seed=57, start=datetime(2026, 11, 5, tzinfo=UTC), days=2, duplicates=0, late=0, malformed=0
)
KAFKA_TIME = 1_796_000_000_000


def occurred(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")).astimezone(UTC)


def received(event: dict[str, Any], seconds: float) -> dict[str, Any]:
    """``event`` as an edge of its region took it ``seconds`` after it occurred."""
    stamp = (occurred(event) + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")
    return {**event, "received_at": stamp.replace("+00:00", "Z"), "edge_id": "edge-1", "edge_region": event["region"]}


def bronze_file(storage: LocalLakeStorage, key: str, events: list[dict[str, Any]], region: str) -> str:
    """One range file of ``events`` as the real landing builds it, stamped with its ingesting region."""
    raw = [RawRecord(0, offset, KAFKA_TIME, orjson.dumps(e)) for offset, e in enumerate(events)]
    batch = build_batch(TOPIC, raw, datetime(2026, 11, 8, tzinfo=UTC), ingest_region=region)
    assert batch.quarantined == 0
    storage.write(key, to_parquet(batch.events))
    return storage.uri(key)


def test_two_regions_bronze_read_through_an_index_gives_each_event_once(tmp_path: Path) -> None:
    events = [orjson.loads(r.value) for r in generate(SPEC)]
    assert len({e["event_id"] for e in events}) == len(events)
    only_us, both, only_eu = events[:300], events[300:600], events[600:]
    # of the events both regions ingested: eu's edge received a third first; the rest at the same
    # instant in both (us wins: it ranks first in region_order); a few carry another amount in eu
    eu_first = {e["event_id"] for e in both[::3]}
    conflicting = [e for e in both if e.get("amount") is not None][:12]
    assert len(conflicting) == 12
    changed = {e["event_id"]: round(e["amount"] + 1.25, 2) for e in conflicting}
    us_copies = [received(e, 2.0 if e["event_id"] in eu_first else 1.0) for e in only_us + both]
    eu_copies = [
        received({**e, "amount": changed[e["event_id"]]} if e["event_id"] in changed else e, 1.0)
        for e in both + only_eu
    ]

    eu = LocalLakeStorage(tmp_path / "lake", "eu")  # the aggregation region's store
    own = bronze_file(eu, events_path(TOPIC, OffsetRange(0, 0, len(eu_copies))), eu_copies, "eu")
    replica_key = f"replicas/us/{events_path(TOPIC, OffsetRange(0, 0, len(us_copies)))}"
    replica = bronze_file(eu, replica_key, us_copies, "us")
    # a us range whose manifest did not verify: beside the replica, earlier copies and events of its own
    stray_only = [orjson.loads(r.value) for r in generate(replace(SPEC, count=50, seed=58))]
    stray_events = [received(e, 0.001) for e in both[:50]] + [received(e, 1.0) for e in stray_only]
    stray_key = f"replicas/us/{events_path(TOPIC, OffsetRange(0, len(us_copies), len(us_copies) + 100))}"
    stray = bronze_file(eu, stray_key, stray_events, "apac")
    assert Path(stray).parent == Path(replica).parent

    index = tmp_path / "bronze_index.json"
    write_bronze_index(index, [own, replica])
    dbt_vars = {
        "bronze_events_index": str(index),
        # the glob takes every file, the stray one too: the index must win over it
        "bronze_events_glob": str(tmp_path / "lake" / "eu" / "**" / "*.parquet"),
    }
    run = run_dbt(tmp_path, "build", dbt_vars=dbt_vars)  # seeds, models, data and unit tests
    assert run.returncode == 0, run.stdout[-4000:]

    compiled = tmp_path / "target" / "run" / "meridian" / "models" / "staging" / "bronze" / "stg_events.sql"
    assert f"read_parquet(['{own}', '{replica}'], union_by_name = true)" in compiled.read_text()
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    conflict_test = next(r for r in results if r["unique_id"].startswith("test.meridian.has_no_rows_stg_event"))
    assert (conflict_test["status"], conflict_test["failures"]) == ("warn", len(conflicting))
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 8 and all(r["status"] == "pass" for r in unit_tests)  # given rows, not the index

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        silver = con.execute("select event_id, ingest_region, amount, received_at from silver.stg_events").fetchall()
        gold = dict(con.execute("select event_id, ingest_region from gold.fct_events").fetchall())
        conflicts = con.execute(
            "select event_id, event_date, variants, copies, ingest_regions, differing_fields, "
            "first_version, second_version from silver.stg_event_conflicts"
        ).fetchall()

    kept = {row[0]: row for row in silver}
    assert len(kept) == len(silver) == len(events)  # every event once, none of the stray file's own
    assert kept.keys() == {e["event_id"] for e in events}
    assert not kept.keys() & {e["event_id"] for e in stray_only}
    winner = {e["event_id"]: "us" for e in only_us} | {e["event_id"]: "eu" for e in only_eu}
    winner |= {e["event_id"]: "eu" if e["event_id"] in eu_first else "us" for e in both}
    assert {event_id: row[1] for event_id, row in kept.items()} == winner  # not apac: the stray was not read
    assert gold == winner
    # a conflict is reported, never resolved: silver keeps the winner's amount all the same
    amounts = {e["event_id"]: (e["amount"], changed[e["event_id"]]) for e in conflicting}  # (us, eu)
    kept_amount = {i: eu_amount if i in eu_first else us_amount for i, (us_amount, eu_amount) in amounts.items()}
    assert {i: kept[i][2] for i in changed} == kept_amount

    assert {row[0] for row in conflicts} == changed.keys()
    for event_id, event_date, variants, copies, regions, fields, first, second in conflicts:
        day = occurred(next(e for e in conflicting if e["event_id"] == event_id)).date()
        assert (event_date, variants, copies, regions, fields) == (day, 2, 2, "eu,us", "amount")
        versions = (json.loads(first), json.loads(second))
        assert {versions[0]["amount"], versions[1]["amount"]} == set(amounts[event_id])
        assert versions[0]["amount"] == kept_amount[event_id]  # version 1 is the one silver kept
        assert versions[0].keys() == set(contract_fields()) - {"event_id"}

    assert event_dates_in_bronze(read_bronze_index(index)) == sorted({occurred(e).date() for e in events})


def test_the_content_compared_for_conflicts_is_every_contract_field_but_the_id() -> None:
    macro = (DBT_PROJECT_DIR / "macros" / "event_content.sql").read_text()
    listed = re.search(r"macro event_content_columns\(\).*?return\(\[(.*?)\]\)", macro, re.S)
    assert listed is not None
    assert re.findall(r"'(\w+)'", listed.group(1)) == [f for f in contract_fields() if f != "event_id"]
