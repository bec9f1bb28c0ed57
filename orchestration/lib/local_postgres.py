"""One local PostgreSQL server for Dagster's instance, run from Debian's server binaries.

Used by ``meridian up`` (``MERIDIAN_DAGSTER_STORAGE=postgres``) and by the test suite, like
:class:`streaming.kafka.broker.LocalBroker` for Kafka: the data directory, the server log and the
Unix socket live under ``home``; ``initdb`` runs once, so a restart (or a crash) keeps the data.
The server listens on 127.0.0.1 only and trusts connections there: it is a laptop's or a test's
server, never a shared one (production points ``MERIDIAN_DAGSTER_POSTGRES_URL`` at its own).

PostgreSQL refuses to run as root. Under root (CI, containers) ``initdb`` and ``postgres`` run as
the unprivileged ``postgres`` user that Debian's package creates, and ``home`` is handed to it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streaming.kafka.broker import free_port

log = logging.getLogger(__name__)

SERVER_USER = "postgres"  # the user Debian's postgresql package creates
DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"
# The longest Unix socket path the kernel takes: sun_path holds 108 bytes, the terminating NUL included.
_MAX_SOCKET_PATH = 107
_INCLUDE = "include_if_exists = 'meridian.conf'"
_HBA = """\
# Written by Meridian (orchestration/lib/local_postgres.py): trust on loopback only.
# Unix socket (in the server's home folder, which only the server user may enter)
local   all   all                  trust
host    all   all   127.0.0.1/32   trust
"""


class PostgresError(RuntimeError):
    """The server could not be set up, started or reached."""


def find_bindir() -> Path:
    """The folder holding ``initdb`` and ``postgres``: on PATH, else Debian's highest version."""
    on_path = [shutil.which(name) for name in ("initdb", "postgres")]
    if all(on_path):
        return Path(str(on_path[0])).resolve().parent
    candidates = [
        path
        for path in Path("/").glob(DEBIAN_BINDIRS.lstrip("/"))
        if (path / "initdb").is_file() and (path / "postgres").is_file()
    ]
    if not candidates:
        raise PostgresError(
            f"no PostgreSQL server binaries (initdb, postgres) on PATH or in {DEBIAN_BINDIRS}; "
            "run `make system-deps` (it installs Debian's postgresql)"
        )
    return max(candidates, key=lambda path: _version_key(path.parent.name))


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)


def _quote(value: str) -> str:
    """A string literal of postgresql.conf (single quotes, a quote doubled)."""
    return "'" + value.replace("'", "''") + "'"


