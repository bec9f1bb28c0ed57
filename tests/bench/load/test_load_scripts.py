"""The load-test scripts users run against a deployment: Locust for real, k6's events checked by node."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from orchestration.settings import PlatformSettings
from streaming.events.contract import Accepted, validate_event
from tests.helpers import REPO_ROOT
from tests.streaming.edge.edge_helpers import KEY, InProcessEdge, edge_settings, metric
from tests.streaming.edge.stub_edges import closed_url, kafkaless_edge

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


def k6_sandbox(
    tmp_path: Path,
    http: str = "export default {post: () => ({status: 200}), expectedStatuses: () => null};",
    metrics: str = "export class Counter { add() {} }",
) -> Path:
    """The k6 script as an ES module beside stand-ins for the three k6 modules it imports."""
    script = tmp_path / "k6.mjs"
    shutil.copy(LOAD / "k6.js", script)
    package = tmp_path / "node_modules" / "k6"
    package.mkdir(parents=True)
    (package / "package.json").write_text(
        '{"type": "module", "exports": {".": "./k6.js", "./http": "./http.js", "./metrics": "./metrics.js"}}'
    )
    (package / "k6.js").write_text("export const check = () => true;")
    (package / "http.js").write_text(http)
    (package / "metrics.js").write_text(metrics)
    return script


def test_the_k6_script_parses_and_makes_events_the_contract_accepts(tmp_path: Path) -> None:
    """k6 itself is not installable here (its builds are AGPL and not on the package registries), so
    node parses the script and runs its event factory with stand-ins for the three k6 modules and
    k6's ``__ENV`` global (a mock of k6's runtime, nothing else of it can run here)."""
    node = shutil.which("node")
    assert node, "node is part of this machine's toolchain; it checks the k6 script"
    script = k6_sandbox(tmp_path)
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


def test_locust_users_fail_over_from_a_lost_home_edge_and_name_the_failovers(tmp_path: Path) -> None:
    """``MERIDIAN_EDGE_URLS`` alone (no ``--host``): home refuses connections, a real edge in the next
    region takes every batch, and each user tries home again every second."""
    home, edge = closed_url(), kafkaless_edge(tmp_path / "buffer")
    try:
        locust = Path(sys.executable).parent / "locust"
        result = subprocess.run(
            [str(locust), "-f", str(LOAD / "locustfile.py"), "--headless", "-u", "2", "-r", "2", "-t", "4s"]
            + ["--only-summary", "--json", "--events-per-request", "20", "--failback-seconds", "1"],
            env={"MERIDIAN_EDGE_API_KEY": KEY, "MERIDIAN_EDGE_URLS": f"{home},{edge.url}", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        import httpx

        text = httpx.get(edge.url + "/metrics").text
    finally:
        edge.stop()
    assert result.returncode == 1, result.stderr[-3000:]  # the refused attempts are failures, as they should be
    rows = {(row["method"], row["name"]): row for row in orjson.loads(result.stdout)}
    moved = rows[("FAILOVER", f"failover {home} -> {edge.url}")]
    assert moved["num_requests"] >= 3 and moved["num_failures"] == 0  # both users at start, then back home and away
    posts = rows[("POST", "/v1/events x20")]
    assert posts["num_failures"] == moved["num_requests"]  # every failure was one refused attempt at home...
    assert f"connection error at {home}" in result.stderr  # ...and the error report says where
    accepted = metric(text, "meridian_edge_events_accepted_total")
    assert accepted >= 20 * (posts["num_requests"] - posts["num_failures"]) > 0  # ...so every other batch landed


def test_the_k6_script_fails_over_on_status_0_and_503_and_counts_it(tmp_path: Path) -> None:
    """The failover choice as pure functions, then the script's iteration itself (k6's http and Counter
    stood in for by node modules that answer by edge URL and record what they are given)."""
    node = shutil.which("node")
    assert node, "node is part of this machine's toolchain; it checks the k6 script"
    k6_sandbox(
        tmp_path,
        http="export default {expectedStatuses: () => null, post: (url) => {"
        " globalThis.POSTS.push(url); return {status: globalThis.STATUS[url.split('/v1/')[0]] ?? 200}; }};",
        metrics="export class Counter { constructor(name) { this.name = name; }"
        " add(value, tags) { globalThis.ADDS.push([this.name, value, tags ?? null]); } }",
    )
    runner = tmp_path / "run.mjs"
    runner.write_text(
        """
