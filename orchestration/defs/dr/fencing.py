"""The aggregation lease where global silver and gold are built: refuse a build without it, publish with it.

With disaster recovery on, a deployment builds global silver and gold only while its home region holds
the lease. Each build reads the lease when it starts and publishes what it built under that epoch
(``gold/global`` in the lease store, through :func:`orchestration.lib.lease.publish`), so a deployment
that lost the lease mid-build (partitioned, paused, or a stale primary back from the dead) has its
publication refused, and readers resolve global gold only through the current epoch's publication.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from orchestration.defs.shared.resources import LakeResource
from orchestration.lib.lease import FencedError, Lease, Publication, latest_publication, publish

GOLD_PUBLICATION = "gold/global"


def builder_lease(lake: LakeResource) -> Lease | None:
    """The lease this deployment builds under; None with disaster recovery off. Raises
    :class:`FencedError` when another region holds it."""
    lease = lake.aggregation_lease()
    if lease is None:
        return None
    if lease.aggregation_region != lake.region:
        raise FencedError(lake.region, 0, lease, "a global silver/gold build")
    return lease


def publish_gold(lake: LakeResource, lease: Lease, built: dict[str, Any]) -> Publication:
    """Announce a finished global gold build under ``lease``: refused when the lease has moved since."""
    doc = {"region": lake.region, "epoch": lease.epoch, "built_at": datetime.now(UTC).isoformat(), **built}
    return publish(lake.lease_storage(), GOLD_PUBLICATION, orjson.dumps(doc), lake.leases(), lake.region, lease.epoch)


def current_gold(lake: LakeResource) -> dict[str, Any] | None:
    """What the current lease holder last published about global gold (None: nothing under this epoch yet)."""
    store = lake.lease_storage()
    publication = latest_publication(store, GOLD_PUBLICATION, lake.leases())
    if publication is None:
        return None
    return dict(orjson.loads(store.read(publication.payload)))