@dataclass
class LocalPostgres:
    """One PostgreSQL server whose data (``home/data``), log and socket live under ``home``.

    ``superuser`` is the role ``initdb`` creates and every URL connects as. Under root the server
    runs as ``server_user`` (``postgres``), which must be able to reach ``home``.
    """

    home: Path
    port: int = field(default_factory=free_port)
    superuser: str = "meridian"
    bindir: Path | None = None
    server_user: str = SERVER_USER
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.home = self.home.absolute()

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def url(self, database: str = "postgres") -> str:
        """Where a client (Dagster's storage, psycopg2, psql) connects: loopback, TCP, no password."""
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _binary(self, name: str) -> str:
        self.bindir = self.bindir or find_bindir()
        return str(self.bindir / name)

    def _as_server_user(self) -> dict[str, Any]:
        """Popen arguments that drop root to the server user; nothing when not root."""
        if os.geteuid() != 0:
            return {}
        account = self._server_account()
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def _server_account(self) -> pwd.struct_passwd:
        try:
            return pwd.getpwnam(self.server_user)
        except KeyError:
            raise PostgresError(
                f"running as root, and PostgreSQL refuses to run as root: it runs as the user "
                f"{self.server_user!r}, which does not exist. Install Debian's postgresql (`make system-deps`), "
                f"which creates it, or run as an unprivileged user"
            ) from None

    def _prepare_home(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return
        account = self._server_account()
        os.chown(self.home, account.pw_uid, account.pw_gid)
        self.home.chmod(0o700)
        probe = subprocess.run(
            ["test", "-w", str(self.home), "-a", "-x", str(self.home)],
            check=False,
            **self._as_server_user(),
        )
        if probe.returncode != 0:
            raise PostgresError(
                f"the server runs as {self.server_user!r} (not root), which cannot reach {self.home}: "
                "every folder above it must be searchable by that user (chmod o+x), or choose a home elsewhere"
            )

    def prepare(self) -> None:
        """Create the cluster once (``initdb``), then write this start's settings (port, socket)."""
        socket_path = self.home / f".s.PGSQL.{self.port}"
        if len(str(socket_path).encode()) > _MAX_SOCKET_PATH:
            raise PostgresError(f"the Unix socket path {socket_path} is too long for the kernel; choose a shorter home")
        self._prepare_home()
        if not (self.data_dir / "PG_VERSION").exists():
            result = subprocess.run(
                [
                    self._binary("initdb"),
                    "--pgdata",
                    str(self.data_dir),
                    "--username",
                    self.superuser,
                    "--auth",
                    "trust",
                    "--encoding",
                    "UTF8",
                    "--locale",
                    "C",
                ],
                capture_output=True,
                text=True,
                check=False,
                **self._as_server_user(),
            )
            if result.returncode != 0:
                raise PostgresError(f"initdb failed in {self.data_dir}:\n{result.stdout}{result.stderr}")
            config = self.data_dir / "postgresql.conf"
            config.write_text(config.read_text() + f"\n{_INCLUDE}\n")
            (self.data_dir / "pg_hba.conf").write_text(_HBA)
        # Rewritten on every start, so the port may change between starts; the data stays.
        settings = self.data_dir / "meridian.conf"
        settings.write_text(
            "\n".join(
                [
                    "listen_addresses = '127.0.0.1'",
                    f"port = {self.port}",
                    f"unix_socket_directories = {_quote(str(self.home))}",
                    "logging_collector = off",
                    "",
                ]
            )
        )
        if os.geteuid() == 0:
            account = self._server_account()
            os.chown(settings, account.pw_uid, account.pw_gid)

    def start(self, timeout_s: float = 60.0) -> LocalPostgres:
        self.prepare()
        with self.log_file.open("ab") as out:
            self._proc = subprocess.Popen(
                [self._binary("postgres"), "-D", str(self.data_dir)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **self._as_server_user(),
            )
        try:
            self.wait_ready(timeout_s)
        except BaseException:
            self.kill()  # never leave a server behind that did not come up
            raise
        log.info("PostgreSQL ready on 127.0.0.1:%s (pid %s, data in %s)", self.port, self._proc.pid, self.data_dir)
        return self

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Poll with a real connection and query until the server answers, or fail with its log."""
        import psycopg2

        deadline = time.monotonic() + timeout_s
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise PostgresError(f"postgres exited with {self._proc.returncode}:\n{self.tail_log()}")
            try:
                conn = psycopg2.connect(self.url(), connect_timeout=2)
                try:
                    with conn.cursor() as cursor:
                        cursor.execute("select 1")
                        cursor.fetchone()
                    return
                finally:
                    conn.close()
            except psycopg2.Error as exc:  # refused while starting, or "the database system is starting up"
                last = exc
            time.sleep(0.2)
        raise PostgresError(
            f"PostgreSQL not ready on 127.0.0.1:{self.port} after {timeout_s}s ({last}):\n{self.tail_log()}"
        )

    def tail_log(self, lines: int = 40) -> str:
        if not self.log_file.exists():
            return "(no server log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def create_database(self, name: str) -> str:
        """Create ``name`` unless it exists; its URL."""
        import psycopg2
        from psycopg2 import sql

        conn = psycopg2.connect(self.url(), connect_timeout=5)
        conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
        try:
            with conn.cursor() as cursor:
                cursor.execute("select 1 from pg_database where datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        finally:
            conn.close()
        return self.url(name)

    def _family(self) -> list[Any]:
        import psutil

        if self._proc is None:
            return []
        try:
            postmaster = psutil.Process(self._proc.pid)
            return [postmaster, *postmaster.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill(self, timeout_s: float = 30.0) -> None:
        """SIGKILL the postmaster and every backend, as a crash would; the data stays for a restart.

        Every backend runs in a session of its own (PostgreSQL calls setsid), so a signal to the
        postmaster's process group reaches the postmaster alone: each process is killed by its pid.
        Returns once none is left, so a restart finds no backend still holding the old shared
        memory (PostgreSQL would refuse to start beside it).
        """
        import psutil

        if self._proc is None or self._proc.poll() is not None:
            return
        family = self._family()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        for member in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.kill()
        self._proc.wait(timeout=timeout_s)
        deadline = time.monotonic() + timeout_s
        alive = family
        while time.monotonic() < deadline:
            alive = [p for p in family if _alive(p)]
            if not alive:
                return
            time.sleep(0.05)
        raise PostgresError(f"PostgreSQL processes {[p.pid for p in alive]} still alive {timeout_s}s after SIGKILL")

    def stop(self, timeout_s: float = 30.0) -> None:
        """A fast shutdown (SIGINT: clients disconnected, a checkpoint written); SIGKILL after ``timeout_s``."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(signal.SIGINT)
        try:
            self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            log.warning("PostgreSQL did not stop within %ss; killing it", timeout_s)
            self.kill()

    def restart(self, timeout_s: float = 60.0) -> None:
        """Crash and start again (what recovery after a power cut looks like): WAL replay, same data."""
        self.kill()
        self.start(timeout_s)


def _alive(process: Any) -> bool:
    """Running and not a zombie (an orphaned backend may wait for a reaper that never comes)."""
    import psutil

    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
