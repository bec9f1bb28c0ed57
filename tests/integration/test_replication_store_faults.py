"""Replication under faults, through the Dagster jobs the sensor and schedule launch, on a real S3 store.

SeaweedFS (its own instance here, since these tests kill it) is region ``eu``'s store; ``us`` is a local
folder. Faults: the target store killed -9 mid-copy and restarted; a replica corrupted on purpose; the
source store unreachable while the lag checks run and the alert sensor decides, delivered to a real
HTTP receiver.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from orchestration.defs.quality.alerts import build_quality_alert_sensor
from orchestration.defs.quality.jobs import quality_alerts_job
from orchestration.defs.quality.resources import AlertResource
from orchestration.defs.replication import definitions as replication
from orchestration.defs.replication.assets import LEDGERS
from orchestration.defs.replication.pairs import CHECK_CHECKSUMS, CHECK_LAG, Pair
from orchestration.defs.shared.resources import LakeResource
from orchestration.lib.bronze.ranges import OffsetRange
from orchestration.lib.lake import LakeStorage
from orchestration.lib.replication import audit, replica_path
from orchestration.settings import PlatformSettings
from streaming.kafka.broker import free_port
from tests.orchestration.defs.quality.alert_helpers import Receiver, launch, tick
from tests.orchestration.lib.replication.replication_lakes import flip, land_bronze
from tests.stores import SeaweedS3

pytestmark = pytest.mark.integration

US_TO_EU, EU_TO_US = Pair("us", "eu"), Pair("eu", "us")


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    server = SeaweedS3(tmp_path_factory.mktemp("seaweed-faults"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture()
def settings(seaweed: SeaweedS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PlatformSettings:
    """Two regions: us on a local folder, eu on SeaweedFS; replication tuned for a test's seconds."""
    import uuid

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweed.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweed.secret_key)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bucket = seaweed.create_bucket(f"faults-{uuid.uuid4().hex[:10]}")
    return PlatformSettings.under(tmp_path, "127.0.0.1:1", "events.raw.v1").replaced(
        lake={"regions": ["us", "eu"], "stores": {"eu": f"s3://{bucket}"}, "s3_endpoint": seaweed.endpoint},
        replication={"lag_warn_seconds": 2, "lag_fail_seconds": 6, "workers": 2},
    )


def definitions(settings: PlatformSettings, alerts: AlertResource | None = None) -> dg.Definitions:
    """The replication domain as the code location builds it, with the lake and (for alerts) the alert sensor."""
    extra: dict[str, Any] = {"resources": {"lake": LakeResource.from_settings(settings.lake)}}
    if alerts is not None:
        extra = {
            "resources": {**extra["resources"], "alerts": alerts},
            "sensors": [build_quality_alert_sensor(warn_after=3)],
            "jobs": [quality_alerts_job],
        }
    return dg.Definitions.merge(replication.build(settings), dg.Definitions(**extra))


def stores(settings: PlatformSettings) -> tuple[LakeStorage, LakeStorage]:
    lake = LakeResource.from_settings(settings.lake)
    return lake.storage("us"), lake.storage("eu")


