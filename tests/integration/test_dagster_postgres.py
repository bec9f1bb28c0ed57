"""Dagster's instance on PostgreSQL, as in production: a daemon that carries on by itself after
PostgreSQL is killed and restarted. (The platform's bronze and warehouse runs on a PostgreSQL instance
are tests/integration/test_edge_to_gold.py, whose instance is one.)

The restart test runs a real ``dagster-daemon run`` beside a real code server (``dagster
code-server start``, the layout ``dagster dev`` and the Helm chart both use: code servers apart
from the daemon) on a tiny code location of its own (tests/integration/dagster_postgres_location.py):
the platform's sensors need Kafka, and what is under test is the instance.

What happens to a run in flight when PostgreSQL goes away, as seen here (Dagster 1.13): its step
fails (it reads the instance), its run worker cannot write the failure and exits while the
database is still down. The code server that started the worker notices the dead process and
marks the run failed, but only if its checking thread does not itself meet the outage: a database
error ends that thread for good. The default run launcher cannot check on a run worker, so then
only run monitoring's maximum runtime (``dagster/max_runtime``) fails the run; without such a bound
it stays STARTED for ever, holding its concurrency lane. Either way run retries take it from
there. The test always brings PostgreSQL back only once the worker has exited (the worst case),
and passes whichever of the two marks the run failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psutil
import pytest
from dagster._core.scheduler.instigation import InstigatorType, TickStatus

from orchestration.lib.dagster_instance import POSTGRES_URL_ENV
from orchestration.lib.local_postgres import LocalPostgres
from streaming.kafka.broker import free_port
from tests.helpers import REPO_ROOT, stop_group
from tests.integration.dagster_postgres_location import MAX_RUNTIME_S, PROBE_TAG
from tests.postgres import fresh_database, poll, postgres_dagster_home, running_postgres

pytestmark = pytest.mark.integration

LOCATION = Path(__file__).with_name("dagster_postgres_location.py")
BINDIR = Path(sys.executable).parent
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


class _Platform:
    """A code server and a daemon on one PostgreSQL-backed DAGSTER_HOME, with their logs."""

    def __init__(self, home: Path, env: dict[str, str], logs: Path) -> None:
        self.home, self.env, self.logs = home, env, logs
        self.code_log, self.daemon_log = logs / "code-server.log", logs / "daemon.log"
        self.procs: list[subprocess.Popen[bytes]] = []

    def _spawn(self, cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                cmd, env=self.env, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        port = free_port()
        code = self._spawn(
            [
                str(BINDIR / "dagster"),
                "code-server",
                "start",
                "-f",
                str(LOCATION),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "--location-name",
                "probe",
            ],  # fmt: skip
            self.code_log,
        )
        # The daemon loads the workspace once a minute: started before the code server serves, it would wait that long.
        poll(
            lambda: code.poll() is not None or "Started Dagster code proxy server" in self.code_log.read_text(),
            120,
            "the code server serving",
            detail=self.tail,
        )
        assert code.poll() is None, self.tail()
        workspace = self.home / "workspace.yaml"
        workspace.write_text(
            f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {port}\n      location_name: probe\n"
        )
        self.daemon = self._spawn([str(BINDIR / "dagster-daemon"), "run", "-w", str(workspace)], self.daemon_log)

    def tail(self) -> str:
        parts = []
        for log in (self.code_log, self.daemon_log):
            text = log.read_text(errors="replace") if log.exists() else ""
            parts.append(f"--- {log.name} ---\n" + "\n".join(text.splitlines()[-40:]))
        return "\n".join(parts)

    def stop(self) -> None:
        # The code server waits for executions it still believes in; the bound is for that, then SIGKILL.
        for proc in reversed(self.procs):
            stop_group(proc, timeout_s=20)


@pytest.fixture()
def platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[_Platform, LocalPostgres]]:
    with running_postgres() as server:
        _, instance_url = fresh_database(server)
        home = postgres_dagster_home(tmp_path / "dagster")
        for folder in ("requests", "release"):
            (home / "control" / folder).mkdir(parents=True)
        monkeypatch.setenv(POSTGRES_URL_ENV, instance_url)  # for this process's own look at the instance
        env = {**os.environ, "DAGSTER_HOME": str(home), POSTGRES_URL_ENV: instance_url}
        platform = _Platform(home, env, tmp_path)
        try:
            platform.start()
            yield platform, server
        finally:
            platform.stop()


def _runs(home: Path) -> dict[str, list[dg.DagsterRun]]:
    """Probe runs by request name, oldest first."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = sorted(instance.get_run_records(), key=lambda r: r.create_timestamp)
    by_name: dict[str, list[dg.DagsterRun]] = {}
    for record in records:
        run = record.dagster_run
        if PROBE_TAG in run.tags:
            by_name.setdefault(run.tags[PROBE_TAG], []).append(run)
    return by_name


