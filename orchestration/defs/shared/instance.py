"""What sensors read from the Dagster instance, in one place."""

from __future__ import annotations

from collections.abc import Iterable

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
