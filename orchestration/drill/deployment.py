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


def main() -> None:  # noqa: PLR0915 - the loop reads best as one story
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.defs.bronze.regions import all_bronzes
    from orchestration.defs.replication.pairs import Pair
    from orchestration.defs.shared.resources import shared_resources
    from orchestration.lib.failover import tick
    from orchestration.lib.lease import FencedError
    from orchestration.runner import RunSummary, build_warehouse, land_region
    from orchestration.settings import get_settings

    logging.basicConfig(level=logging.WARNING)
    settings = get_settings()
    home = settings.lake.primary_region
    journal = Journal(Path(os.environ["MERIDIAN_DRILL_JOURNAL"]))
    out = journal.path.parent
    interval_s = float(os.environ.get("MERIDIAN_DRILL_CYCLE_SECONDS", "2"))
    state_file = Path(os.environ["DAGSTER_HOME"]) / STATE
    defs = build_definitions(settings)
    kafka, lake = shared_resources(settings)
    instance = dg.DagsterInstance.get()
    journal.write("started", region=home, instance=type(instance.run_storage).__name__)
    believed = orjson.loads(state_file.read_bytes()) if state_file.exists() else None
    built_after = 0.0  # landings and replications since the last gold build
    gold_builds = 0
    while True:
        began = time.monotonic()
        summary = RunSummary()
        if believed is not None and believed.get("holder") == home:
            # Back from the dead believing it held the lease: what a stale primary does first is resume its
            # build, under the epoch it remembers. The fence must refuse it.
            epoch = int(believed["epoch"])
            try:
                lake.leases().fence(home, epoch)
                journal.write("resumed", region=home, epoch=epoch)
            except FencedError as exc:
                journal.write("fenced", region=home, epoch=epoch, by="lease.fence", error=str(exc))
                stale = RunSummary()
                build_warehouse(defs, settings, instance, stale)  # the real job: its silver step must refuse
                refused = [e for e in stale.errors if "fenced off global aggregation" in e]
                journal.write(
                    "fenced",
                    region=home,
                    epoch=epoch,
                    by="warehouse_job",
                    refused=bool(refused),
                    ok=stale.success,
                    error=(refused or stale.errors or [""])[0][:500],
                )
            believed = None
        result = tick(
            lake.leases(),
            lake.lease_storage(),
            home,
            lake.aggregation_region,
            list(settings.lake.regions),
            settings.dr.failover_after_seconds,
            by=f"{home}/drill-deployment",
        )
        holder = result.lease.aggregation_region
        state_file.write_bytes(orjson.dumps({"holder": holder, "epoch": result.lease.epoch}))
        journal.write(
            "tick",
            region=home,
            holder=holder,
            epoch=result.lease.epoch,
            promoted=result.promoted,
            holder_silent_s=result.decision.holder_silent_s,
            reason=result.decision.reason,
        )
        for bronze in all_bronzes(settings):
            landed_before = summary.landed
            try:
                land_region(defs, settings, instance, summary, bronze)
            except Exception as exc:  # noqa: BLE001 - a mirror whose topic is not there yet, a Kafka blip: next cycle
                journal.write("land_error", region=home, bronze=bronze.key.to_user_string(), error=repr(exc)[:500])
                continue
            if summary.landed > landed_before:
                built_after += summary.landed - landed_before
                journal.write(
                    "landed", region=home, bronze=bronze.key.to_user_string(), rows=summary.landed - landed_before
                )
        job = defs.resolve_job_def("replication_job")
        for source in settings.lake.regions:
            if source == home:
                continue
            if not reachable(lake.storage(source), settings.dr.probe_timeout_seconds):
                journal.write("unreachable", region=home, store_of=source)
                continue
            pair = Pair(source, home)
            run = job.execute_in_process(instance=instance, asset_selection=[pair.key], raise_on_error=False)
            files = 0
            for mat in run.get_asset_materialization_events():
                meta = mat.event_specific_data.materialization.metadata
                files += int(meta["files_copied"].value) if "files_copied" in meta else 0
            if files:
                built_after += files
            journal.write("replicated", region=home, source=source, ok=run.success, files=files)
        if holder == home and (built_after > 0 or gold_builds == 0):
            started = datetime.now(UTC)
            build = RunSummary()
            try:
                build_warehouse(defs, settings, instance, build)
            except FencedError as exc:
                build.success = False
                build.errors.append(str(exc))
            fenced = any("fenced off global aggregation" in e for e in build.errors)
            snapshot = None
            if build.success:
                gold_builds += 1
                built_after = 0
                snapshot = _snapshot(settings, out / f"gold-{home}-{gold_builds:04d}.json")
            journal.write(
                "gold",
                region=home,
                epoch=result.lease.epoch,
                ok=build.success,
                fenced=fenced,
                started=started.isoformat(),
                snapshot=snapshot,
                errors=build.errors[:3],
                failed_checks=build.failed_checks,
            )
        time.sleep(max(0.0, interval_s - (time.monotonic() - began)))


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
