"""``meridian up`` end to end: traffic flows through the edge into Kafka, the stream and bronze; Ctrl-C
stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from orchestration.settings import PlatformSettings
from streaming.kafka.broker import free_port
from tests.helpers import settings_env

pytestmark = pytest.mark.integration


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
    try:
        deadline = time.monotonic() + 240
        ui_ok = live = through_edge = False
        while time.monotonic() < deadline:
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
            if ui_ok and live and through_edge and any(lake.rglob("*.parquet")):
                break
            time.sleep(1)
        assert ui_ok, "the Dagster UI never answered"
        assert live, "the streaming API never showed the generated traffic"
        assert through_edge, "the edge collector never forwarded the generator's traffic to Kafka"
        assert any(lake.rglob("*.parquet")), "the sensor never landed generated traffic in bronze"
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
