"""One region's Dagster, headless, as the drill runs it: ``python -m orchestration.drill.deployment``.

A region's deployment does what its sensors would, in a loop, through the same jobs (in process, on
the instance ``DAGSTER_HOME`` names, PostgreSQL or SQLite): a failover tick (heartbeat, and take the
lease over from a silent holder), land its own bronze and the mirrors MirrorMaker keeps in its
cluster, pull the replicas of every reachable region into its store, and, while it holds the
aggregation lease, build global silver and gold. Everything it does is appended to a JSON-lines
journal (``MERIDIAN_DRILL_JOURNAL``) that the drill reads for its timeline; after each gold build
it writes gold's event ids and hourly counts beside it, so the drill can compare them with its own
log of acknowledged events without opening this region's DuckDB.

What the deployment decides comes from the lake (ledgers, manifests) and the lease, never from the
instance: a deployment started on an empty instance resumes exactly where the lake says.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger("meridian.drill.deployment")

STATE = "deployment-state.json"  # what this deployment last believed about the lease


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, kind: str, **fields: Any) -> None:
        line = orjson.dumps({"at": datetime.now(UTC).isoformat(), "kind": kind, **fields}, default=str)
        with self.path.open("ab") as out:
            out.write(line + b"\n")


def reachable(storage: Any, timeout_s: float) -> bool:
    """Whether ``storage`` answers a listing within ``timeout_s`` (a thread, so a hung client cannot stall us)."""
    pool = ThreadPoolExecutor(1)
    try:
        pool.submit(storage.list, "lease-probe/").result(timeout=timeout_s)
        return True
    except FutureTimeout:
        return False
    except Exception:  # noqa: BLE001 - any failure to answer is "not reachable"; the reason is not needed here
        return False
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class Ticker(threading.Thread):
    """The failover sensor's twin: beat and decide every ``tick_s``, whatever the main loop is doing."""

    def __init__(self, lake: Any, settings: Any, journal: Journal, state_file: Path) -> None:
        super().__init__(name="failover-ticker", daemon=True)
        self.lake, self.settings, self.journal, self.state_file = lake, settings, journal, state_file
        self.tick_s = min(2.0, settings.dr.failover_after_seconds / 4)
        self._latest: Any = None
        self._ready = threading.Event()

    def latest(self) -> Any:
        self._ready.wait(60)
        return self._latest

    def run(self) -> None:
        from orchestration.lib.failover import tick

        home = self.settings.lake.primary_region
        last_reason = None
        while True:
            try:
                result = tick(
                    self.lake.leases(),
                    self.lake.lease_storage(),
                    home,
                    self.lake.aggregation_region,
                    list(self.settings.lake.regions),
                    self.settings.dr.failover_after_seconds,
                    by=f"{home}/drill-deployment",
                )
            except Exception as exc:  # noqa: BLE001 - the lease store blipped: the next tick tries again
                self.journal.write("tick_error", region=home, error=repr(exc)[:300])
                time.sleep(self.tick_s)
                continue
            self._latest = result
            self._ready.set()
            self.state_file.write_bytes(
                orjson.dumps({"holder": result.lease.aggregation_region, "epoch": result.lease.epoch})
            )
            reason = (result.lease.epoch, result.decision.reason.split(" (")[0])
            if result.promoted or reason != last_reason:
                self.journal.write(
                    "tick",
                    region=home,
                    holder=result.lease.aggregation_region,
                    epoch=result.lease.epoch,
                    promoted=result.promoted,
                    holder_silent_s=result.decision.holder_silent_s,
                    reason=result.decision.reason,
                )
                last_reason = reason
            time.sleep(self.tick_s)


