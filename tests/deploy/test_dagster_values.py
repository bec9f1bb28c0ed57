"""Our values for the official Dagster chart (deploy/helm/dagster), checked by Dagster's own code, offline.

The chart itself is in no registry this machine reaches, so it cannot be rendered here. What is checked instead:
the instance config the chart writes from these values (its ``configmap-instance.yaml`` helpers, mirrored in
``chart_instance_config`` below) is loaded by Dagster's instance-config schema; the run launcher block by
dagster-k8s's ``K8sRunLauncher`` (its config schema, then its constructor); the ``dagster-k8s/config`` run tags by
dagster-k8s's tag schema and the Kubernetes client's models; and the local and Kubernetes instances are compared
in Dagster's own terms (its ``ConcurrencyConfig``, run retries, run monitoring), so the lanes cannot drift apart.
What stays unchecked is listed in deploy/helm/dagster/README.md.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml
from dagster._config import process_config
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import ConcurrencyConfig, dagster_instance_config
from dagster._core.run_coordinator.queued_run_coordinator import QueuedRunCoordinator
from dagster._core.storage.dagster_run import DagsterRun
from dagster._serdes.config_class import ConfigurableClassData
from dagster_k8s import K8sRunLauncher
from dagster_k8s.container_context import K8sContainerContext
from dagster_k8s.job import USER_DEFINED_K8S_CONFIG_KEY, construct_dagster_k8s_job, get_user_defined_k8s_config
from dagster_k8s.models import k8s_model_from_dict
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
from kubernetes.client import V1Container

from orchestration.defs.shared.instance import RUN_RESOURCES
from orchestration.settings import PlatformSettings
from tests.deploy.schemas import SCHEMA_LOCATION, ensure_schemas
from tests.deploy.tools import KUBECONFORM, ROOT, require

VALUES_DIR = ROOT / "deploy" / "helm" / "dagster"
LOCAL_INSTANCE = ROOT / "deploy" / "local" / "dagster" / "dagster.yaml"
REGIONS = ("us", "eu", "apac")
RELEASE = "dagster"
NAMESPACE = "dagster"
DAGSTER_HOME = "/opt/dagster/dagster_home"  # the chart's default global.dagsterHome
SECRET_NAME = "meridian-dagster-postgresql"  # noqa: S105  (a Secret's name, not a password)
PG_PASSWORD = "stands-in-for-the-secret"  # noqa: S105


def helm_merge(base: Any, overlay: Any) -> Any:
    """Helm's coalescing of values files: maps merge key by key, anything else (lists too) is replaced, null deletes."""
    if isinstance(base, Mapping) and isinstance(overlay, Mapping):
        merged = dict(base)
        for key, value in overlay.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = helm_merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(overlay)


def load_values(region: str | None = None) -> dict[str, Any]:
    values = yaml.safe_load((VALUES_DIR / "values.yaml").read_text())
    if region is not None:
        values = helm_merge(values, yaml.safe_load((VALUES_DIR / f"values-{region}.yaml").read_text()))
    return values


def _names(sources: list[Mapping[str, str]]) -> list[str]:
    return [source["name"] for source in sources if source.get("name")]


