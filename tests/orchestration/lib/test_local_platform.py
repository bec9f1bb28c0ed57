"""Where ``meridian up`` puts each region, and its summary: one region prints what it always printed."""

from __future__ import annotations

from pathlib import Path

from orchestration.lib.local_platform import (
    PlatformView,
    RegionView,
    broker_ports,
    region_slots,
    regional,
    regional_path,
    split_rate,
    summary,
)

LOGS = Path(".local/logs")


def view(regions: list[RegionView], generator_rate: float = 50.0, aggregation: str = "us") -> PlatformView:
    return PlatformView(
        regions=regions,
        primary="us",
        aggregation=aggregation,
        topic="events.raw.v1",
        partitions=6,
        edge_key="mk_key",
        generator_rate=generator_rate,
        dagster_url="http://127.0.0.1:3000",
        stream_url="http://127.0.0.1:8081",
        logs=LOGS,
        dagster_home=Path(".local/dagster"),
        warehouse="/w/warehouse.duckdb",
        warehouse_interval_s=120,
    )


def local_region(region: str, slot: int, rate: float) -> RegionView:
    port, _ = broker_ports(9092, slot)
    return RegionView(
        region=region,
        store=f"/w/.local/lake/{region}",
        kafka=f"127.0.0.1:{port}",
        broker_log=Path(".local/kafka") / regional("broker", region, "us") / "broker.log",
        edge_url=f"http://127.0.0.1:{8090 + slot}",
        edge_log=LOGS / f"{regional('edge', region, 'us')}.log",
        generator_rate=rate,
        generator_log=LOGS / f"{regional('generator', region, 'us')}.log" if rate else None,
    )


def test_the_primary_keeps_the_single_region_names_and_ports_and_the_others_take_a_slot_each() -> None:
    assert region_slots(["eu", "us", "apac"], "us") == ["us", "eu", "apac"]
    assert [broker_ports(9092, slot) for slot in range(3)] == [(9092, 9093), (9192, 9193), (9292, 9293)]
    assert regional("broker", "us", "us") == "broker" and regional("broker", "eu", "us") == "broker-eu"
    buffer = Path(".local/edge/buffer")
    assert regional_path(buffer, "us", "us") == buffer
    assert regional_path(buffer, "apac", "us") == Path(".local/edge/buffer-apac")
    assert split_rate(50, 1) == 50 and split_rate(60, 3) == 20 and split_rate(0.2, 3) == 0.1


def test_one_region_prints_the_summary_it_always_printed() -> None:
    assert summary(view([local_region("us", 0, 50.0)])) == "\n".join(
        [
            "Meridian is running:",
            "  Kafka          127.0.0.1:9092 (local KRaft broker, log .local/kafka/broker/broker.log)",
            "  topic          events.raw.v1 (6 partitions)",
            "  edge collector http://127.0.0.1:8090/v1/events  (log .local/logs/edge.log)",
            "                 Authorization: Bearer mk_key",
            "  generator      50.0 events/s through the edge, log .local/logs/generator.log",
            "  Dagster UI     http://127.0.0.1:3000  (log .local/logs/dagster.log)",
            "  real-time API  http://127.0.0.1:8081/v1/metrics/realtime  (log .local/logs/stream.log)",
            "  DAGSTER_HOME   .local/dagster",
            "  lake           /w/.local/lake/us",
            "  warehouse      /w/warehouse.duckdb: silver and gold follow bronze "
            "(warehouse_sensor, a build at most every 120 s)",
            "Press Ctrl-C to stop everything.",
        ]
    )
    external = RegionView("us", "/w/.local/lake/us", kafka="kafka:9092", edge_url="http://127.0.0.1:8090")
    text = summary(view([external], generator_rate=0))
    assert "  Kafka          kafka:9092\n" in text and "  generator      off\n" in text


def test_several_regions_list_each_with_its_kafka_edge_and_store_and_mark_primary_and_aggregation() -> None:
    regions = [
        local_region("us", 0, 25.0),
        local_region("eu", 1, 25.0),
        RegionView("apac", "s3://acme-apac"),  # no cluster configured here
    ]
    lines = summary(view(regions, aggregation="eu")).splitlines()
    block = lines[lines.index("  region eu (aggregation region)") :]
    assert "  region us (primary)" in lines
    assert block[1:5] == [
        "    Kafka        127.0.0.1:9192 (local KRaft broker, log .local/kafka/broker-eu/broker.log)",
        "    edge         http://127.0.0.1:8091/v1/events  (log .local/logs/edge-eu.log)",
        "    generator    25 events/s through this edge, log .local/logs/generator-eu.log",
        "    lake         /w/.local/lake/eu",
    ]
    apac = lines[lines.index("  region apac") :]
    assert apac[1].startswith("    Kafka        none configured here") and apac[2] == "    lake         s3://acme-apac"
    assert "  generator      50.0 events/s in all, split evenly across the edges" in lines
    assert any("primary region us only" in line for line in lines)
    assert "                 Authorization: Bearer mk_key" in lines
