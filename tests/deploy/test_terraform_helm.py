"""Terraform's outputs reach the Helm values: deploy/terraform/helm_values.py, checked against both sides.

The region's outputs are read from the modules (every one is mapped to a value or named in NOT_FOR_HELM with where
it goes instead), and the values it writes are rendered by the real helm with the region's committed values file:
the chart's values schema accepts them and the objects carry them (ServiceAccount annotations, Kafka settings, the
lake's store). The official Dagster chart cannot be had offline (deploy/helm/dagster/README.md), so its overrides
are held to paths that our Dagster values already set, which the chart is known to read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.terraform.helm_values import CHART_WORKLOADS, NOT_FOR_HELM, main, values_from_outputs
from tests.deploy.manifests import render
from tests.deploy.terraform_hcl import MODULES, load
from tests.deploy.tools import ROOT

WORKLOADS = (*CHART_WORKLOADS, "dagster")
ANNOTATION = {
    "gcp": ("iam.gke.io/gcp-service-account", "meridian-{w}-us@meridian-prod-us.iam.gserviceaccount.com"),
    "aws": ("eks.amazonaws.com/role-arn", "arn:aws:iam::111122223333:role/meridian-us-{w}"),
    "azure": ("azure.workload.identity/client-id", "00000000-0000-0000-0000-00000000000{n}"),
}
LAKE_URL = {
    "gcp": "gs://meridian-lake-us",
    "aws": "s3://meridian-lake-us",
    "azure": "abfs://lake@meridianus.dfs.core.windows.net",
}
MECHANISM = {"gcp": "PLAIN", "aws": "SCRAM-SHA-512", "azure": "PLAIN"}


class Recording(dict[str, Any]):
    """``terraform output -json`` that remembers which outputs were read."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


def outputs(cloud: str) -> dict[str, Any]:
    """What ``terraform output -json`` prints for a us region on ``cloud``: every output the modules declare."""
    key, pattern = ANNOTATION[cloud]
    annotations = {w: {key: pattern.format(w=w, n=n)} for n, w in enumerate(WORKLOADS)}
    known = {
        "region_name": "us",
        "cloud": cloud,
        "lake_url": LAKE_URL[cloud],
        "kafka_bootstrap_servers": "bootstrap.kafka-us.internal:9092",
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": MECHANISM[cloud],
        "database_host": "10.10.64.3",
        "database_user": "dagster",
        "database_name": "dagster",
        "database_port": 5432,
        "service_account_annotations": annotations,
    }
    names = set(load(MODULES / cloud).outputs)
    return {name: {"value": known.get(name, f"<{name}>"), "type": "string", "sensitive": False} for name in names}


def test_every_region_output_is_mapped_to_a_value_or_says_where_it_goes() -> None:
    declared = set(load(MODULES / "region").outputs)
    recording = Recording(outputs("gcp"))
    values_from_outputs(recording)
    assert not recording.read & set(NOT_FOR_HELM), "an output is both mapped and said not to be"
    assert recording.read | set(NOT_FOR_HELM) == declared, (
        f"unmapped: {sorted(declared - recording.read - set(NOT_FOR_HELM))}; "
        f"gone from the modules: {sorted((recording.read | set(NOT_FOR_HELM)) - declared)}"
    )


@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_the_values_written_render_with_the_region_values_and_reach_the_objects(tmp_path: Path, cloud: str) -> None:
    assert main([_saved(tmp_path, outputs(cloud)), "--out", str(tmp_path / "values")]) == 0
    objects = render("us", tmp_path / "values" / "meridian.yaml")
    accounts = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ServiceAccount"}
    key, _ = ANNOTATION[cloud]
    for workload in CHART_WORKLOADS:
        account = accounts[f"meridian-{workload}"]
        wanted = outputs(cloud)["service_account_annotations"]["value"][workload]
        # Helm merges maps: the region's committed annotations stay beside Terraform's (values-us.yaml has GCP's).
        assert wanted.items() <= account["metadata"]["annotations"].items()
        assert key in account["metadata"]["annotations"]
    env = {
        e["name"]: e.get("value")
        for o in objects
        if o["kind"] in ("Deployment", "StatefulSet") and o["metadata"]["name"] == "meridian-stream"
        for c in o["spec"]["template"]["spec"]["containers"]
        for e in c.get("env", [])
    }
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "bootstrap.kafka-us.internal:9092"
    assert env["MERIDIAN_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert env["MERIDIAN_KAFKA_SASL_MECHANISM"] == MECHANISM[cloud]
    stores = next(
        json.loads(e["value"])
        for o in objects
        if o["metadata"]["name"] == "meridian-exporter" and o["kind"] == "Deployment"
        for c in o["spec"]["template"]["spec"]["containers"]
        for e in c.get("env", [])
        if e["name"] == "MERIDIAN_REGION_STORES"
    )
    assert stores["us"] == LAKE_URL[cloud]


def test_the_dagster_overrides_set_only_what_our_dagster_values_already_set(tmp_path: Path) -> None:
    ours = yaml.safe_load((ROOT / "deploy" / "helm" / "dagster" / "values.yaml").read_text())
    overrides = values_from_outputs(outputs("gcp"))["dagster"]
    for path in _leaves(overrides):
        node: Any = ours
        for key in path:
            assert isinstance(node, dict) and key in node, f"deploy/helm/dagster/values.yaml has no {'.'.join(path)}"
            node = node[key]
    assert overrides["postgresql"]["postgresqlHost"] == "10.10.64.3"


def test_an_azure_lake_is_refused_until_meridian_has_a_store_for_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="abfs://.*gs:// and s3:// only"):
        values_from_outputs(outputs("azure"))


def test_a_state_that_is_not_a_region_is_refused_with_what_is_missing(tmp_path: Path) -> None:
    broken = {k: v for k, v in outputs("aws").items() if k != "kafka_bootstrap_servers"}
    with pytest.raises(SystemExit):
        main([_saved(tmp_path, broken), "--out", str(tmp_path / "values")])
    with pytest.raises(ValueError, match="kafka_bootstrap_servers"):
        values_from_outputs(broken)
    assert not (tmp_path / "values").exists()


def _saved(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))
    return str(path)


def _leaves(tree: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths to the overrides' values; an annotations map is one value (its keys are the cloud's, not the chart's)."""
    paths: list[tuple[str, ...]] = []
    for key, value in tree.items():
        if isinstance(value, dict) and key != "annotations":
            paths += _leaves(value, (*prefix, key))
        else:
            paths.append((*prefix, key))
    return paths