def land(store: LakeStorage, ranges: int, size: int = 400, partitions: int = 3) -> None:
    for i in range(ranges):
        land_bronze(store, OffsetRange(i % partitions, (i // partitions) * size, (i // partitions + 1) * size), bad=2)


def run(defs: dg.Definitions, job: str, instance: dg.DagsterInstance, pairs: list[Pair]) -> Any:
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance, raise_on_error=False, asset_selection=[p.key for p in pairs] if pairs else None
    )


def failure_text(result: Any) -> str:
    """The failed step's error and its causes, as the UI shows them."""
    error, parts = result.get_step_failure_events()[0].event_specific_data.error, []
    while error is not None:
        parts.append(error.message)
        error = error.cause
    return "\n".join(parts)


def check(result: Any, name: str) -> Any:
    (evaluation,) = [c for c in result.get_asset_check_evaluations() if c.check_name == name]
    return evaluation


def test_the_target_killed_mid_copy_leaves_only_verified_manifests_and_the_retry_completes(
    settings: PlatformSettings, seaweed: SeaweedS3
) -> None:
    source, target = stores(settings)
    land(source, 150)
    defs, instance = definitions(settings), dg.DagsterInstance.ephemeral()
    outcome: dict[str, Any] = {}
    copying = threading.Thread(target=lambda: outcome.update(first=run(defs, "replication_job", instance, [US_TO_EU])))
    copying.start()
    manifests = "replicas/us/_manifests/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not target.list(manifests):
        time.sleep(0.02)
    seaweed.kill()
    copying.join(timeout=240)
    assert not copying.is_alive()
    first = outcome["first"]
    assert not first.success
    assert f"target store {target.describe()}" in failure_text(first)

    seaweed.restart()
    after_kill = audit(source, target, LEDGERS)
    assert after_kill.mismatched == () and after_kill.row_count_mismatches == ()
    assert 0 < after_kill.ranges_replicated < 150, "the kill did not land mid-copy"
    assert len(after_kill.missing) == 150 - after_kill.ranges_replicated  # nothing counted before it verified

    retry = run(defs, "replication_job", instance, [US_TO_EU])
    assert retry.success
    assert check(retry, "replica_complete").passed and check(retry, CHECK_CHECKSUMS).passed
    final = audit(source, target, LEDGERS)
    assert final.clean and final.ranges_replicated == 150


def test_a_corrupted_replica_fails_the_checksum_check_by_name_and_is_repaired(settings: PlatformSettings) -> None:
    source, target = stores(settings)
    land(source, 6)
    defs, instance = definitions(settings), dg.DagsterInstance.ephemeral()
    assert run(defs, "replication_job", instance, [US_TO_EU]).success
    victim = replica_path("us", source.list("bronze/events/")[2])
    target.write(victim, flip(target.read(victim)))

    found = run(defs, "replication_job", instance, [US_TO_EU])

    verdict = check(found, CHECK_CHECKSUMS)
    assert not verdict.passed and verdict.severity == dg.AssetCheckSeverity.ERROR
    assert any(victim in line or victim.split("replicas/us/")[1] in line for line in verdict.metadata["files"].value)
    assert audit(source, target, LEDGERS).clean  # repaired: the replica's MD5 is the source's again
    again = run(defs, "replication_job", instance, [US_TO_EU])
    assert check(again, CHECK_CHECKSUMS).passed


def test_an_unreachable_source_fails_the_run_clearly_and_the_lag_check_warns_then_fails_and_alerts(
    settings: PlatformSettings, seaweed: SeaweedS3
) -> None:
    us, eu = stores(settings)
    land(eu, 3)
    receiver = Receiver(free_port()).start()
    try:
        alerts = AlertResource(webhook_url=receiver.url, retry_attempts=1, timeout_seconds=2.0)
        defs, instance = definitions(settings, alerts), dg.DagsterInstance.ephemeral()
        assert run(defs, "replication_job", instance, [EU_TO_US]).success
        seaweed.kill()
        try:
            failed = run(defs, "replication_job", instance, [EU_TO_US])
            assert not failed.success
            message = failure_text(failed)
            assert f"source store {eu.describe()} (region eu) failed to list" in message, message
            assert "Check that the store is reachable" in message

            lags = []
            for wait_s in (2.5, 4.5):  # past warn (2 s), then past fail (6 s) since the last good run
                time.sleep(wait_s)
                lag = run(defs, "replication_lag_job", instance, [])
                (evaluation,) = [c for c in lag.get_asset_check_evaluations() if c.asset_key == EU_TO_US.key]
                lags.append(evaluation)
            assert [e.passed for e in lags] == [False, False]
            assert [e.severity for e in lags] == [dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR]
            assert "store_error" in lags[-1].metadata

            decided = tick(defs, instance, None)
            launch(defs, instance, decided)
        finally:
            seaweed.restart()
        subjects = [body.get("subject", "") + str(body) for body in receiver.bodies]
        assert any(CHECK_LAG in s and "eu_to_us" in s for s in subjects), receiver.bodies
        assert any("replication_job" in s for s in subjects), receiver.bodies
    finally:
        receiver.stop()