def chart_run_launcher(values: Mapping[str, Any]) -> dict[str, Any]:
    """``dagsterYaml.runLauncher.k8s``: the run_launcher block the chart writes for a K8sRunLauncher."""
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    k8s = values["runLauncher"]["config"]["k8sRunLauncher"]
    config: dict[str, Any] = {
        "load_incluster_config": k8s["loadInclusterConfig"],
        "job_namespace": k8s.get("jobNamespace") or NAMESPACE,
        "image_pull_policy": k8s["imagePullPolicy"],
        "service_account_name": RELEASE,
        "dagster_home": DAGSTER_HOME,
        "instance_config_map": f"{RELEASE}-instance",
        "postgres_password_secret": values["global"]["postgresqlSecretName"],
    }
    optional = {
        "kubeconfig_file": k8s.get("kubeconfigFile"),
        "env_config_maps": _names(k8s.get("envConfigMaps") or []),
        "env_secrets": _names(k8s.get("envSecrets") or []),
        "env_vars": k8s.get("envVars"),
        "volume_mounts": k8s.get("volumeMounts"),
        "volumes": k8s.get("volumes"),
        "labels": k8s.get("labels"),
        "resources": k8s.get("resources"),
        "fail_pod_on_run_failure": k8s.get("failPodOnRunFailure") or None,
        "scheduler_name": k8s.get("schedulerName"),
        "security_context": k8s.get("securityContext"),
    }
    config.update({key: value for key, value in optional.items() if value})
    run_k8s = k8s.get("runK8sConfig") or {}
    renamed = {
        "containerConfig": "container_config",
        "podSpecConfig": "pod_spec_config",
        "podTemplateSpecMetadata": "pod_template_spec_metadata",
        "jobSpecConfig": "job_spec_config",
        "jobMetadata": "job_metadata",
    }
    if run_k8s:
        config["run_k8s_config"] = {renamed[key]: value for key, value in run_k8s.items() if value}
    return {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": config}


def chart_instance_config(values: Mapping[str, Any]) -> dict[str, Any]:
    """The dagster.yaml the chart's ``configmap-instance.yaml`` writes from ``values`` (the parts we set)."""
    pg = values["postgresql"]
    postgres = {
        "postgres_db": {
            "username": pg["postgresqlUsername"],
            "password": {"env": "DAGSTER_PG_PASSWORD"},
            "hostname": pg["postgresqlHost"],
            "db_name": pg["postgresqlDatabase"],
            "port": pg["service"]["port"],
            "params": pg.get("postgresqlParams") or {},
        }
    }
    daemon = values["dagsterDaemon"]
    queued = daemon["runCoordinator"]["config"]["queuedRunCoordinator"]
    concurrency = values.get("concurrency") or {}
    coordinator_config: dict[str, Any] = {}
    if queued.get("dequeueIntervalSeconds"):
        coordinator_config["dequeue_interval_seconds"] = queued["dequeueIntervalSeconds"]
    # The chart writes max_concurrent_runs (-1 when unset) and tag limits here only while `concurrency` is off.
    if not concurrency.get("enabled") or queued.get("maxConcurrentRuns") is not None:
        coordinator_config["max_concurrent_runs"] = queued.get("maxConcurrentRuns", -1)
    if queued.get("tagConcurrencyLimits"):
        coordinator_config["tag_concurrency_limits"] = queued["tagConcurrencyLimits"]
    instance: dict[str, Any] = {
        "scheduler": {"module": "dagster.core.scheduler", "class": "DagsterDaemonScheduler"},
        "run_launcher": chart_run_launcher(values),
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            **({"config": coordinator_config} if coordinator_config else {}),
        },
        "run_storage": {"module": "dagster_postgres.run_storage", "class": "PostgresRunStorage", "config": postgres},
        "event_log_storage": {
            "module": "dagster_postgres.event_log",
            "class": "PostgresEventLogStorage",
            "config": postgres,
        },
        "schedule_storage": {
            "module": "dagster_postgres.schedule_storage",
            "class": "PostgresScheduleStorage",
            "config": postgres,
        },
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
    }
    monitoring = daemon["runMonitoring"]
    if monitoring["enabled"]:
        instance["run_monitoring"] = {
            "enabled": True,
            "start_timeout_seconds": monitoring["startTimeoutSeconds"],
            "poll_interval_seconds": monitoring["pollIntervalSeconds"],
            **(
                {"max_resume_run_attempts": monitoring["maxResumeRunAttempts"]}
                if monitoring.get("maxResumeRunAttempts")
                else {}
            ),
        }
    retries = daemon["runRetries"]
    if retries["enabled"]:
        instance["run_retries"] = {
            "enabled": True,
            **({"max_retries": retries["maxRetries"]} if retries.get("maxRetries") else {}),
        }
    if concurrency.get("enabled"):
        runs, pools = concurrency.get("runs") or {}, concurrency.get("pools") or {}
        block: dict[str, Any] = {}
        if pools:
            block["pools"] = {
                key: pools[camel]
                for key, camel in (
                    ("default_limit", "defaultLimit"),
                    ("granularity", "granularity"),
                    ("op_granularity_run_buffer", "opGranularityRunBuffer"),
                )
                if pools.get(camel) is not None
            }
        if runs:
            block["runs"] = {}
            if runs.get("maxConcurrentRuns") is not None:
                block["runs"]["max_concurrent_runs"] = runs["maxConcurrentRuns"]
            if runs.get("tagConcurrencyLimits"):
                block["runs"]["tag_concurrency_limits"] = runs["tagConcurrencyLimits"]
        instance["concurrency"] = block
    return instance


