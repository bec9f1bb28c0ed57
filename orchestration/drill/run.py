"""``meridian dr drill``: lose a region under live traffic, recover, fail back, and measure it.

The phases, each bounded in time:

1. **Steady**: every region up, clients posting through their home edges, the aggregation region
   (the first) building global gold, MirrorMaker mirroring, replication copying.
2. **Kill**: what the lost region alone holds is sampled (mirror lag, replication lag, its edge's
   buffer), then its Dagster, edge, MirrorMaker, broker and store get kill -9. Clients fail over.
   The survivor's Dagster is restarted on an empty instance (``fresh_instance``), as one brought up
   from nothing in a surviving region: it must resume from the lake and the lease alone.
3. **Recovery**: the survivor sees the holder's heartbeat go stale, takes the lease, lands the lost
   region's mirrored topic and its own traffic, and builds global gold (RTO).
4. **Failback**: the lost region returns on its old disks and instance. Its edge forwards what it
   buffered, its Kafka is mirrored and replicated, and its Dagster, a stale primary, must be fenced.
   Traffic stops; the survivor's gold must then hold every acknowledged event once.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from orchestration.drill.cluster import DrillCluster
from orchestration.drill.report import DrillReport, Goals, Phase, compare_gold, since
from orchestration.drill.traffic import DrillTraffic, read_log

log = logging.getLogger(__name__)


@dataclass
class DrillOptions:
    home: Path
    regions: tuple[str, ...] = ("us", "eu")
    lose: str | None = None  # default: the aggregation region (the first)
    rate: float = 20.0  # events per second, all clients together
    failover_after_s: float = 10.0
    steady_s: float = 20.0  # traffic after the first global gold, before the kill
    outage_traffic_s: float = 10.0  # traffic after recovery, while the region is still down
    failback_traffic_s: float = 10.0  # traffic after the region is back
    recovery_timeout_s: float = 300.0
    converge_timeout_s: float = 300.0
    fresh_instance: bool = True
    postgres: bool = True
    cycle_s: float = 2.0  # each deployment's loop: land, replicate, build (the sensors' ticks)
    steady_gold: bool = True  # wait for the aggregation region's first gold before the kill (else: its first landings)
    goals: Goals | None = None


class Journals:
    """The deployments' journals, read as they grow."""

    def __init__(self, cluster: DrillCluster) -> None:
        self.cluster = cluster

    def entries(self, region: str, kind: str | None = None, after: datetime | None = None) -> list[dict[str, Any]]:
        path = self.cluster.regions[region].journal
        if not path.exists():
            return []
        out = []
        for raw in path.read_bytes().splitlines():
            try:
                entry = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            entry["at"] = datetime.fromisoformat(entry["at"])
            if (kind is None or entry["kind"] == kind) and (after is None or entry["at"] >= after):
                out.append(entry)
        return out

    def first(self, region: str, kind: str, after: datetime, where: Callable[[dict[str, Any]], bool] = bool) -> Any:
        return next((e for e in self.entries(region, kind, after) if where(e)), None)


def wait_until(what: str, found: Callable[[], Any], timeout_s: float, alive: Callable[[], None]) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        alive()
        value = found()
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError(f"{what}: not within {timeout_s:.0f} s")


