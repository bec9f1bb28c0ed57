"""The names of one region's bronze: its asset, job, sensor and lane.

The primary region keeps the names a single-region deployment always had (``bronze/events``,
``bronze_job``, ``bronze_events_sensor``, lane ``bronze``): asset keys are the identity of an
asset's history in Dagster, so a deployment that adds regions keeps its run history. Every other
ingesting region is namespaced by its name (``bronze/eu/events``, ``bronze_eu_job``, lane
``bronze-eu``), so each lands in parallel under its own one-run-at-a-time lane.

With disaster recovery on, a region also lands the other regions' topics that MirrorMaker mirrors
into its cluster (``us.events.raw.v1`` on ``eu``'s): ``bronze/us/via_eu/events``, ``us``'s events
landed by ``eu`` in ``eu``'s lake through a ledger of the mirrored offsets (offsets differ between
clusters, so it is a ledger of its own; silver removes the overlap with ``us``'s own bronze by
``event_id``). When ``us`` is lost, that is how its events reach global gold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from orchestration.settings import PlatformSettings


@dataclass(frozen=True)
class RegionBronze:
    """``region`` is where it lands (its Kafka cluster and lake store); ``source``, for a mirror, is
    the region whose events MirrorMaker copied there."""

    region: str
    primary: bool
    source: str | None = None

    @property
    def origin(self) -> str:
        """The region the events were ingested in: what their rows carry as ``ingest_region``."""
        return self.source or self.region

    def topic(self, events_topic: str) -> str:
        return f"{self.source}.{events_topic}" if self.source else events_topic

    @property
    def _name(self) -> str:
        return f"{self.source}_via_{self.region}" if self.source else self.region

    @property
    def key(self) -> dg.AssetKey:
        if self.source:
            return dg.AssetKey(["bronze", self.source, f"via_{self.region}", "events"])
        return dg.AssetKey(["bronze", "events"] if self.primary else ["bronze", self.region, "events"])

    @property
    def node(self) -> str:
        """The op name Dagster gives the asset (``bronze__events``), used in run config."""
        return "__".join(self.key.path)

    @property
    def job_name(self) -> str:
        return "bronze_job" if self.primary and not self.source else f"bronze_{self._name}_job"

    @property
    def sensor_name(self) -> str:
        return "bronze_events_sensor" if self.primary and not self.source else f"bronze_{self._name}_events_sensor"

    @property
    def check_name(self) -> str:
        return "bronze_events_offset_coverage"

    @property
    def lane(self) -> str:
        if self.source:
            return f"bronze-{self.source}-via-{self.region}"
        return "bronze" if self.primary else f"bronze-{self.region}"


def region_bronzes(regions: list[str], primary: str) -> list[RegionBronze]:
    return [RegionBronze(region, region == primary) for region in regions]


def all_bronzes(settings: PlatformSettings) -> list[RegionBronze]:
    """Every bronze a deployment lands: each ingesting region's own topic, then the mirrors it lands."""
    primary = settings.lake.primary_region
    own = region_bronzes(settings.ingest_regions(), primary)
    mirrors = [RegionBronze(b.region, b.primary, source) for b in own for source in settings.mirror_sources(b.region)]
    return own + mirrors
