"""What sensors read from the Dagster instance, in one place."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg


def latest_storage_id(instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]) -> int | None:
    """The storage id of the newest materialization of any of ``keys``; None when none was materialized."""
    ids = []
    for key in keys:
        records = instance.fetch_materializations(key, limit=1).records
        if records:
            ids.append(records[0].storage_id)
    return max(ids, default=None)