def run_drill(options: DrillOptions, say: Callable[[str], None] = print) -> DrillReport:
    home = options.home.absolute()
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    regions = list(options.regions)
    lost = options.lose or regions[0]
    if lost not in regions:
        raise ValueError(f"--lose {lost!r} is not one of the drill's regions {regions}")
    survivor = next(r for r in regions if r != lost)
    postgres = _postgres() if options.postgres else None
    cluster = DrillCluster(
        home / "regions",
        regions,
        failover_after_s=options.failover_after_s,
        cycle_s=options.cycle_s,
        postgres_url=(lambda db: postgres.create_database(db)) if postgres else None,
    )
    if cluster.regions[lost].store is None:
        raise ValueError(
            f"{lost}'s store is a local folder, which cannot be taken away: lose {regions[0]} or {regions[1]}"
        )
    journals = Journals(cluster)
    traffic_log = home / "acknowledged.jsonl"
    started = datetime.now(UTC)
    errors: list[str] = []
    report_parts: dict[str, Any] = {}
    try:
        say(f"starting {', '.join(regions)}: brokers, stores, MirrorMakers, edges, Dagsters ({home})")
        cluster.start()
        traffic = DrillTraffic(
            {name: r.edge_url for name, r in cluster.regions.items()}, cluster.key, options.rate, traffic_log
        )
        traffic.start()
        names = {r.edge_url: f"{name} edge" for name, r in cluster.regions.items()}

        def alive() -> None:
            for name, region in cluster.regions.items():
                if region.deployment is not None and not region.deployment.running and name != lost:
                    raise RuntimeError(f"{name}'s Dagster exited:\n{region.deployment.tail()}")

        aggregation = regions[0]
        if options.steady_gold:
            say(f"steady: waiting for the first global gold in {aggregation}")
            wait_until(
                "first global gold", lambda: journals.first(aggregation, "gold", started, lambda e: e["ok"]), 600, alive
            )
        else:
            say(f"steady: waiting for {survivor} to land {lost}'s mirror and its replicas")
            mirror = f"bronze/{lost}/via_{survivor}/events"
            wait_until(
                "the mirror landed",
                lambda: (
                    journals.first(survivor, "landed", started, lambda e: e["bronze"] == mirror)
                    and journals.first(survivor, "replicated", started, lambda e: e["source"] == lost and e["files"])
                ),
                600,
                alive,
            )
        time.sleep(options.steady_s)
        at_risk = _at_risk(cluster, lost, survivor)
        killed = datetime.now(UTC)
        say(f"kill -9 of region {lost} (Dagster, edge, MirrorMaker, broker; its lake taken away); at risk: {at_risk}")
        cluster.lose(lost)
        instance = "the one it ran on"
        if options.fresh_instance:
            cluster.regions[survivor].deployment.kill()  # type: ignore[union-attr]
            cluster.start_deployment(survivor, fresh_instance=True)
            instance = f"fresh, started at the kill ({'PostgreSQL' if postgres else 'SQLite'} database #"
            instance += f"{cluster.regions[survivor].instance}, empty)"
        say(f"recovery: waiting for {survivor} to take the lease and build global gold")
        gold = wait_until(
            "fresh global gold in the survivor",
            lambda: journals.first(survivor, "gold", killed, lambda e: e["ok"] and e["epoch"] > 1),
            options.recovery_timeout_s,
            alive,
        )
        recovered = read_log(traffic_log)
        before_kill = recovered.acked_before(killed)
        recovery_ids = set(_snapshot(gold)["event_ids"])
        rpo_recovery = len(before_kill - recovery_ids)
        phases = _phases(journals, survivor, killed, options.failover_after_s, gold)
        time.sleep(options.outage_traffic_s)
        say(f"failback: region {lost} returns on its old disks and instance")
        back = datetime.now(UTC)
        cluster.restore(lost)
        fenced = wait_until(
            "the stale primary fenced",
            lambda: [e for e in journals.entries(lost, "fenced", back) if e.get("by") == "warehouse_job"],
            240,
            alive,
        )
        time.sleep(options.failback_traffic_s)
        traffic.stop()
        final_log = read_log(traffic_log)
        acked = set(final_log.acked)
        say(f"traffic stopped: {len(acked)} events acknowledged; waiting for every one of them in {survivor}'s gold")
        stopped = datetime.now(UTC)

        def converged() -> Any:
            last = [e for e in journals.entries(survivor, "gold", stopped) if e["ok"]]
            if not last:
                return None
            snap = _snapshot(last[-1])
            return snap if acked <= set(snap["event_ids"]) else None

        try:
            final = wait_until("failback convergence", converged, options.converge_timeout_s, alive)
        except TimeoutError as exc:
            errors.append(str(exc))
            last = [e for e in journals.entries(survivor, "gold", stopped) if e["ok"]]
            final = _snapshot(last[-1]) if last else None
        rpo_failback = doubles = None
        matches = None
        mismatches: list[str] = []
        if final is not None:
            ids = final["event_ids"]
            rpo_failback = len(acked - set(ids))
            # the independent computation: every event that should be in gold, from the clients' own log
            expected_ids = acked | (set(ids) & set(final_log.sent))
            unknown = set(ids) - set(final_log.sent)
            expected = {i: (final_log.sent[i].region, final_log.sent[i].hour) for i in expected_ids}
            doubles, mismatches = compare_gold(ids, [tuple(r) for r in final["hourly"]], expected)
            if unknown:
                mismatches.append(f"{len(unknown)} event(s) in gold that no client sent")
            matches = not mismatches
        missing_beyond = None
        if rpo_failback is not None:
            # what was missing after recovery but came back with the region: it was held there alone
            missing_beyond = rpo_recovery - len((before_kill - recovery_ids) & set(final["event_ids"] if final else []))
        report_parts = {
            "phases": phases,
            "rto_seconds": since(gold["at"], killed),
            "at_risk": at_risk,
            "acked_total": len(acked),
            "acked_before_kill": len(before_kill),
            "rpo_after_recovery": rpo_recovery,
            "missing_beyond_risk": missing_beyond,
            "rpo_after_failback": rpo_failback,
            "double_counted": doubles,
            "gold_matches_oracle": matches,
            "oracle_mismatches": mismatches,
            "stale_primary_fenced": all(e.get("refused") for e in fenced),
            "fenced_by": sorted({str(e.get("by")) for e in journals.entries(lost, "fenced", back)}),
            "acked_by_edge": {names.get(k, k): v for k, v in final_log.acked_by_edge().items()},
            "failovers": {names.get(k, k): v for r in traffic.reports.values() for k, v in r.failovers.items()},
            "survivor_instance": instance,
            "killed_at": killed,
        }
    except Exception as exc:  # noqa: BLE001 - whatever stopped the drill goes in its report, and it fails
        log.exception("the drill stopped")
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        cluster.stop()
        if postgres is not None:
            postgres.kill()
            shutil.rmtree(postgres.home, ignore_errors=True)
    report = DrillReport(
        regions=regions,
        lost=lost,
        survivor=survivor,
        rate=options.rate,
        started_at=started,
        killed_at=report_parts.pop("killed_at", started),
        phases=report_parts.pop("phases", []),
        rto_seconds=report_parts.pop("rto_seconds", None),
        at_risk=report_parts.pop("at_risk", {}),
        acked_total=report_parts.pop("acked_total", 0),
        acked_before_kill=report_parts.pop("acked_before_kill", 0),
        rpo_after_recovery=report_parts.pop("rpo_after_recovery", None),
        missing_beyond_risk=report_parts.pop("missing_beyond_risk", None),
        rpo_after_failback=report_parts.pop("rpo_after_failback", None),
        double_counted=report_parts.pop("double_counted", None),
        gold_matches_oracle=report_parts.pop("gold_matches_oracle", None),
        oracle_mismatches=report_parts.pop("oracle_mismatches", []),
        stale_primary_fenced=report_parts.pop("stale_primary_fenced", False),
        fenced_by=report_parts.pop("fenced_by", []),
        acked_by_edge=report_parts.pop("acked_by_edge", {}),
        failovers=report_parts.pop("failovers", {}),
        survivor_instance=report_parts.pop("survivor_instance", "-"),
        goals=options.goals or Goals(),
        errors=errors,
    )
    (home / "report.json").write_bytes(report.to_json())
    (home / "report.txt").write_text(report.table() + "\n")
    return report


