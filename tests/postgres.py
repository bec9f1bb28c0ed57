"""PostgreSQL for the tests: Debian's server (orchestration.lib.local_postgres) in a folder of its own,
fresh databases on it, and Dagster homes whose instance lives there."""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from orchestration.lib.dagster_instance import DagsterStorage, instance_postgres_url, write_instance_yaml
from orchestration.lib.local_postgres import LocalPostgres
from tests.helpers import REPO_ROOT

T = TypeVar("T")
LOCAL_DAGSTER_YAML = REPO_ROOT / "deploy" / "local" / "dagster" / "dagster.yaml"


def server_home() -> Path:
    """A fresh folder the server's user can reach.

    Under root the server runs as ``postgres``, which cannot enter pytest's temp folders (mode 0700,
    owned by root), so the folder is made directly in the system's temp folder instead.
    """
    return Path(tempfile.mkdtemp(prefix="meridian-pg-"))


@contextmanager
def running_postgres(**options: Any) -> Iterator[LocalPostgres]:
    """A server on a free loopback port, thrown away (data included) afterwards."""
    home = server_home()
    server = LocalPostgres(home=home, **options)
    try:
        yield server.start()
    finally:
        server.kill()
        shutil.rmtree(home, ignore_errors=True)


def fresh_database(server: LocalPostgres) -> tuple[str, str]:
    """A new database on ``server``: its libpq URL (psql, psycopg2) and the Dagster instance's URL."""
    url = server.create_database(f"dagster_{uuid.uuid4().hex[:12]}")
    return url, instance_postgres_url(url)


def postgres_dagster_home(path: Path) -> Path:
    """A DAGSTER_HOME with the local dagster.yaml on PostgreSQL storage (the URL read from the environment)."""
    write_instance_yaml(path, LOCAL_DAGSTER_YAML.read_text(), DagsterStorage.POSTGRES)
    return path


def poll(
    probe: Callable[[], T | None],
    timeout_s: float,
    what: str,
    interval_s: float = 0.5,
    detail: Callable[[], str] = lambda: "",
) -> T:
    """``probe()``'s first truthy answer within ``timeout_s``, else fail saying what never happened."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout_s:.0f} s\n{detail()}")
        time.sleep(interval_s)


def sql_rows(url: str, sql: str) -> list[tuple[object, ...]]:
    """``sql``'s rows, straight from PostgreSQL (not through Dagster)."""
    import psycopg2

    conn = psycopg2.connect(url, connect_timeout=5)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        conn.close()
