"""An event posted to the edge reaches bronze, silver and gold with where and when the edge took it;
events no daily partition would read are refused by the edge and quarantined by bronze, with reasons.

Real edge (in process, real HTTP), real broker, the real bronze job and dbt build on DuckDB, and the
runs recorded in a Dagster instance on PostgreSQL (Debian's server, started for the session), as in
production: every run, materialization and check is read back from PostgreSQL's own tables.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import orjson
import pytest
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from orchestration.defs.bronze.assets import BRONZE_EVENTS
from orchestration.defs.warehouse.project import model_key
from orchestration.lib.dagster_instance import POSTGRES_URL_ENV
from orchestration.lib.local_postgres import LocalPostgres
from orchestration.runner import run_pending
from orchestration.settings import PlatformSettings
from streaming.edge.client import EdgeClient, PostReport
from streaming.events.event_time import BEFORE_PARTITIONS, TOO_FAR_IN_FUTURE
from tests.helpers import produce_and_place, query_warehouse, read_layer
from tests.postgres import fresh_database, postgres_dagster_home, sql_rows
from tests.streaming.edge.edge_helpers import KEY, InProcessEdge, edge_settings, metric, wait_for

pytestmark = pytest.mark.integration

GOLD_EVENTS = model_key("fct_events")


def _event(occurred_at: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "page_view",
        "occurred_at": occurred_at,
        "region": "eu",
        "user_id": f"u-{uuid.uuid4().hex[:6]}",
        "schema_version": 1,
        **extra,
    }


def test_edge_provenance_reaches_gold_and_unplaceable_times_are_refused_then_quarantined(
    settings: PlatformSettings,
    tmp_path: Path,
    postgres_server: LocalPostgres,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    libpq_url, instance_url = fresh_database(postgres_server)
    home = postgres_dagster_home(tmp_path / "dagster")
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # run_pending records in the instance DAGSTER_HOME names
    monkeypatch.setenv(POSTGRES_URL_ENV, instance_url)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    posted = [
        _event(yesterday.isoformat().replace("+00:00", "Z")) for _ in range(60)
    ]  # 2 of 63 stay under 5% quarantined
    future, ancient = _event("9999-12-31T00:00:00Z"), _event("2001-01-01T00:00:00+02:00")

    edge = InProcessEdge(edge_settings(settings, tmp_path / "buffer", id="edge-eu-1", region="eu"))
    try:
        client, report = EdgeClient(edge.url, KEY), PostReport()
        answer = client.send([orjson.dumps(e) for e in [*posted, future, ancient]], report)
        client.close()
        assert report.accepted == 60
        assert [(e["index"], e["reason"]) for e in answer["errors"]] == [
            (60, TOO_FAR_IN_FUTURE),
            (61, BEFORE_PARTITIONS),
        ]
        forwarded = "meridian_edge_events_forwarded_total"
        wait_for(lambda: metric(httpx.get(edge.url + "/metrics").text, forwarded) == 60, 60, "forwarding to Kafka")
    finally:
        edge.stop()

    # the same two, and one good event, produced straight to Kafka (no edge in front to refuse them)
    direct = _event(yesterday.isoformat())
    produce_and_place(
        settings.kafka.bootstrap_servers,
        settings.kafka.events_topic,
        [_Record(orjson.dumps(e)) for e in (future, ancient, direct)],  # type: ignore[list-item]
    )

    summary = run_pending(settings)
    assert summary.success, summary.render()
    assert_recorded_in_postgres(libpq_url, home)
    assert summary.quarantined == {TOO_FAR_IN_FUTURE: 1, BEFORE_PARTITIONS: 1}
    quarantine = read_layer(settings.lake.root, "us", "quarantine", settings.kafka.events_topic).to_pylist()
    assert sorted(q["reason"] for q in quarantine) == sorted([TOO_FAR_IN_FUTURE, BEFORE_PARTITIONS])
    assert all("MERIDIAN_" in q["detail"] for q in quarantine)

    bronze = {
        r["event_id"]: r
        for r in read_layer(settings.lake.root, "us", "events", settings.kafka.events_topic).to_pylist()
    }
    assert set(bronze) == {e["event_id"] for e in [*posted, direct]}
    sql = "select event_id, received_at, edge_id, edge_region from {} where event_id in ({})"
    ids = ", ".join(f"'{e['event_id']}'" for e in [*posted, direct])
    for table in ("silver.stg_events", "gold.fct_events"):
        rows = {r[0]: r[1:] for r in query_warehouse(settings, sql.format(table, ids))}
        assert set(rows) == set(bronze), table
        for event in posted:
            received_at, edge_id, edge_region = rows[event["event_id"]]
            assert (edge_id, edge_region) == ("edge-eu-1", "eu"), table
            received = received_at if received_at.tzinfo else received_at.replace(tzinfo=UTC)
            assert received == datetime.fromisoformat(bronze[event["event_id"]]["received_at"]), table
        assert rows[direct["event_id"]] == (None, None, None), table


def assert_recorded_in_postgres(libpq_url: str, home: Path) -> None:
    """Bronze, silver and gold runs are in the PostgreSQL instance, through Dagster and in its tables."""
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        latest = {key: instance.get_latest_materialization_event(key) for key in (BRONZE_EVENTS, GOLD_EVENTS)}
        assert all(latest.values()), latest
        jobs = {key: instance.get_run_by_id(event.run_id).job_name for key, event in latest.items()}  # type: ignore[union-attr]
        assert jobs == {BRONZE_EVENTS: "bronze_job", GOLD_EVENTS: "warehouse_job"}
        runs = instance.get_runs()
        assert {r.job_name for r in runs} >= {"bronze_job", "reference_job", "warehouse_job"}
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), [(r.job_name, r.status) for r in runs]
    assert sql_rows(libpq_url, "select count(*) from runs") == [(len(runs),)]
    materialized = sql_rows(
        libpq_url,
        "select count(distinct asset_key) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'",
    )
    assert materialized[0][0] >= 3  # type: ignore[operator]
    assert not list(home.rglob("*.db")), "a SQLite database was written beside PostgreSQL"


class _Record:
    """The shape ``produce_and_place`` sends: a key and a value."""

    def __init__(self, value: bytes) -> None:
        self.key, self.value = None, value
