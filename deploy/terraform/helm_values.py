"""A region's ``terraform output -json`` as the overrides of its two Helm charts' values.

    terraform -chdir=deploy/terraform/envs/us output -json \\
      | python -m deploy.terraform.helm_values --out deploy/helm/generated/us

writes ``meridian.yaml`` (for ``deploy/helm/meridian``) and ``dagster.yaml`` (for the official Dagster chart with
``deploy/helm/dagster/values.yaml``), to pass after the region's committed ``values-<region>.yaml`` files: what
Terraform knows (Kafka's address and protocol, the lake's URL, the database host, each workload's cloud identity)
then comes from Terraform, and what it does not (replica counts, rollout steps) stays in Git.

Every output of the region interface (``deploy/terraform/modules/interface/README.md``) is either mapped here or
named in ``NOT_FOR_HELM`` with where it goes instead, and ``tests/deploy/test_terraform_helm.py`` holds that
against the modules' outputs: a new output forces a decision. The mapping is pure (``values_from_outputs``); the
command only reads and writes files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

# Kubernetes ServiceAccounts of the meridian chart (release `meridian`) by chart component = workload name.
CHART_WORKLOADS = ("edge", "stream", "mirrormaker", "exporter")

# The lake stores Meridian's code reads (orchestration/lib/lake): an Azure region's abfs:// lake is provisioned by
# modules/azure, but no store backend reads it yet, so its values are refused rather than written to fail in a pod.
LAKE_SCHEMES = ("gs://", "s3://")

# Outputs that are not Helm values, and where each goes instead.
NOT_FOR_HELM: dict[str, str] = {
    "cloud": "chooses the lake backend already named by lake_url's scheme",
    "location": "informational; the charts address services by host, not by cloud region",
    "lake_bucket": "lake_url carries it, in the form MERIDIAN_REGION_STORES takes",
    "warehouse_dataset": (
        "the dbt profile's MERIDIAN_BQ_PROJECT and MERIDIAN_BQ_DATASET, in the Dagster values' env list "
        "(Helm replaces a list whole: set them in values-<region>.yaml)"
    ),
    "kafka_cluster_id": "the cloud console's handle for the cluster; clients use kafka_bootstrap_servers",
    "kubernetes_cluster_name": "Argo CD's cluster Secret (deploy/gitops), labelled meridian.io/region",
    "kubernetes_endpoint": "Argo CD's cluster Secret (its server field)",
    "kubernetes_ca_certificate": "Argo CD's cluster Secret (its config.tlsClientConfig.caData)",
    "database_port": "the Dagster chart's postgresql.service.port default (5432) is the clouds' port",
    "workload_identities": "service_account_annotations carry them in the form each cloud's webhook reads",
    "secrets": "an external-secrets operator's ExternalSecrets, which fill the Kubernetes Secrets the charts name",
    "network_id": "the global stack (network peering for MirrorMaker)",
    "node_pools": "the pools' labels (meridian.io/pool) are fixed by the modules, so the charts select by label",
}


def _value(outputs: dict[str, Any], name: str) -> Any:
    """An output's value from ``terraform output -json`` ({name: {value, type, sensitive}})."""
    try:
        return outputs[name]["value"]
    except KeyError:
        raise ValueError(f"terraform output has no {name!r}: is this a Meridian region's state?") from None


def values_from_outputs(outputs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The meridian and Dagster charts' values overrides from a region's outputs."""
    region = _value(outputs, "region_name")
    annotations: dict[str, dict[str, str]] = _value(outputs, "service_account_annotations")
    missing = sorted({*CHART_WORKLOADS, "dagster"} - set(annotations))
    if missing:
        raise ValueError(f"service_account_annotations has no entry for {', '.join(missing)}")
    lake_url = _value(outputs, "lake_url")
    if not str(lake_url).startswith(LAKE_SCHEMES):
        raise ValueError(
            f"lake_url {lake_url!r}: Meridian reads lakes on {' and '.join(LAKE_SCHEMES)} only "
            "(an ADLS store backend is not written yet, see deploy/terraform/README.md)"
        )
    meridian: dict[str, Any] = {
        "region": region,
        "kafka": {
            "bootstrapServers": _value(outputs, "kafka_bootstrap_servers"),
            "securityProtocol": _value(outputs, "kafka_security_protocol"),
            "sasl": {"mechanism": _value(outputs, "kafka_sasl_mechanism")},
        },
        "lake": {"stores": {region: lake_url}},
        **{workload: {"serviceAccount": {"annotations": annotations[workload]}} for workload in CHART_WORKLOADS},
    }
    dagster: dict[str, Any] = {
        "postgresql": {
            "postgresqlHost": _value(outputs, "database_host"),
            "postgresqlUsername": _value(outputs, "database_user"),
            "postgresqlDatabase": _value(outputs, "database_name"),
        },
        "dagster-user-deployments": {"serviceAccount": {"annotations": annotations["dagster"]}},
    }
    return {"meridian": meridian, "dagster": dagster}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outputs", nargs="?", type=Path, help="terraform output -json, saved (default: stdin)")
    parser.add_argument("--out", type=Path, required=True, help="folder for meridian.yaml and dagster.yaml")
    args = parser.parse_args(argv)
    text = args.outputs.read_text() if args.outputs else sys.stdin.read()
    try:
        charts = values_from_outputs(json.loads(text))
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    args.out.mkdir(parents=True, exist_ok=True)
    for chart, values in charts.items():
        path = args.out / f"{chart}.yaml"
        path.write_text(yaml.safe_dump(values, sort_keys=False))
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
