"""What sensors read from the Dagster instance, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dagster as dg

# A replication run that copied nothing (the 5-minute schedule on an idle region) changed nothing downstream.
NOTHING_COPIED = ("files_copied", 0)


def latest_storage_id(instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]) -> int | None:
    """The storage id of the newest materialization of any of ``keys`` that brought new data; None when none did.

    A materialization whose metadata says it copied no file is passed over (up to a few back), so an idle
    replication schedule does not look like new data to what follows it.
    """
    ids = []
    for key in keys:
        for record in instance.fetch_materializations(key, limit=5).records:
            mat = record.asset_materialization
            value = mat.metadata.get(NOTHING_COPIED[0]) if mat is not None else None
            if value is not None and value.value == NOTHING_COPIED[1]:
                continue
            ids.append(record.storage_id)
            break
    return max(ids, default=None)


# How long a run may stay STARTED before run monitoring fails it (tag ``dagster/max_runtime``). A run whose
# process died while the instance's database was down can otherwise stay STARTED for good, and hold its
# one-at-a-time lane with it; run retries then start it again. Each bound is far above the longest run seen.
MAX_RUNTIME_SECONDS = {"bronze": 900, "replication": 1800, "warehouse": 3600}


def max_runtime(kind: str) -> dict[str, str]:
    return {"dagster/max_runtime": str(MAX_RUNTIME_SECONDS[kind])}


# CPU and memory on Kubernetes for the runs that need more than the run launcher's default
# (deploy/helm/dagster/values.yaml): the `dagster-k8s/config` tag of each job. These jobs run in one process
# (in_process_executor), so a run is one pod and the tag belongs on the job: an op's tag acts only under
# k8s_job_executor. Locally the tag is inert. tests/deploy/test_dagster_values.py checks each value with
# dagster-k8s's own schema and that the jobs carry it.
_DBT_RUN = {"container_config": {"resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "4Gi"}}}}
RUN_RESOURCES: dict[str, dict[str, Any]] = {
    # dbt builds of silver and gold: BigQuery does the heavy lifting; dbt parses the manifest and holds results.
    "reference_job": _DBT_RUN,
    "warehouse_job": _DBT_RUN,
    "warehouse_bootstrap_job": _DBT_RUN,
    # Great Expectations loads the latest partitions of bronze, silver and gold into memory to validate them.
    "quality_job": {
        "container_config": {"resources": {"requests": {"cpu": "1", "memory": "3Gi"}, "limits": {"memory": "6Gi"}}}
    },
}


def k8s_resources(job: str) -> dict[str, Any]:
    """The job's ``dagster-k8s/config`` tag (a dict: dagster-k8s accepts it as one in a job's tags)."""
    return {"dagster-k8s/config": RUN_RESOURCES[job]}
