"""A local multi-region platform whose regions can really be lost: the drill's world.

Every region has its own KRaft broker, its own MirrorMaker 2 pulling the other regions' events topic
into its cluster, its own edge collector (``meridian edge``, disk buffer and all), its own lake store
in a folder of its own, and its own Dagster deployment (:mod:`orchestration.drill.deployment`) on its
own instance. The lakes are folders because the local warehouse, DuckDB, reads Parquet from the local
filesystem only (its S3 and GCS reader, httpfs, is an extension it downloads); losing a region's store
replaces its folder with a file, so every read, listing and write fails as with a lost mount, and
bringing it back puts the folder back untouched. The S3 and GCS backends' own faults are tested on
real servers elsewhere (tests/integration/test_replication_store_faults.py).

The aggregation lease lives in a folder outside every region: it stands for the multi-region bucket
production keeps it in. Losing a region is ``kill -9`` of its broker, MirrorMaker, edge and Dagster,
and its lake folder taken away; bringing it back restarts each on the same ports over the same disks.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from orchestration.lib.child_env import settings_env
from orchestration.lib.dagster_instance import (
    POSTGRES_URL_ENV,
    DagsterStorage,
    instance_postgres_url,
    write_instance_yaml,
)
from orchestration.platform import DAGSTER_YAML
from orchestration.settings import PlatformSettings
from streaming.edge.auth import mint_key
from streaming.kafka.admin import ensure_topic
from streaming.kafka.broker import LocalBroker, free_port
from streaming.kafka.mirror import LocalMirrorMaker
from streaming.kafka.settings import KafkaSettings
from streaming.kafka.topics import EVENTS_RAW

log = logging.getLogger(__name__)

PARTITIONS = 3


@dataclass
class Process:
    """A child started in its own process group (so kill -9 reaches all it started), logging to a file."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_file: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args, stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
            )
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def tail(self, lines: int = 30) -> str:
        if not self.log_file.exists():
            return "(no log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class FolderStore:
    """A region's lake folder, which can be taken away and given back."""

    path: Path

    @property
    def away(self) -> Path:
        return self.path.with_name(self.path.name + ".lost")

    def kill(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.path.rename(self.away)
        self.path.write_text("this region's lake is lost (meridian dr drill)\n")

    def start(self) -> None:
        if self.away.exists():
            self.path.unlink(missing_ok=True)
            self.away.rename(self.path)
        self.path.mkdir(parents=True, exist_ok=True)


@dataclass
class Region:
    name: str
    home: Path
    broker: LocalBroker
    store: FolderStore
    edge_port: int = field(default_factory=free_port)
    mirror: LocalMirrorMaker | None = None
    edge: Process | None = None
    deployment: Process | None = None
    instance: int = 0  # how many Dagster instances this region's deployment has been started on

    @property
    def edge_url(self) -> str:
        return f"http://127.0.0.1:{self.edge_port}"

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=self.broker.bootstrap_servers)

    @property
    def journal(self) -> Path:
        return self.home.parent / "journal" / f"{self.name}.jsonl"


