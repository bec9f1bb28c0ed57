"""The ``meridian`` CLI as a user runs it: a real process, a real broker for produce/run-once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.settings import PlatformSettings
from streaming.kafka.admin import end_offsets
from tests.helpers import settings_env

COMMANDS = [
    "generate",
    "produce",
    "topics",
    "run-once",
    "backfill",
    "regions",
    "stream",
    "edge",
    "edge-key",
    "up",
    "exporter",
]


def meridian(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would; never against the developer's own Dagster instance."""
    child_env = {k: v for k, v in {**os.environ, **(env or {})}.items() if k != "DAGSTER_HOME"}
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env,
        check=False,
    )


def test_help_lists_every_command_without_loading_dagster() -> None:
    code = (
        "import sys; sys.argv=['meridian','--help']\n"
        "from orchestration.cli.main import app\n"
        "try: app()\n"
        "except SystemExit: pass\n"
        "heavy = [m for m in ('dagster','great_expectations','dagster_dbt','dagster_gcp','pyarrow','kafka')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "HEAVY []" in out
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = meridian(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_edge_key_mints_a_key_that_its_printed_entry_accepts() -> None:
    from streaming.edge.auth import ApiKeys

    result = meridian("edge-key", "ios-app")
    assert result.returncode == 0, result.stderr
    key = result.stdout.split("shown once): ")[1].split()[0]
    entry = result.stdout.split("MERIDIAN_EDGE_API_KEYS:")[1].split()[0]
    assert ApiKeys.parse([entry]).identify(f"Bearer {key}") == "ios-app"


def test_generate_to_an_edge_needs_a_url_and_a_key() -> None:
    no_key = meridian("generate", "--count", "10", "--to", "http://127.0.0.1:1", env={"MERIDIAN_EDGE_API_KEY": ""})
    assert no_key.returncode == 2 and "--api-key" in no_key.stderr
    not_http = meridian("generate", "--count", "10", "--to", "127.0.0.1:8090", "--api-key", "mk_x")
    assert not_http.returncode == 2 and "http(s)://" in not_http.stderr


def test_the_edge_refuses_to_start_without_keys(tmp_path: Path) -> None:
    result = meridian("edge", "--buffer-dir", str(tmp_path / "b"), env={"MERIDIAN_EDGE_API_KEYS": "[]"})
    assert result.returncode == 2 and "MERIDIAN_EDGE_API_KEYS" in result.stderr


def test_generate_to_a_file_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path in (a, b):
        result = meridian("generate", "--count", "500", "--seed", "3", "--malformed", "0.1", "--output", str(path))
        assert result.returncode == 0, result.stderr
    assert a.read_bytes() == b.read_bytes()
    assert len(a.read_bytes().splitlines()) == 500


def test_generate_rejects_a_bad_fraction_with_a_clear_error() -> None:
    result = meridian("generate", "--duplicates", "1.5", "--output", "/dev/null")
    assert result.returncode != 0
    assert "duplicates" in result.stderr


@pytest.mark.integration
def test_produce_sends_every_line_verbatim_and_run_once_lands_them(settings: PlatformSettings, tmp_path: Path) -> None:
    from kafka import KafkaConsumer, TopicPartition

    lines = [b'{"not": "an event"}', b"plain garbage {", b"[1,2,3]"]
    file = tmp_path / "in.jsonl"
    generated = tmp_path / "gen.jsonl"
    assert (
        meridian("generate", "--count", "200", "--seed", "1", "--malformed", "0", "--output", str(generated)).returncode
        == 0
    )
    file.write_bytes(b"\n".join(lines) + b"\n" + generated.read_bytes())
    env = {
        **settings_env(settings),
    }
    sent = meridian("produce", str(file), "--topic", settings.kafka.events_topic, env=env)
    assert sent.returncode == 0, sent.stderr
    assert "acknowledged 203" in sent.stdout

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers, enable_auto_commit=False)
    tps = [TopicPartition(settings.kafka.events_topic, p) for p in range(6)]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    values: list[bytes] = []
    for _ in range(100):
        for batch in consumer.poll(timeout_ms=200).values():
            values.extend(m.value for m in batch)
        if len(values) >= 203:
            break
    consumer.close()
    assert sorted(values) == sorted(file.read_bytes().splitlines())
    assert sum(end_offsets(settings.kafka, settings.kafka.events_topic).values()) == 203

    landed = meridian("run-once", env=env)
    assert landed.returncode == 0, landed.stdout + landed.stderr
    assert "bronze: 200 events landed in 1 run(s), 3 quarantined" in landed.stdout
    for reason in ("invalid:schema_version", "invalid_json", "not_an_object"):
        assert f"quarantined {reason}: 1" in landed.stdout
    assert "ok" in landed.stdout.splitlines()[-1]
    built = [line for line in landed.stdout.splitlines() if line.startswith("silver + gold: built event dates")]
    assert built and built[0].split("dates ")[1].startswith("2026-1"), landed.stdout

    refilled = meridian("backfill", "--start", "2026-11-01", "--end", "2026-11-01", env=env)
    assert refilled.returncode == 0, refilled.stdout + refilled.stderr
    assert "silver + gold: built event dates 2026-11-01 .. 2026-11-01 (1 run(s))" in refilled.stdout
    backwards = meridian("backfill", "--start", "2026-11-02", "--end", "2026-11-01", env=env)
    assert backwards.returncode != 0 and "before --start" in backwards.stderr


def test_regions_shows_each_store_what_landed_and_how_far_each_replica_came(tmp_path: Path) -> None:
    """Three local regions: us landed two ranges, eu holds one of them replicated, apac none yet."""
    from orchestration.defs.replication.assets import LEDGERS
    from orchestration.lib.bronze.ranges import OffsetRange
    from orchestration.lib.lake import LocalLakeStorage
    from orchestration.lib.replication import replicate
    from tests.orchestration.lib.replication.replication_lakes import land_bronze

    us, eu = LocalLakeStorage(tmp_path, "us"), LocalLakeStorage(tmp_path, "eu")
    land_bronze(us, OffsetRange(0, 0, 50))
    replicate(us, eu, LEDGERS)
    land_bronze(us, OffsetRange(0, 50, 80))
    env = {"MERIDIAN_LAKE_ROOT": str(tmp_path), "MERIDIAN_REGIONS": '["us", "eu", "apac"]'}

    result = meridian("regions", env=env, timeout=120)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "aggregation region (global silver and gold): us" in out
    assert str(tmp_path / "us") in out and str(tmp_path / "apac") in out
    lines = [line.split() for line in out.splitlines()]
    us_to_eu = next(line for line in lines if line[:2] == ["us", "eu"] or line[:3] == ["us", "->", "eu"])
    us_to_apac = next(line for line in lines if line[:2] == ["us", "apac"] or line[:3] == ["us", "->", "apac"])
    assert "50" in us_to_eu and "80" in us_to_eu, out  # replicated up to 50 of 80
    assert "0" in us_to_apac, out


def test_regions_with_an_inconsistent_setup_says_what_is_wrong(tmp_path: Path) -> None:
    result = meridian("regions", env={"MERIDIAN_REGIONS": '["us"]', "MERIDIAN_AGGREGATION_REGION": "eu"})
    assert result.returncode == 2
    assert "MERIDIAN_AGGREGATION_REGION='eu' is not in MERIDIAN_REGIONS" in result.stderr
