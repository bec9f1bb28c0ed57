"""One local Prometheus server (Debian's ``prometheus``) scraping the local services with the chart's rules.

Used by ``meridian up`` and by the tests, like :class:`orchestration.lib.local_postgres.LocalPostgres`:
its configuration, TSDB and log live under ``home``. It loads the same rule file the Helm chart embeds
in its PrometheusRule (``deploy/helm/meridian/files/prometheus-rules.yaml``), so what fires on a laptop
is what fires in a cluster. Targets carry a ``region`` label, as the chart's ServiceMonitors relabel it
from the pods' ``meridian.io/region`` label, so rules and dashboards select regions the same way.

The server listens on 127.0.0.1 only; nothing here is meant to be reached from another machine.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

log = logging.getLogger(__name__)

# The chart's rule file, found from the working directory like the Kafka jars (``meridian up`` runs from a
# checkout): an installed package never reaches for the repository it was built from.
RULES = Path("deploy") / "helm" / "meridian" / "files" / "prometheus-rules.yaml"


class PrometheusError(RuntimeError):
    pass


@dataclass(frozen=True)
class ScrapeTarget:
    """One ``/metrics`` endpoint: its job (as the chart's Service names it), address and target labels."""

    job: str
    address: str  # host:port
    labels: Mapping[str, str] = field(default_factory=dict)
    path: str = "/metrics"


def prometheus_config(
    targets: Iterable[ScrapeTarget],
    rule_files: Sequence[Path] = (),
    interval_s: float = 5.0,
    evaluation_s: float | None = None,
) -> dict[str, Any]:
    """The server's ``prometheus.yml``: one scrape job per (job, path), each target with its labels."""
    jobs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for target in targets:
        entry = {"targets": [target.address], "labels": dict(target.labels)}
        jobs.setdefault((target.job, target.path), []).append(entry)
    interval = f"{interval_s:g}s"
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": f"{evaluation_s or interval_s:g}s"},
        "rule_files": [str(path.absolute()) for path in rule_files],
        "scrape_configs": [
            {"job_name": job, "metrics_path": path, "static_configs": static}
            for (job, path), static in sorted(jobs.items())
        ],
    }


def local_targets(edges: Mapping[str, str], primary: str, stream: str, exporter: str) -> list[ScrapeTarget]:
    """``meridian up``'s targets: each region's edge (region -> URL), the primary's stream and the exporter,
    under the job names the chart's Services give them."""
    targets = [
        ScrapeTarget("meridian-edge", url.removeprefix("http://"), {"region": region}) for region, url in edges.items()
    ]
    return [
        *targets,
        ScrapeTarget("meridian-stream", stream, {"region": primary}),
        ScrapeTarget("meridian-exporter", exporter, {"region": primary}),
    ]


def find_binary(name: str = "prometheus") -> str:
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if found is None:
        raise PrometheusError(f"{name} not found: install Debian's prometheus package (`make setup` does)")
    return found


@dataclass
class LocalPrometheus:
    home: Path
    port: int
    config: dict[str, Any]
    retention: str = "2d"
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.home / "prometheus.log"

    @property
    def config_file(self) -> Path:
        return self.home / "prometheus.yml"  # written as JSON, which is YAML too

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout_s: float = 30.0) -> LocalPrometheus:
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file.write_bytes(orjson.dumps(self.config, option=orjson.OPT_INDENT_2))
        cmd = [
            find_binary(),
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.home / 'data'}",
            f"--storage.tsdb.retention.time={self.retention}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",  # POST /-/reload picks up a rewritten config
        ]
        with self.log_file.open("ab") as out:
            self._proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.is_running():
                raise PrometheusError(f"prometheus exited at start; see {self.log_file}:\n{self.tail_log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise PrometheusError(f"prometheus not ready within {timeout_s:.0f}s; see {self.log_file}")

    def tail_log(self, lines: int = 30) -> str:
        if not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def reload(self, config: dict[str, Any]) -> None:
        """Swap the configuration of the running server (targets, rules) without losing its data."""
        self.config = config
        self.config_file.write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2))
        httpx.post(f"{self.url}/-/reload", timeout=10).raise_for_status()

    def _api(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = response.json()
        if body.get("status") != "success":
            raise PrometheusError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result (a vector's samples; a scalar as one sample without labels)."""
        data = self._api("query", query=expr)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        return list(data["result"])

    def alerts(self) -> list[dict[str, Any]]:
        return list(self._api("alerts")["alerts"])

    def targets(self) -> list[dict[str, Any]]:
        return list(self._api("targets")["activeTargets"])

    def metric_names(self) -> set[str]:
        return set(self._api("label/__name__/values"))

    def stop(self, timeout_s: float = 20.0) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        self._proc = None
