"""The names of one region's bronze: its asset, job, sensor and lane.

The primary region keeps the names a single-region deployment always had (``bronze/events``,
``bronze_job``, ``bronze_events_sensor``, lane ``bronze``): asset keys are the identity of an
asset's history in Dagster, so a deployment that adds regions keeps its run history. Every other
ingesting region is namespaced by its name (``bronze/eu/events``, ``bronze_eu_job``, lane
``bronze-eu``), so each lands in parallel under its own one-run-at-a-time lane.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class RegionBronze:
    region: str
    primary: bool

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey(["bronze", "events"] if self.primary else ["bronze", self.region, "events"])

    @property
    def node(self) -> str:
        """The op name Dagster gives the asset (``bronze__events``), used in run config."""
        return "__".join(self.key.path)

    @property
    def job_name(self) -> str:
        return "bronze_job" if self.primary else f"bronze_{self.region}_job"

    @property
    def sensor_name(self) -> str:
        return "bronze_events_sensor" if self.primary else f"bronze_{self.region}_events_sensor"

    @property
    def check_name(self) -> str:
        return "bronze_events_offset_coverage"

    @property
    def lane(self) -> str:
        return "bronze" if self.primary else f"bronze-{self.region}"


def region_bronzes(regions: list[str], primary: str) -> list[RegionBronze]:
    return [RegionBronze(region, region == primary) for region in regions]