def load_instance(config: Mapping[str, Any], home: Path) -> Mapping[str, Any]:
    """What Dagster itself makes of a dagster.yaml: its instance schema and cross-field checks, defaults filled."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(dict(config)))
    validated, _ = dagster_instance_config(str(home))
    return validated


def concurrency_of(instance: Mapping[str, Any]) -> ConcurrencyConfig:
    """The run queue and pool limits exactly as ``DagsterInstance.get_concurrency_config`` derives them."""
    coordinator = instance["run_coordinator"]
    rehydrated = ConfigurableClassData(
        coordinator["module"], coordinator["class"], yaml.safe_dump(coordinator.get("config") or {})
    ).rehydrate(QueuedRunCoordinator)
    return ConcurrencyConfig.from_concurrency_settings(
        instance.get("concurrency") or {}, rehydrated.get_run_queue_config()
    )


def check_value(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    assert value is not None
    return value


@pytest.fixture
def pg_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chart puts the database password in DAGSTER_PG_PASSWORD (from the Secret): Dagster resolves it on load."""
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", PG_PASSWORD)


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Path:
    """A kubeconfig naming a cluster that is never contacted: K8sRunLauncher loads its client config on init."""
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    return path


@pytest.mark.parametrize("region", REGIONS)
def test_run_launcher_is_accepted_by_dagster_k8s(region: str, kubeconfig: Path) -> None:
    """The run_launcher block passes K8sRunLauncher's config schema, and K8sRunLauncher builds from it."""
    config = chart_run_launcher(load_values(region))["config"]
    result = process_config(K8sRunLauncher.config_type(), config)
    assert result.success, result.errors
    processed = dict(check_value(result.value))
    # In a cluster the launcher reads its service account; here a kubeconfig stands in (never contacted).
    processed.update(load_incluster_config=False, kubeconfig_file=str(kubeconfig))
    launcher = K8sRunLauncher(**processed)
    assert launcher.fail_pod_on_run_failure is True
    assert launcher.env_secrets == ["meridian-platform"]
    assert launcher.postgres_password_secret == SECRET_NAME


def test_run_launcher_check_catches_a_typo() -> None:
    """The schema check above can fail: a misspelt key is refused."""
    config = chart_run_launcher(load_values("us"))["config"]
    config["fail_pod_on_run_faillure"] = config.pop("fail_pod_on_run_failure")
    assert not process_config(K8sRunLauncher.config_type(), config).success


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.usefixtures("pg_password")
def test_instance_config_loads(region: str, tmp_path: Path) -> None:
    """Dagster loads the instance config the chart writes, and each storage accepts its PostgreSQL block."""
    values = load_values(region)
    instance = load_instance(chart_instance_config(values), tmp_path / "home")
    assert instance["run_launcher"]["class"] == "K8sRunLauncher"
    for key, cls in (
        ("run_storage", PostgresRunStorage),
        ("event_log_storage", PostgresEventLogStorage),
        ("schedule_storage", PostgresScheduleStorage),
    ):
        result = process_config(cls.config_type(), instance[key]["config"])
        assert result.success, (key, result.errors)
        db = check_value(result.value)["postgres_db"]
        assert db["password"] == PG_PASSWORD  # read from the environment, not from a file
        assert db["hostname"] == values["postgresql"]["postgresqlHost"] != ""
    assert values["postgresql"]["enabled"] is False
    assert values["generatePostgresqlPasswordSecret"] is False


@pytest.mark.usefixtures("pg_password")
def test_instance_check_catches_limits_in_two_places(tmp_path: Path) -> None:
    """Dagster refuses run limits both in the run coordinator and in `concurrency` (why values.yaml keeps them in
    `concurrency` only): the load above is a real check."""
    values = load_values("us")
    values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]["maxConcurrentRuns"] = 4
    with pytest.raises(DagsterInvalidConfigError, match="max_concurrent_runs"):
        load_instance(chart_instance_config(values), tmp_path / "home")