class RegionDeployment:
    """The loop's state and its steps; each step is what one of the region's sensors would start."""

    def __init__(self) -> None:
        import dagster as dg

        from orchestration.definitions import build_definitions
        from orchestration.defs.shared.resources import shared_resources
        from orchestration.settings import get_settings

        self.settings = settings = get_settings()
        self.home = settings.lake.primary_region
        self.journal = Journal(Path(os.environ["MERIDIAN_DRILL_JOURNAL"]))
        self.interval_s = float(os.environ.get("MERIDIAN_DRILL_CYCLE_SECONDS", "2"))
        state_file = Path(os.environ["DAGSTER_HOME"]) / STATE
        self.defs = build_definitions(settings)
        self.kafka, self.lake = shared_resources(settings)
        self.instance = dg.DagsterInstance.get()
        self.journal.write("started", region=self.home, instance=type(self.instance.run_storage).__name__)
        self.believed = orjson.loads(state_file.read_bytes()) if state_file.exists() else None
        self.ticker = Ticker(self.lake, settings, self.journal, state_file)
        self.changes = 0  # landings and replications since the last gold build
        self.gold_builds = 0
        self.first_tried = False

    def run(self) -> None:
        self.ticker.start()  # like the daemon's sensor: ticks on its own, however long a run of this loop takes
        while True:
            began = time.monotonic()
            try:
                self.cycle()
            except Exception as exc:  # noqa: BLE001 - a deployment outlives a bad cycle, as the daemon a bad run
                log.exception("cycle failed")
                self.journal.write("cycle_error", region=self.home, error=repr(exc)[:500])
            time.sleep(max(0.0, self.interval_s - (time.monotonic() - began)))

    def cycle(self) -> None:
        if self.believed is not None and self.believed.get("holder") == self.home:
            self.resume_as_stale_primary(int(self.believed["epoch"]))
        self.believed = None
        holder = self.ticker.latest().lease.aggregation_region
        self.land()
        self.replicate()
        if holder == self.home and (self.changes > 0 or not self.first_tried):
            self.first_tried = True  # a new holder builds once from what the lake holds, then on each change
            self.build_gold(self.ticker.latest().lease.epoch)

    def resume_as_stale_primary(self, epoch: int) -> None:
        """Back from the dead believing it held the lease, a stale primary resumes its build under the epoch
        it remembers: the lease's fence, then the real warehouse job, must refuse it."""
        from orchestration.lib.lease import FencedError
        from orchestration.runner import RunSummary, build_warehouse

        try:
            self.lake.leases().fence(self.home, epoch)
            self.journal.write("resumed", region=self.home, epoch=epoch)
            return
        except FencedError as exc:
            self.journal.write("fenced", region=self.home, epoch=epoch, by="lease.fence", error=str(exc))
        stale = RunSummary()
        build_warehouse(self.defs, self.settings, self.instance, stale, reference=False)  # silver must refuse
        refused = [e for e in stale.errors if "fenced off global aggregation" in e]
        self.journal.write(
            "fenced",
            region=self.home,
            epoch=epoch,
            by="warehouse_job",
            refused=bool(refused),
            ok=stale.success,
            error=(refused or stale.errors or [""])[0][:500],
        )

    def land(self) -> None:
        from orchestration.defs.bronze.regions import all_bronzes
        from orchestration.runner import RunSummary, land_region

        for bronze in all_bronzes(self.settings):
            summary = RunSummary()
            name = bronze.key.to_user_string()
            land_region(self.defs, self.settings, self.instance, summary, bronze, rounds=1)
            if not summary.success:
                self.journal.write("land_failed", region=self.home, bronze=name, errors=summary.errors[:3])
            elif summary.landed:
                self.changes += summary.landed
                self.journal.write("landed", region=self.home, bronze=name, rows=summary.landed)

    def replicate(self) -> None:
        """Pull every reachable region's ranges into this region's store (a lost one is skipped, not waited on)."""
        from orchestration.defs.replication.pairs import Pair

        job = self.defs.resolve_job_def("replication_job")
        for source in self.settings.lake.regions:
            if source == self.home:
                continue
            if not reachable(self.lake.storage(source), self.settings.dr.probe_timeout_seconds):
                self.journal.write("unreachable", region=self.home, store_of=source)
                continue
            run: Any = job.execute_in_process(
                instance=self.instance, asset_selection=[Pair(source, self.home).key], raise_on_error=False
            )
            files = 0
            for mat in run.get_asset_materialization_events():
                meta = mat.event_specific_data.materialization.metadata
                files += int(meta["files_copied"].value) if "files_copied" in meta else 0
            self.changes += files
            if files or not run.success:
                self.journal.write("replicated", region=self.home, source=source, ok=run.success, files=files)

    def build_gold(self, epoch: int) -> None:
        from orchestration.runner import RunSummary, build_warehouse

        started = datetime.now(UTC)
        build = RunSummary()
        self.changes = 0
        # the reference tables (seeds, dimensions) once per warehouse, not with every build
        build_warehouse(self.defs, self.settings, self.instance, build, reference=self.gold_builds == 0)
        built = build.success and build.built_days is not None  # nothing landed anywhere yet: no gold
        snapshot = None
        if built:
            self.gold_builds += 1
            path = self.journal.path.parent / f"gold-{self.home}-{self.gold_builds:04d}.json"
            snapshot = _snapshot(self.settings, path)
        self.journal.write(
            "gold",
            region=self.home,
            epoch=epoch,
            ok=built,
            days=build.built_days,
            fenced=any("fenced off global aggregation" in e for e in build.errors),
            started=started.isoformat(),
            snapshot=snapshot,
            errors=build.errors[:3],
            failed_checks=build.failed_checks,
        )


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    RegionDeployment().run()


def _snapshot(settings: Any, path: Path) -> str:
    """Gold's event ids and hourly counts per region, as the drill's independent computation compares them."""
    import duckdb

    con = duckdb.connect(str(settings.warehouse.duckdb_path), read_only=True)
    try:
        ids = [row[0] for row in con.execute("select event_id from gold.fct_events").fetchall()]
        hourly = con.execute(
            "select region, cast(event_hour as varchar), events from gold.fct_region_hourly_metrics"
        ).fetchall()
    finally:
        con.close()
    doc = {"event_ids": ids, "hourly": [list(row) for row in hourly], "at": datetime.now(UTC).isoformat()}
    path.write_bytes(orjson.dumps(doc))
    return str(path)


if __name__ == "__main__":
    main()
