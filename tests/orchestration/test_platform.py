"""``meridian up`` end to end: traffic flows through the edge into Kafka, the stream, bronze, silver and
gold; Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import httpx
import psutil
import pytest

from orchestration.defs.warehouse.project import model_key
from orchestration.lib.warehouse_engines import DuckDBWarehouse, WarehouseLockedError
from orchestration.settings import PlatformSettings
from streaming.kafka.broker import free_port
from tests.helpers import settings_env

pytestmark = pytest.mark.integration

GOLD_WITHIN_S = 300
POLL_S = 2.0


def gold_rows_on(settings: PlatformSettings, days: set[date]) -> int:
    """Rows of gold.fct_events on ``days``; 0 while gold does not exist yet or dbt holds DuckDB's write lock."""
    path = settings.warehouse.duckdb_path
    if not path.exists():
        return 0
    try:
        return DuckDBWarehouse(str(path), lock_timeout_s=0).count_rows("gold", "fct_events", (min(days), max(days)))
    except WarehouseLockedError:
        return 0  # a dbt build is writing: read again at the next poll
    except duckdb.CatalogException:
        return 0  # gold.fct_events is not built yet


def gold_materialized(dagster_home: Path) -> bool:
    """Dagster recorded gold.fct_events, so dbt has let go of the file; reading it earlier could hold
    DuckDB's lock just as dbt opens it for writing, and fail that build."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        return bool(instance.fetch_materializations(model_key("fct_events"), limit=1).records)


def warehouse_runs(dagster_home: Path) -> list[tuple[str, float, float]]:
    """(job, start, end) of every run of dbt builds the platform's instance recorded."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        records = [
            record
            for job in ("warehouse_bootstrap_job", "warehouse_job", "reference_job")
            for record in instance.get_run_records(filters=dg.RunsFilter(job_name=job))
        ]
        return sorted(
            (r.dagster_run.job_name, r.start_time, r.end_time or time.time()) for r in records if r.start_time
        )


def test_up_runs_generator_and_dagster_and_ctrl_c_stops_every_process(
    settings: PlatformSettings, tmp_path: Path
) -> None:
    port, stream_port, edge_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        **settings_env(settings),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "MERIDIAN_EDGE_BUFFER_DIR": str(tmp_path / "edge-buffer"),
    }
    up = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orchestration.cli.main",
            "up",
            "--port",
            str(port),
            "--stream-port",
            str(stream_port),
            "--edge-port",
            str(edge_port),
            "--generator-rate",
            "200",
        ],  # fmt: skip
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lake = settings.lake.root / "us" / "bronze" / "events"
    children: list[psutil.Process] = []
    started = time.monotonic()
    days = {datetime.now(UTC).date()}
    try:
        deadline = started + GOLD_WITHIN_S
        ui_ok = live = through_edge = False
        gold_today = 0
        for _ in range(int(GOLD_WITHIN_S / POLL_S) + 1):
            if time.monotonic() >= deadline:
                break
            assert up.poll() is None, up.stdout.read() if up.stdout else ""
            children = psutil.Process(up.pid).children(recursive=True) or children
            if not ui_ok:
                try:
                    ui_ok = httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=5).status_code == 200
                except httpx.HTTPError:
                    pass
            if not live:
                try:
                    body = httpx.get(f"http://127.0.0.1:{stream_port}/v1/metrics/realtime", timeout=5).json()
                    live = sum(w["events"] for w in body.get("windows", [])) > 0
                except (httpx.HTTPError, ValueError):
                    pass
            if not through_edge:
                try:
                    text = httpx.get(f"http://127.0.0.1:{edge_port}/metrics", timeout=5).text
                    through_edge = any(
                        line.startswith("meridian_edge_events_forwarded_total ") and float(line.split()[1]) > 0
                        for line in text.splitlines()
                    )
                except httpx.HTTPError:
                    pass
            days.add(datetime.now(UTC).date())  # today, for a test that runs across midnight (UTC)
            if ui_ok and not gold_today and gold_materialized(tmp_path / "dagster"):
                gold_today = gold_rows_on(settings, days)
            if ui_ok and live and through_edge and gold_today:
                break
            time.sleep(POLL_S)
        assert ui_ok, "the Dagster UI never answered"
        assert live, "the streaming API never showed the generated traffic"
        assert through_edge, "the edge collector never forwarded the generator's traffic to Kafka"
        assert any(lake.rglob("*.parquet")), "the sensor never landed generated traffic in bronze"
        assert gold_today > 0, f"gold.fct_events had no rows for today ({sorted(days)}) {GOLD_WITHIN_S} s after start"
    finally:
        up.send_signal(signal.SIGINT)
        out, _ = up.communicate(timeout=90)
    assert "Meridian is running" in out
    assert "stopped every process Meridian started" in out
    assert up.returncode == 0, out
    assert "edge collector" in out and "Authorization: Bearer mk_" in out
    assert len(children) >= 5  # edge, generator, stream, dagster dev, and dagster's webserver/daemon/code server
    still_running = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert still_running == [], [p.cmdline() for p in still_running]
    # gold came from warehouse_sensor's first run (reference tables, silver, gold), and dbt builds never overlapped
    runs = warehouse_runs(tmp_path / "dagster")
    assert runs and runs[0][0] == "warehouse_bootstrap_job", runs
    assert all(end <= nxt for (_, _, end), (_, nxt, _) in zip(runs, runs[1:], strict=False)), runs
