"""The disaster-recovery drill, short form: a real two-region platform loses its aggregation region.

Two KRaft brokers, two MirrorMakers, two edge processes, two Dagster deployments (each on its own
PostgreSQL database on one local server) and the clients' traffic, all on loopback. ``us`` (the
aggregation region) is killed with kill -9 under live traffic and its lake taken away; ``eu``'s Dagster is
restarted on an empty instance, takes the lease, and builds global gold; ``us`` comes back as a stale
primary and must be fenced; after failback every acknowledged event is in gold exactly once, equal to
the computation from the clients' own log. The full drill (higher rate, longer phases) is
``meridian dr drill``; its figures are in the README.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from orchestration.drill.run import DrillOptions, run_drill
from orchestration.lib.lake.local import LocalLakeStorage
from orchestration.lib.lease import LeaseLog

pytestmark = pytest.mark.integration


def test_losing_the_aggregation_region_under_traffic_loses_nothing_acknowledged(tmp_path: Path) -> None:
    home = tmp_path / "drill"
    options = DrillOptions(
        home=home,
        rate=10.0,
        failover_after_s=8.0,
        steady_s=2.0,
        outage_traffic_s=3.0,
        failback_traffic_s=3.0,
        cycle_s=4.0,  # fewer landing runs a second: the suite's two cores are shared with another worker
        steady_gold=False,  # the kill comes during us's first gold build: the suite's time goes to recovery
    )
    report = run_drill(options, say=print)
    print(report.table())
    assert report.passed, report.failures()
    # the lease moved exactly once, by create-only write, to the survivor
    lease_store = LocalLakeStorage(None, "_global", path=home / "regions" / "global")
    assert [(x.aggregation_region, x.epoch) for x in LeaseLog(lease_store).history()] == [("us", 1), ("eu", 2)]
    names = [phase.name for phase in report.phases]
    assert names[0].startswith("detected") and names[-1] == "first fresh global gold"
    assert all(phase.at is not None for phase in report.phases)
    assert report.rto_seconds is not None and report.rto_seconds <= 120
    # the clients failed over, and both edges acknowledged traffic
    assert report.failovers.get("us edge", 0) > 0 and set(report.acked_by_edge) == {"us edge", "eu edge"}
    assert report.rpo_after_failback == 0 and report.double_counted == 0 and report.gold_matches_oracle
    assert set(report.fenced_by) == {"lease.fence", "warehouse_job"} and report.stale_primary_fenced
    assert "fresh" in report.survivor_instance and "PostgreSQL" in report.survivor_instance
    saved = orjson.loads((home / "report.json").read_bytes())
    assert saved["passed"] is True and saved["rpo_after_failback"] == 0
    assert (home / "report.txt").read_text().rstrip().endswith("PASSED")