@pytest.mark.usefixtures("pg_password")
def test_local_and_kubernetes_instances_agree(tmp_path: Path) -> None:
    """The same lanes, limits, pools, retries and run monitoring on a laptop and in every cluster."""
    local = load_instance(yaml.safe_load(LOCAL_INSTANCE.read_text()), tmp_path / "local")
    local_concurrency = concurrency_of(local)
    assert local_concurrency.run_queue_config is not None
    assert local_concurrency.run_queue_config.tag_concurrency_limits  # the bronze lane: something to compare
    for region in REGIONS:
        cluster = load_instance(chart_instance_config(load_values(region)), tmp_path / region)
        assert concurrency_of(cluster) == local_concurrency, region
        for key in ("run_retries", "run_monitoring"):
            assert cluster[key] == local[key], (region, key)


@pytest.mark.usefixtures("pg_password")
def test_instance_comparison_catches_drift(tmp_path: Path) -> None:
    """A lane limit changed on one side only is seen."""
    values = load_values("eu")
    values["concurrency"]["runs"]["tagConcurrencyLimits"][0]["limit"] = 2
    cluster = load_instance(chart_instance_config(values), tmp_path / "eu")
    local = load_instance(yaml.safe_load(LOCAL_INSTANCE.read_text()), tmp_path / "local")
    assert concurrency_of(cluster) != concurrency_of(local)


def _deployment(values: Mapping[str, Any]) -> dict[str, Any]:
    deployments = values["dagster-user-deployments"]["deployments"]
    assert len(deployments) == 1
    return dict(deployments[0])


@pytest.mark.parametrize("region", REGIONS)
def test_region_overlay_only_adds_the_region(region: str) -> None:
    """Helm replaces lists, so each overlay repeats the code location: it must be values.yaml's plus the region."""
    base, merged = _deployment(load_values()), _deployment(load_values(region))
    expected = copy.deepcopy(base)
    expected["env"] = [*base["env"], {"name": "MERIDIAN_PRIMARY_REGION", "value": region}]
    expected["labels"] = {**(base.get("labels") or {}), "meridian.io/region": region}
    assert merged == expected
    assert merged["dagsterApiGrpcArgs"] == ["-m", "orchestration.definitions"]
    assert merged["port"] == 3030
    assert merged["includeConfigInLaunchedRuns"] == {"enabled": True}
    assert _names(merged["envSecrets"]) == ["meridian-platform"]
    assert merged["image"]["tag"] not in ("", "latest")


def test_regions_have_their_own_database() -> None:
    hosts = [load_values(region)["postgresql"]["postgresqlHost"] for region in REGIONS]
    assert len(set(hosts)) == len(REGIONS) and all(hosts)


def _settings_names() -> set[str]:
    """Every environment variable name Meridian's settings read (prefix + field, or the field's alias)."""
    names: set[str] = set()
    for settings_field in dataclasses.fields(PlatformSettings):
        cls: Any = settings_field.default_factory
        prefix = cls.model_config.get("env_prefix", "")
        for name, info in cls.model_fields.items():
            alias = info.validation_alias
            choices = getattr(alias, "choices", None)
            if isinstance(alias, str):
                names.add(alias.upper())
            elif choices:
                names.update(str(choice).upper() for choice in choices)
            names.add(f"{prefix}{name}".upper())
    return names


@pytest.mark.parametrize("region", REGIONS)
def test_code_location_env_is_what_meridian_reads(region: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each MERIDIAN_* variable set for the code location is one Meridian's settings read (a typo would be
    ignored silently), and together they make a valid production configuration."""
    env = {item["name"]: item["value"] for item in _deployment(load_values(region))["env"]}
    meridian = {name for name in env if name.startswith("MERIDIAN_")}
    assert meridian <= _settings_names(), meridian - _settings_names()
    for name in [name for name in os.environ if name.startswith("MERIDIAN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(VALUES_DIR)  # no .env file here: only the values' environment counts
    settings = PlatformSettings()
    assert settings.lake.env.value == "prod"
    assert settings.lake.primary_region == region
    assert settings.lake.regions == list(REGIONS)


def run_resources() -> dict[str, Any]:
    """The ``dagster-k8s/config`` tag of each job that asks for more than the launcher's default."""
    return RUN_RESOURCES


