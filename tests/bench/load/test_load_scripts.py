"""The load-test scripts users run against a deployment: Locust for real, k6's events checked by node."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from orchestration.settings import PlatformSettings
from streaming.events.contract import Accepted, validate_event
from tests.helpers import REPO_ROOT
from tests.streaming.edge.edge_helpers import KEY, InProcessEdge, edge_settings, metric

pytestmark = pytest.mark.integration
LOAD = REPO_ROOT / "bench" / "load"


def test_the_locust_file_drives_a_real_edge_without_failures(settings: PlatformSettings, tmp_path: Path) -> None:
    edge = InProcessEdge(edge_settings(settings, tmp_path / "buffer"))
    try:
        locust = Path(sys.executable).parent / "locust"
        result = subprocess.run(
            [str(locust), "-f", str(LOAD / "locustfile.py"), "--headless", "-u", "2", "-r", "2", "-t", "4s"]
            + ["--host", edge.url, "--only-summary", "--events-per-request", "20", "--gzip"],
            env={"MERIDIAN_EDGE_API_KEY": KEY, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        import httpx

        text = httpx.get(edge.url + "/metrics").text
    finally:
        edge.stop()
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "/v1/events x20" in result.stderr + result.stdout
    accepted = metric(text, "meridian_edge_events_accepted_total")
    assert accepted >= 20 and accepted % 20 == 0
    assert metric(text, "meridian_edge_events_rejected_total") == 0  # every generated event is valid


def test_the_k6_script_parses_and_makes_events_the_contract_accepts(tmp_path: Path) -> None:
    """k6 itself is not installable here (its builds are AGPL and not on the package registries), so
    node parses the script and runs its event factory with stand-ins for the three k6 modules and
    k6's ``__ENV`` global (a mock of k6's runtime, nothing else of it can run here)."""
    node = shutil.which("node")
    assert node, "node is part of this machine's toolchain; it checks the k6 script"
    script = tmp_path / "k6.mjs"
    shutil.copy(LOAD / "k6.js", script)
    package = tmp_path / "node_modules" / "k6"
    package.mkdir(parents=True)
    (package / "package.json").write_text(
        '{"type": "module", "exports": {".": "./k6.js", "./http": "./http.js", "./metrics": "./metrics.js"}}'
    )
    (package / "k6.js").write_text("export const check = () => true;")
    (package / "http.js").write_text("export default {post: () => ({status: 200}), expectedStatuses: () => null};")
    (package / "metrics.js").write_text("export class Counter { add() {} }")
    subprocess.run([node, "--check", str(script)], check=True, timeout=60)
    runner = tmp_path / "run.mjs"
    runner.write_text(
        "globalThis.__ENV = {};"  # k6's global; node has none
        "const { makeEvent, options } = await import('./k6.mjs');"
        "const out = []; for (let i = 0; i < 300; i++) out.push(makeEvent());"
        "console.log(JSON.stringify({events: out, options}));"
    )
    done = subprocess.run([node, str(runner)], capture_output=True, text=True, timeout=60, check=True)
    produced = orjson.loads(done.stdout)
    outcomes = [validate_event(event) for event in produced["events"]]
    assert all(isinstance(o, Accepted) for o in outcomes), [o for o in outcomes if not isinstance(o, Accepted)][:3]
    assert produced["options"]["thresholds"]["http_req_duration"] == ["p(99)<500"]
