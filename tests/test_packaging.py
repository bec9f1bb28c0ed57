"""The wheels, installed outside the repository, run the CLI, the edge and the stream.

Nothing may depend on a source checkout: defaults are relative to the working directory, data the
services need (schemas, fx rates) ships as package data, and no module reaches for the repository.
So the project's wheels (the Rust extension's included, built by maturin) go into a fresh virtualenv
in a temporary directory, from the same pinned versions as ``uv.lock``, and the commands run there
against the session's real broker with no access to this tree (no PYTHONPATH, cwd elsewhere).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from streaming.edge.auth import mint_key
from streaming.kafka.broker import LocalBroker, free_port
from tests.helpers import REPO_ROOT, stop_group

pytestmark = pytest.mark.integration


def _uv() -> str:
    found = REPO_ROOT / ".local" / "bootstrap" / "bin" / "uv"
    return str(found) if found.exists() else shutil.which("uv") or pytest.fail("uv is missing: run `make setup`")


def _run(*args: str, cwd: Path | None = None, timeout: float = 600) -> str:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A virtualenv outside the repository with only the wheels and their pinned dependencies."""
    tmp = tmp_path_factory.mktemp("wheels")
    uv, wheels = _uv(), tmp / "dist"
    _run(uv, "build", "--wheel", "--out-dir", str(wheels), str(REPO_ROOT))
    _run(uv, "build", "--wheel", "--out-dir", str(wheels), str(REPO_ROOT / "streaming" / "native"))
    pins = tmp / "requirements.txt"
    _run(
        uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-emit-package", "meridian-native",
        "--no-hashes", "-q", "-o", str(pins), cwd=REPO_ROOT,
    )  # fmt: skip
    venv = tmp / "venv"
    _run(uv, "venv", "-q", "--python", "python3.11", str(venv))
    _run(
        uv,
        "pip",
        "install",
        "-q",
        "--python",
        str(venv / "bin" / "python"),
        "-r",
        str(pins),
        *map(str, wheels.glob("*.whl")),
    )
    yield venv


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    """No variable that could point back at the checkout: a bare PATH, HOME in the temp dir."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "TYPER_USE_RICH": "0", **extra}


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 90) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready in {timeout_s}s:\n{log.read_text()[-3000:]}")


def _start(venv: Path, cwd: Path, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(venv / "bin" / "meridian"), *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def test_the_installed_package_is_used_and_the_cli_answers(installed: Path, tmp_path: Path) -> None:
    python = str(installed / "bin" / "python")
    where = _run(python, "-c", "import orchestration, streaming, quality; print(streaming.__file__)", cwd=tmp_path)
    assert str(installed) in where and str(REPO_ROOT) not in where
    assert "edge" in _run(str(installed / "bin" / "meridian"), "--help", cwd=tmp_path)


def test_the_installed_edge_accepts_and_forwards(
    installed: Path, tmp_path: Path, kafka_broker: LocalBroker, topic: str
) -> None:
    key, entry = mint_key("wheel")
    port, log = free_port(), tmp_path / "edge.log"
    env = _env(
        tmp_path,
        KAFKA_BOOTSTRAP_SERVERS=kafka_broker.bootstrap_servers,
        MERIDIAN_EVENTS_TOPIC=topic,
        MERIDIAN_EDGE_API_KEYS=orjson.dumps([entry]).decode(),
    )
    proc = _start(installed, tmp_path, ["edge", "--port", str(port)], env, log)
    try:
        _wait(f"http://127.0.0.1:{port}/healthz", proc, log)
        event = {
            "event_id": str(uuid.uuid4()),
            "event_type": "page_view",
            "occurred_at": "2026-11-30T10:00:00Z",
            "region": "eu",
            "user_id": "u-1",
            "schema_version": 1,
        }
        answer = httpx.post(
            f"http://127.0.0.1:{port}/v1/events", json=[event], headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text
        assert (tmp_path / ".local" / "edge" / "buffer").is_dir()  # the default is the working directory's
    finally:
        stop_group(proc)


def test_the_installed_stream_serves(installed: Path, tmp_path: Path, kafka_broker: LocalBroker, topic: str) -> None:
    port, log, suffix = free_port(), tmp_path / "stream.log", uuid.uuid4().hex[:8]
    env = _env(
        tmp_path,
        KAFKA_BOOTSTRAP_SERVERS=kafka_broker.bootstrap_servers,
        MERIDIAN_EVENTS_TOPIC=topic,
        MERIDIAN_STREAM_GROUP_ID=f"wheel-{suffix}",
        MERIDIAN_STREAM_METRICS_TOPIC=f"wheel.metrics.{suffix}",
        MERIDIAN_STREAM_STATE_TOPIC=f"wheel.state.{suffix}",
        MERIDIAN_STREAM_CHECKPOINT_INTERVAL_SECONDS="0.5",
    )
    proc = _start(installed, tmp_path, ["stream", "--port", str(port)], env, log)
    try:
        deadline, partitions = time.monotonic() + 90, []
        while partitions != [0, 1, 2, 3, 4, 5] and time.monotonic() < deadline:
            partitions = _wait(f"http://127.0.0.1:{port}/readyz", proc, log).json()["partitions"]
            time.sleep(0.2)
        assert partitions == [0, 1, 2, 3, 4, 5], log.read_text()[-3000:]
        assert httpx.get(f"http://127.0.0.1:{port}/v1/metrics/realtime", timeout=5).status_code == 200
    finally:
        stop_group(proc)
    assert "Traceback" not in log.read_text()


def test_no_module_reaches_for_the_repository() -> None:
    """The source tree may not locate files through its own position, except the two that are not
    packaged (the dbt project and the local Dagster instance's config, both for a checkout)."""
    allowed = {"orchestration/defs/warehouse/project.py", "orchestration/platform.py"}
    offenders = []
    for path in sorted((REPO_ROOT / p) for p in ("orchestration", "streaming", "quality")):
        for source in path.rglob("*.py"):
            text = source.read_text()
            relative = str(source.relative_to(REPO_ROOT))
            if ("__file__" in text or "REPO_ROOT" in text) and relative not in allowed:
                offenders.append(relative)
    assert not offenders, offenders
    assert os.path.exists(REPO_ROOT / "streaming" / "events" / "reference" / "fx_rates.csv")