const out = {};
const A = "http://a:1", B = "http://b:2";
async function load(name, env) {  // a fresh module instance reads __ENV as k6 gives it to one VU
  globalThis.__ENV = {API_KEY: "mk_x", EVENTS_PER_REQUEST: "2", ...env};
  return await import(`./k6.mjs?${name}`);
}
function iterate(k6, n, status) {
  globalThis.POSTS = []; globalThis.ADDS = []; globalThis.STATUS = status;
  for (let i = 0; i < n; i++) k6.default();
  return {posts: POSTS, adds: ADDS};
}
const k6 = await load("pure", {});
out.urls = [k6.edgeUrls({EDGE_URLS: " http://a:1/, http://b:2 ,"}), k6.edgeUrls({EDGE_URL: A}), k6.edgeUrls({})];
out.failsOver = [[0, 2], [503, 2], [429, 2], [400, 2], [200, 2], [503, 1], [0, 1]].map(([s, n]) => k6.failsOver(s, n));
const away = {current: 1, awaySince: 1000};
const home = {current: 0, awaySince: null};
out.startEdge = [k6.startEdge(away, 1500, 1000), k6.startEdge(away, 2000, 1000), k6.startEdge(home, 9e9, 1)];
const answers = {[A]: 0, [B]: 503};
out.plan = k6.postOverEdges([A, B, "http://c:3"], home, 7, (url) => ({status: answers[url] ?? 200}));
out.plan.response = out.plan.response.status;
out.allDown = k6.postOverEdges([A, B], {current: 1, awaySince: 5}, 7, () => ({status: 0}));
out.allDown.response = out.allDown.response.status;
out.sticky = iterate(await load("sticky", {EDGE_URLS: `${A},${B}`, FAILBACK_SECONDS: "3600"}), 3, {[A]: 0});
const back = await load("failback", {EDGE_URLS: `${A},${B}`, FAILBACK_SECONDS: "0"});
out.homeStillDown = iterate(back, 2, {[A]: 503});
out.homeBack = iterate(back, 2, {});
out.badBatch = iterate(await load("bad", {EDGE_URLS: `${A},${B}`}), 1, {[A]: 400});
out.busy = iterate(await load("busy", {EDGE_URLS: `${A},${B}`}), 1, {[A]: 429});
out.single = iterate(await load("single", {EDGE_URL: A}), 1, {[A]: 503});
console.log(JSON.stringify(out));
"""
    )
    done = subprocess.run([node, str(runner)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    out = orjson.loads(done.stdout)
    a, b = "http://a:1", "http://b:2"
    assert out["urls"] == [[a, b], [a], ["http://127.0.0.1:8090"]]
    assert out["failsOver"] == [True, True, False, False, False, False, False]
    assert out["startEdge"] == [{"current": 1, "awaySince": 1000}, {"current": 0, "awaySince": None}] + [
        {"current": 0, "awaySince": None}
    ]
    assert out["plan"] == {
        "response": 200,
        "state": {"current": 2, "awaySince": 7},
        "moves": [{"from": a, "to": b}, {"from": b, "to": "http://c:3"}],
    }
    assert out["allDown"]["response"] == 0 and len(out["allDown"]["moves"]) == 2  # one try each, then give up
    assert out["allDown"]["state"] == {"current": 1, "awaySince": 7}  # came home, left it again: away from now

    def posts(run: dict[str, Any]) -> list[str]:
        return [url.removesuffix("/v1/events") for url in run["posts"]]

    def added(run: dict[str, Any], counter: str) -> list[tuple[int, Any]]:
        return [(value, tags) for name, value, tags in run["adds"] if name == counter]

    def failovers(run: dict[str, Any]) -> list[Any]:
        return [tags for _, tags in added(run, "edge_failovers")]

    assert posts(out["sticky"]) == [a, b, b, b] and failovers(out["sticky"]) == [{"from": a, "to": b}]
    assert sum(value for value, _ in added(out["sticky"], "edge_events_accepted")) == 6  # 3 batches of 2 landed
    assert posts(out["homeStillDown"]) == [a, b, a, b] and len(failovers(out["homeStillDown"])) == 2
    assert posts(out["homeBack"]) == [a, a] and failovers(out["homeBack"]) == []
    assert posts(out["badBatch"]) == [a] and failovers(out["badBatch"]) == []
    assert posts(out["busy"]) == [a] and added(out["busy"], "edge_backpressure") == [(1, None)]
    assert posts(out["single"]) == [a] and added(out["single"], "edge_backpressure") == [(1, None)]
    assert failovers(out["single"]) == []  # one edge: a 503 is backpressure, as before