def _wait(what: str, ready: Callable[[], bool], timeout_s: float, process: Process | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and not process.running:
            raise RuntimeError(f"{what} exited:\n{process.tail()}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout_s:.0f} s" + (f":\n{process.tail()}" if process else ""))


class DrillCluster:
    """The regions, their settings and every process; :meth:`lose` and :meth:`restore` a region."""

    def __init__(
        self,
        home: Path,
        regions: list[str],
        *,
        failover_after_s: float,
        cycle_s: float = 2.0,
        postgres_url: Callable[[str], str] | None = None,
    ) -> None:
        if len(regions) < 2 or len(regions) > 3:
            raise ValueError(f"the drill runs two or three regions, got {regions}")
        self.home = home
        self.names = regions
        self.failover_after_s = failover_after_s
        self.cycle_s = cycle_s
        self.postgres_url = postgres_url  # instance name -> PostgreSQL URL; None: each instance on SQLite
        self.key, key_entry = mint_key("drill")
        self.key_entries = [key_entry]
        self.regions: dict[str, Region] = {}
        for name in regions:
            rhome = home / name
            self.regions[name] = Region(
                name=name,
                home=rhome,
                broker=LocalBroker(home=rhome / "kafka", partitions=PARTITIONS, heap="512m"),
                store=FolderStore(rhome / "lake"),
            )

    # -- settings ---------------------------------------------------------------------------------------

    def store_uri(self, region: str) -> str:
        return f"file://{self.regions[region].store.path.absolute()}"

    def settings(self, region: str) -> PlatformSettings:
        """Region ``region``'s deployment: its own cluster, the others' for mirror lag, DR on."""
        me = self.regions[region]
        base = PlatformSettings.under(me.home, me.broker.bootstrap_servers, EVENTS_RAW)
        return base.replaced(
            kafka={
                "region_bootstrap_servers": {
                    n: r.broker.bootstrap_servers for n, r in self.regions.items() if n != region
                },
            },
            lake={
                "regions": self.names,
                "primary_region": region,
                "aggregation_region": self.names[0],
                "stores": {n: self.store_uri(n) for n in self.names},
                "root": me.home / "lake-root",
            },
            warehouse={"duckdb_path": me.home / "warehouse.duckdb"},
            dr={
                "enabled": True,
                "lease_store": f"file://{(self.home / 'global').absolute()}",
                "failover_after_seconds": self.failover_after_s,
                "probe_timeout_seconds": min(3.0, self.failover_after_s / 2),
            },
        )

    # -- processes --------------------------------------------------------------------------------------

    def start(self) -> None:
        """Every region's broker side by side, then lakes and topics, MirrorMakers side by side, edges, Dagsters."""
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda r: r.broker.start(120), self.regions.values()))
        for region in self.regions.values():
            region.store.start()
            ensure_topic(region.kafka, EVENTS_RAW, PARTITIONS)
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(self._start_mirror, self.names))
        for name in self.names:
            self._start_edge(name)
            self.start_deployment(name)

    def _start_mirror(self, name: str) -> None:
        region = self.regions[name]
        clusters = {n: r.broker.bootstrap_servers for n, r in self.regions.items()}
        region.mirror = LocalMirrorMaker(
            home=region.home / "mirror-maker", clusters=clusters, target=name, topics=[EVENTS_RAW]
        )
        region.mirror.start(timeout_s=120)

    def _start_edge(self, name: str) -> None:
        region = self.regions[name]
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": region.broker.bootstrap_servers,
            "MERIDIAN_EDGE_API_KEYS": json.dumps(self.key_entries),
            "MERIDIAN_EDGE_REGION": name,
            "MERIDIAN_EDGE_ID": f"edge-drill-{name}",
            "MERIDIAN_EDGE_KAFKA_TIMEOUT_SECONDS": "3",
            "MERIDIAN_EDGE_BACKOFF_MAX_SECONDS": "1",
            "TYPER_USE_RICH": "0",
        }
        args = [str(Path(sys.executable).with_name("meridian")), "edge", "--port", str(region.edge_port)]
        args += ["--buffer-dir", str(region.home / "edge-buffer")]
        region.edge = Process(f"edge-{name}", args, env, region.home / "edge.log").start()
        _wait(f"edge {name}", lambda: _answers(f"{region.edge_url}/healthz"), 60, region.edge)

    def start_deployment(self, name: str, *, fresh_instance: bool = False) -> None:
        """Region ``name``'s Dagster; ``fresh_instance`` starts it on an empty instance (a new DAGSTER_HOME
        and, on PostgreSQL, a new database), as a Dagster brought up from nothing in a surviving region."""
        region = self.regions[name]
        if fresh_instance or region.instance == 0:
            region.instance += 1
        dagster_home = region.home / f"dagster-{region.instance}"
        storage = DagsterStorage.POSTGRES if self.postgres_url else DagsterStorage.SQLITE
        write_instance_yaml(dagster_home, DAGSTER_YAML.read_text(), storage)
        extra = {}
        if self.postgres_url is not None:
            extra[POSTGRES_URL_ENV] = instance_postgres_url(self.postgres_url(f"dagster_{name}_{region.instance}"))
        env = {
            **extra,
            **os.environ,
            **settings_env(self.settings(name)),
            "DAGSTER_HOME": str(dagster_home.absolute()),
            "MERIDIAN_DRILL_JOURNAL": str(region.journal),
            "MERIDIAN_DRILL_CYCLE_SECONDS": str(self.cycle_s),
        }
        args = [sys.executable, "-m", "orchestration.drill.deployment"]
        log_file = region.home / f"deployment-{region.instance}.log"
        region.deployment = Process(f"dagster-{name}", args, env, log_file).start()

    def lose(self, name: str) -> None:
        """kill -9 everything of region ``name``: Dagster, edge, MirrorMaker, broker, store."""
        region = self.regions[name]
        _kill_processes(region)
        region.store.kill()

    def restore(self, name: str) -> None:
        """Region ``name`` back on the same ports and disks: its edge forwards what its buffer kept."""
        region = self.regions[name]
        region.store.start()
        region.broker.start(timeout_s=120)
        self._start_mirror(name)
        self._start_edge(name)
        self.start_deployment(name)  # its old instance: a stale primary coming back as it was

    def stop(self) -> None:
        for region in self.regions.values():
            _kill_processes(region)

    def describe(self) -> dict[str, Any]:
        return {
            name: {
                "kafka": r.broker.bootstrap_servers,
                "edge": r.edge_url,
                "store": self.store_uri(name),
                "journal": str(r.journal),
            }
            for name, r in self.regions.items()
        }


def _kill_processes(region: Region) -> None:
    """kill -9 of a region's Dagster, edge, MirrorMaker and broker (its disks stay for a restart)."""
    for process in (region.deployment, region.edge):
        if process is not None:
            process.kill()
    if region.mirror is not None:
        region.mirror.kill()
    region.broker.kill()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