def _sensor_ticks_after(home: Path, after: float) -> list[object]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        states = [
            s for s in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR) if s.name == "probe_sensor"
        ]
        return [
            tick
            for state in states
            for tick in instance.get_ticks(state.instigator_origin_id, state.selector_id, after=after)
            if tick.status in (TickStatus.SUCCESS, TickStatus.SKIPPED)
        ]


def _gone(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _request(home: Path, name: str, text: str = "go") -> None:
    (home / "control" / "requests" / name).write_text(text)


def _succeeded(home: Path, name: str) -> bool:
    return any(r.status == dg.DagsterRunStatus.SUCCESS for r in _runs(home).get(name, []))


def test_after_a_postgres_crash_the_sensor_runs_and_retries_carry_on_by_themselves(
    platform: tuple[_Platform, LocalPostgres],
) -> None:
    dagster, server = platform
    home = dagster.home
    _request(home, "before")
    poll(lambda: _succeeded(home, "before"), 180, "a sensor run before the crash succeeding", 1, dagster.tail)

    _request(home, "outage", "hold")
    started = poll(lambda: list((home / "control" / "started").glob("outage.*")), 120, "the held run starting")
    (outage_run_id,) = [p.name.split(".", 1)[1] for p in started]
    worker = psutil.Process(int(started[0].read_text()))

    server.kill()  # kill -9 of the postmaster and every backend
    (home / "control" / "release" / "outage").touch()  # the held run goes on, and needs the instance
    _request(home, "after")  # a new request arrives while the database is away
    # PostgreSQL comes back only once the run's worker has given up and exited: the worst case.
    poll(
        lambda: _gone(worker),
        120,
        "the held run's worker exiting while PostgreSQL is down",
        detail=dagster.tail,
    )
    server.start()
    restarted_at = time.time()

    # No manual step from here on: the sensor ticks, the new request runs, the failed run is retried.
    poll(lambda: _sensor_ticks_after(home, restarted_at), 120, "a sensor tick after the restart", 1, dagster.tail)
    poll(lambda: _succeeded(home, "after"), 180, "the request made during the outage running", 1, dagster.tail)
    retried = poll(
        lambda: [
            r
            for r in _runs(home).get("outage", [])
            if r.tags.get("dagster/parent_run_id") == outage_run_id and r.status == dg.DagsterRunStatus.SUCCESS
        ],
        MAX_RUNTIME_S + 180,
        "the run that failed in the outage retried by run retries, successfully",
        1,
        dagster.tail,
    )
    runs = _runs(home)
    first = next(r for r in runs["outage"] if r.run_id == outage_run_id)
    assert first.status == dg.DagsterRunStatus.FAILURE
    assert retried[0].tags.get("dagster/retry_number") == "1"
    unfinished = [(name, r.status) for name, rs in runs.items() for r in rs if r.status not in FINISHED]
    assert unfinished == [], "a run was left hanging"
    assert [r.status for r in runs["before"]] == [dg.DagsterRunStatus.SUCCESS]
    assert dagster.daemon.poll() is None, "the daemon died with the database:\n" + dagster.tail()