def test_run_resource_tags_are_valid_dagster_k8s_config() -> None:
    """Each job's `dagster-k8s/config` tag value passes dagster-k8s's tag schema and the Kubernetes Container model,
    and asks for more than a run gets by default (the reason to have a tag)."""
    default = load_values()["runLauncher"]["config"]["k8sRunLauncher"]["resources"]
    assert set(run_resources()) >= {"warehouse_job", "quality_job"}
    for job, value in run_resources().items():
        parsed = get_user_defined_k8s_config({USER_DEFINED_K8S_CONFIG_KEY: json.dumps(value)})
        container = k8s_model_from_dict(V1Container, {"name": "dagster", **parsed.container_config})
        assert container.resources is not None, job
        requested = container.resources.requests["memory"]
        assert _gibibytes(requested) > _gibibytes(default["requests"]["memory"]), job


def test_run_resource_check_catches_a_bad_tag() -> None:
    with pytest.raises(DagsterInvalidConfigError):
        get_user_defined_k8s_config({USER_DEFINED_K8S_CONFIG_KEY: json.dumps({"container_konfig": {}})})


def _gibibytes(quantity: str) -> float:
    units = {"Mi": 1 / 1024, "Gi": 1.0}
    return float(quantity[:-2]) * units[quantity[-2:]]


def launcher(region: str, kubeconfig: Path) -> K8sRunLauncher:
    processed = dict(
        check_value(
            process_config(K8sRunLauncher.config_type(), chart_run_launcher(load_values(region))["config"]).value
        )
    )
    processed.update(load_incluster_config=False, kubeconfig_file=str(kubeconfig))
    return K8sRunLauncher(**processed)


def run_job(run_launcher: K8sRunLauncher, job_name: str, tags: Mapping[str, str]) -> dict[str, Any]:
    """The Kubernetes Job dagster-k8s builds for a run of ``job_name`` (what ``K8sRunLauncher.launch_run`` sends)."""
    run = DagsterRun(job_name=job_name, run_id="0123abcd-0000-4000-8000-000000000000", tags=dict(tags))
    context = K8sContainerContext.create_for_run(run, run_launcher, include_run_tags=True)
    image = _deployment(load_values())["image"]
    job = construct_dagster_k8s_job(
        job_config=context.get_k8s_job_config(
            job_image=f"{image['repository']}:{image['tag']}", run_launcher=run_launcher
        ),
        args=["dagster", "api", "execute_run", "{}"],
        job_name="dagster-run-0123abcd",
        user_defined_k8s_config=context.run_k8s_config,
        component="run_worker",
    )
    return kubernetes.client.ApiClient().sanitize_for_serialization(job)


def test_run_jobs_are_valid_kubernetes_jobs(kubeconfig: Path, tmp_path: Path) -> None:
    """The run pods dagster-k8s will create from these values and tags pass strict Kubernetes schema validation,
    and each carries its job's resources (from its tag) or the launcher's default, with the read-only root
    filesystem, /tmp mounted, and the database password from the Secret."""
    ensure_schemas("1.31.0")
    run_launcher = launcher("us", kubeconfig)
    default = load_values()["runLauncher"]["config"]["k8sRunLauncher"]["resources"]
    jobs: dict[str, tuple[dict[str, str], Any]] = {"bronze_job": ({}, default)}
    for name, value in run_resources().items():
        jobs[name] = ({USER_DEFINED_K8S_CONFIG_KEY: json.dumps(value)}, value["container_config"]["resources"])
    documents = []
    for name, (tags, resources) in jobs.items():
        manifest = run_job(run_launcher, name, tags)
        container = manifest["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"] == resources, name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        password = next(env for env in container["env"] if env["name"] == "DAGSTER_PG_PASSWORD")
        assert password["valueFrom"]["secretKeyRef"]["name"] == SECRET_NAME
        documents.append(manifest)
    path = tmp_path / "run-jobs.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    result = subprocess.run(  # noqa: S603
        [
            str(require(KUBECONFORM)),
            "-strict",
            "-summary",
            "-kubernetes-version",
            "1.31.0",
            "-schema-location",
            SCHEMA_LOCATION,
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Valid: {len(documents)}," in result.stdout, result.stdout
