"""The code location loads, validates, and wires bronze with its check, job, retries and sensor, and the
warehouse with the sensor that makes silver and gold follow bronze."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import yaml

from orchestration.definitions import build_definitions, defs
from orchestration.defs.bronze.assets import BRONZE_EVENTS
from orchestration.defs.shared.instance import RUN_RESOURCES
from orchestration.defs.warehouse.project import model_key
from orchestration.settings import BigQuerySettings, BronzeSettings, PlatformSettings, WarehouseSettings
from tests.helpers import REPO_ROOT


def test_the_code_location_loads_through_the_decorated_entry_point() -> None:
    loaded = defs()
    assert isinstance(loaded, dg.Definitions)
    assert loaded.resolve_assets_def(BRONZE_EVENTS).group_names_by_key[BRONZE_EVENTS] == "bronze"


def test_dagster_definitions_validate_passes(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "orchestration.definitions"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr


def test_dbt_and_quality_jobs_carry_their_kubernetes_resources() -> None:
    """On Kubernetes each of these runs is one pod: its CPU and memory come from the job's dagster-k8s tag."""
    built = build_definitions(PlatformSettings())
    for name, config in RUN_RESOURCES.items():
        assert json.loads(built.resolve_job_def(name).tags["dagster-k8s/config"]) == config, name  # stored as JSON


def test_bronze_has_a_blocking_coverage_check_and_a_job_that_retries() -> None:
    built = build_definitions(PlatformSettings(bronze=BronzeSettings(run_max_retries=3)))
    checks = built.resolve_asset_graph().asset_check_keys
    assert dg.AssetCheckKey(BRONZE_EVENTS, "bronze_events_offset_coverage") in checks
    job = built.resolve_job_def("bronze_job")
    assert job.tags["dagster/max_retries"] == "3"
    assert job.tags["meridian/lane"] == "bronze"
    assert built.resolve_sensor_def("bronze_events_sensor").job_name == "bronze_job"


def test_the_local_instance_retries_runs_and_serialises_bronze_runs_and_dbt_builds(tmp_path: Path) -> None:
    yaml_text = (REPO_ROOT / "deploy" / "local" / "dagster" / "dagster.yaml").read_text()
    config = yaml.safe_load(yaml_text)
    assert config["run_retries"]["enabled"] is True
    limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": "meridian/lane", "value": "bronze", "limit": 1} in limits
    (tmp_path / "dagster.yaml").write_text(yaml_text)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:  # Dagster accepts it as it is
        pools = instance.get_concurrency_config().pool_config
        assert pools.pool_granularity is not None and pools.pool_granularity.value == "run"
        assert pools.default_pool_limit == 1


def test_silver_and_gold_follow_bronze_through_the_warehouse_job_one_dbt_build_at_a_time() -> None:
    built = build_definitions(PlatformSettings())
    sensor = built.resolve_sensor_def("warehouse_sensor")
    assert sorted(target.job_name for target in sensor.targets) == ["warehouse_bootstrap_job", "warehouse_job"]
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    partitions = built.resolve_job_def("warehouse_job").partitions_def
    assert partitions is not None
    assert partitions.get_last_partition_key() == datetime.now(UTC).date().isoformat()  # today is buildable
    for name in ("stg_events", "fct_events", "fx_rates"):
        assert built.resolve_assets_def(model_key(name)).op.pool == "warehouse"


def test_a_bigquery_target_puts_the_raw_table_between_bronze_and_silver() -> None:
    from orchestration.defs.bronze.bigquery import BRONZE_EVENTS_BIGQUERY

    local = build_definitions(PlatformSettings()).resolve_asset_graph()
    bigquery = build_definitions(_bigquery()).resolve_asset_graph()
    stg = model_key("stg_events")

    assert BRONZE_EVENTS_BIGQUERY not in local.get_all_asset_keys()
    assert local.get(stg).parent_keys == {BRONZE_EVENTS}
    assert bigquery.get(stg).parent_keys == {BRONZE_EVENTS_BIGQUERY}
    assert bigquery.get(BRONZE_EVENTS_BIGQUERY).parent_keys == {BRONZE_EVENTS}
    assert dg.AssetCheckKey(BRONZE_EVENTS_BIGQUERY, "bronze_events_bigquery_matches_lake") in bigquery.asset_check_keys
    job = build_definitions(_bigquery()).resolve_job_def("bronze_job")
    assert {node.name for node in job.graph.node_defs} >= {"bronze__events", "bronze__events_bigquery"}


def _bigquery() -> PlatformSettings:
    return PlatformSettings(warehouse=WarehouseSettings(dbt_target="prod"), bigquery=BigQuerySettings(project="p"))
