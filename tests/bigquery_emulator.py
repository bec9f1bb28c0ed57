"""bqemulator (PyPI, DuckDB + SQLGlot behind BigQuery's REST API) as a process on a free loopback port.

It runs from its own virtualenv (``make bqemulator``: ``.local/bqemulator`` from
``deploy/local/bqemulator/uv.lock``) through ``deploy/local/bqemulator/serve.py``, which skips the
DuckDB extension downloads that would fail offline.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from streaming.kafka.broker import free_port
from tests.helpers import REPO_ROOT

EMULATOR_PYTHON = REPO_ROOT / ".local" / "bqemulator" / "bin" / "python"
SERVE = REPO_ROOT / "deploy" / "local" / "bqemulator" / "serve.py"


class BigQueryEmulator:
    def __init__(self, log_file: Path, project: str = "meridian-test") -> None:
        self.log_file = log_file
        self.project = project
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> BigQueryEmulator:
        if not EMULATOR_PYTHON.exists():
            raise RuntimeError(f"{EMULATOR_PYTHON} is missing: run `make bqemulator`")
        args = [str(EMULATOR_PYTHON), str(SERVE), "start", "--rest-host", "127.0.0.1", "--rest-port", str(self.port)]
        args += ["--grpc-host", "127.0.0.1", "--grpc-port", str(free_port()), "--project", self.project]
        args += ["--log-level", "warning"]
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"{self.endpoint}/bigquery/v2/projects/{self.project}/datasets"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"bqemulator exited with {self.process.returncode}:\n{self.tail_log()}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"bqemulator not ready after {timeout_s}s:\n{self.tail_log()}")

    def tail_log(self, lines: int = 30) -> str:
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
