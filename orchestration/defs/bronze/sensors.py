"""The sensor that turns new Kafka offsets into bronze runs."""

import json

import dagster as dg

from orchestration.defs.bronze.assets import run_config_for
from orchestration.defs.bronze.jobs import AssetJob
from orchestration.defs.bronze.regions import RegionBronze
from orchestration.defs.shared.resources import KafkaResource, LakeResource
from orchestration.lib.bronze.landing import landed_in
from orchestration.lib.bronze.ranges import OffsetRange, landed_frontier, plan_ranges, run_key


def resume_offsets(cursor: str | None, frontier: dict[int, int]) -> dict[int, int]:
    """Where to resume per partition: past both what was requested and what landed.

    The cursor remembers ranges requested but maybe not landed yet (runs in flight), so they
    are not requested again; the lake frontier covers a lost or reset cursor.
    """
    requested = {int(p): off for p, off in json.loads(cursor).items()} if cursor else {}
    return {p: max(requested.get(p, 0), frontier.get(p, 0)) for p in requested.keys() | frontier.keys()}


def advance_cursor(resume: dict[int, int], ranges: list[OffsetRange]) -> str:
    nxt = dict(resume)
    for r in ranges:
        nxt[r.partition] = r.end
    return json.dumps({str(p): off for p, off in sorted(nxt.items())})


def build_bronze_sensor(bronze: RegionBronze, job: AssetJob, max_records: int) -> dg.SensorDefinition:
    region = bronze.region

    @dg.sensor(
        name=bronze.sensor_name,
        job=job,
        minimum_interval_seconds=10,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            f"Requests a bronze run for each new offset range of {bronze.topic('events topic')} "
            f"on region {region}'s Kafka."
        ),
    )
    def _bronze_sensor(
        context: dg.SensorEvaluationContext, kafka: KafkaResource, lake: LakeResource
    ) -> dg.SensorResult | dg.SkipReason:
        """One run per tick covering the next bounded range of every partition with new records."""
        regional = kafka.for_region(region)
        topic = bronze.topic(regional.events_topic)
        if bronze.source and topic not in regional.topics():
            return dg.SkipReason(f"{topic} is not on {region}'s Kafka yet: is MirrorMaker running there?")
        resume = resume_offsets(context.cursor, landed_frontier(landed_in(lake.storage(region), topic)))
        ranges = plan_ranges(regional.end_offsets(topic), resume, regional.beginning_offsets(topic), max_records)
        if not ranges:
            return dg.SkipReason(f"no new records on {region}'s {topic} past {resume}")
        request = dg.RunRequest(
            # the region is part of the key: two clusters have the same topic and offsets
            run_key=run_key(topic, ranges)
            if bronze.primary and not bronze.source
            else f"{region}|{run_key(topic, ranges)}",
            run_config=run_config_for(ranges, bronze.node),
            tags={"meridian/ranges": ",".join(map(str, ranges)), "meridian/region": region},
        )
        return dg.SensorResult(run_requests=[request], cursor=advance_cursor(resume, ranges))

    return _bronze_sensor