def _postgres() -> Any:
    """The drill's PostgreSQL, in a folder of its own in the system's temp folder: under root the server runs as
    ``postgres``, which may not be able to enter ``--home`` (pytest's temp folders are 0700). Thrown away after."""
    import tempfile

    from orchestration.lib.local_postgres import LocalPostgres

    return LocalPostgres(Path(tempfile.mkdtemp(prefix="meridian-drill-pg-"))).start()


def _snapshot(entry: dict[str, Any]) -> dict[str, Any]:
    return dict(orjson.loads(Path(entry["snapshot"]).read_bytes()))


def _phases(
    journals: Journals, survivor: str, killed: datetime, failover_after_s: float, gold: dict[str, Any]
) -> list[Phase]:
    def silent(e: dict[str, Any]) -> bool:
        return e["promoted"] or (e["holder_silent_s"] is not None and e["holder_silent_s"] >= failover_after_s)

    detected = journals.first(survivor, "tick", killed, silent)
    promoted = journals.first(survivor, "tick", killed, lambda e: e["promoted"])
    landed = journals.first(survivor, "landed", killed)
    gold_started = datetime.fromisoformat(gold["started"])
    points = [
        (f"detected (holder silent {failover_after_s:.0f} s)", detected["at"] if detected else None),
        ("promoted (lease epoch +1)", promoted["at"] if promoted else None),
        ("first bronze landed in the survivor", landed["at"] if landed else None),
        ("global gold build started", gold_started),
        ("first fresh global gold", gold["at"]),
    ]
    return [Phase(name, at, since(at, killed)) for name, at in points]


def _at_risk(cluster: DrillCluster, lost: str, survivor: str) -> dict[str, Any]:
    """What region ``lost`` alone holds right now: unmirrored records, unreplicated ranges, its edge's buffer."""
    from prometheus_client.parser import text_string_to_metric_families

    from orchestration.defs.replication.assets import LEDGERS
    from orchestration.defs.shared.resources import shared_resources
    from orchestration.lib.replication import audit
    from streaming.kafka.mirror import mirror_lag
    from streaming.kafka.topics import EVENTS_RAW

    source, target = cluster.regions[lost], cluster.regions[survivor]
    risk: dict[str, Any] = {}
    lag = mirror_lag(source.kafka, target.kafka, EVENTS_RAW, lost, survivor)
    risk["mirror_lag_records"], risk["mirror_lag_seconds"] = lag.total_records, round(lag.seconds, 3)
    lake = shared_resources(cluster.settings(survivor))[1]
    replication = audit(lake.storage(lost), lake.storage(survivor), LEDGERS)
    risk["replication_lag_seconds"] = round(replication.lag_seconds, 1)
    risk["replication_missing_ranges"] = len(replication.missing)
    metrics = httpx.get(f"{source.edge_url}/metrics", timeout=5).text
    for family in text_string_to_metric_families(metrics):
        if family.name == "meridian_edge_buffered_records":
            risk["edge_buffered_records"] = int(sum(sample.value for sample in family.samples))
    return risk
