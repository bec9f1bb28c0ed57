"""The local PostgreSQL server Dagster's instance runs on: Debian's binaries, loopback only, and a
kill -9 that loses nothing committed (and nothing uncommitted survives)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import psutil
import psycopg2
import pytest

from orchestration.lib.local_postgres import DEBIAN_BINDIRS, LocalPostgres, PostgresError, find_bindir
from tests.postgres import running_postgres, server_home

pytestmark = pytest.mark.integration


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    conn = psycopg2.connect(url, connect_timeout=5)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        conn.close()


def _execute(url: str, sql: str) -> None:
    conn = psycopg2.connect(url, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def test_kill_9_then_restart_keeps_what_was_committed_and_only_that() -> None:
    with running_postgres() as server:
        url = server.create_database("survivor")
        assert url == f"postgresql://meridian@127.0.0.1:{server.port}/survivor"
        assert server.create_database("survivor") == url  # a second time is a no-op
        conn = psycopg2.connect(url)
        with conn, conn.cursor() as cursor:  # committed on leaving the block
            cursor.execute("create table runs (run_id text primary key)")
            cursor.execute("insert into runs values ('committed-1'), ('committed-2')")
        in_flight = conn.cursor()
        in_flight.execute("insert into runs values ('in-flight')")  # never committed
        family = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
        assert len(family) > 3  # postmaster, checkpointer, writers and this connection's backend

        server.kill()

        assert not server.is_running()
        alive = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert alive == [], "a backend outlived the crash"
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(url, connect_timeout=2)
        conn.close()

        server.start()  # crash recovery replays the WAL
        assert sorted(r[0] for r in _query(url, "select run_id from runs")) == ["committed-1", "committed-2"]
        assert "database system was not properly shut down" in server.log_file.read_text()

        server.restart()  # kill + start, as LocalBroker's
        assert len(_query(url, "select run_id from runs")) == 2


def test_a_graceful_stop_keeps_the_data_and_the_server_listens_on_loopback_only() -> None:
    with running_postgres() as server:
        url = server.create_database("kept")
        assert _query(url, "show listen_addresses") == [("127.0.0.1",)]
        assert _query(url, "show unix_socket_directories") == [(str(server.home),)]
        assert (server.home / f".s.PGSQL.{server.port}").is_socket()  # in its home, not /var/run
        _execute(url, "create table t as select 1 as x")
        server.stop()
        assert not server.is_running()
        assert "database system is shut down" in server.log_file.read_text()
        server.start()
        assert (server.data_dir / "PG_VERSION").exists()
        assert _query(url, "select x from t") == [(1,)]


def test_a_port_in_use_fails_with_the_server_log() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        home = server_home()
        try:
            server = LocalPostgres(home=home, port=taken.getsockname()[1])
            with pytest.raises(PostgresError, match="Address already in use") as failure:
                server.start(timeout_s=30)
            assert "postgres exited" in str(failure.value)
            assert not server.is_running()
        finally:
            shutil.rmtree(home, ignore_errors=True)


def test_the_server_binaries_are_found_on_path_or_in_debians_highest_version(monkeypatch: pytest.MonkeyPatch) -> None:
    found = find_bindir()
    assert (found / "initdb").is_file() and (found / "postgres").is_file()
    monkeypatch.setenv("PATH", "/nonexistent")  # not on PATH: Debian's folders, highest version first
    debian = find_bindir()
    versions = sorted(int(p.parent.name) for p in Path("/").glob(DEBIAN_BINDIRS.lstrip("/")) if p.parent.name.isdigit())
    assert debian == Path(f"/usr/lib/postgresql/{versions[-1]}/bin")


def test_under_root_the_server_runs_as_an_unprivileged_user(tmp_path: Path) -> None:
    with running_postgres() as server:
        owner = psutil.Process(server.pid).username()
        if os.geteuid() == 0:
            assert owner == "postgres"
            assert server.home.stat().st_uid == psutil.Process(server.pid).uids().real
        else:
            assert owner == psutil.Process().username()
    if os.geteuid() == 0:
        home = server_home()
        try:
            with pytest.raises(PostgresError, match="does not exist"):
                LocalPostgres(home=home, server_user="no-such-user-meridian").start()
        finally:
            shutil.rmtree(home, ignore_errors=True)
        # pytest's own temp folders (0700, root's) are out of the server user's reach: said, not a cryptic initdb error
        with pytest.raises(PostgresError, match="cannot reach"):
            LocalPostgres(home=tmp_path / "pg").start()
