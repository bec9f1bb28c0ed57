"""Test helpers: send generated traffic and remember where Kafka put each record; read the lake back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.child_env import kafka_env as kafka_env
from orchestration.lib.child_env import settings_env as settings_env
from orchestration.settings import PlatformSettings
from streaming.generator import GeneratedRecord
from streaming.kafka import clients
from streaming.kafka.broker import kill_group as kill_group  # a child in its own process group
from streaming.kafka.broker import stop_group as stop_group
from streaming.kafka.settings import KafkaSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
# The user of the SCRAM broker (``scram_broker``), a throwaway loopback broker of the test session.
SCRAM_USER, SCRAM_PASSWORD = "meridian", "pipeline-test secret!"  # noqa: S105


@dataclass(frozen=True)
class Placed:
    record: GeneratedRecord
    partition: int
    offset: int


def produce_and_place(bootstrap: str, topic: str, records: list[GeneratedRecord]) -> list[Placed]:
    """Send every record and return each one's acknowledged (partition, offset)."""
    producer = clients.producer(KafkaSettings(bootstrap_servers=bootstrap))
    futures = [producer.send(topic, key=r.key, value=r.value) for r in records]
    producer.flush(timeout=120)
    producer.close()
    placed = []
    for rec, fut in zip(records, futures, strict=True):
        meta = fut.get(timeout=1)
        placed.append(Placed(rec, meta.partition, meta.offset))
    return placed


def read_layer(lake_root: Path, region: str, layer: str, topic: str) -> pa.Table:
    """Every Parquet file of bronze/<layer> for ``topic`` as one table (empty files included)."""
    files = sorted((lake_root / region / "bronze" / layer / f"topic={topic}").rglob("*.parquet"))
    tables = [pq.read_table(f) for f in files]
    return pa.concat_tables(tables) if tables else pa.table({})


def platform_settings(bootstrap: str, topic: str, tmp_path: Path, **updates: dict[str, object]) -> PlatformSettings:
    """A deployment of the test's own: its topic on the shared broker, its lake and warehouse in ``tmp_path``."""
    return PlatformSettings.under(tmp_path, bootstrap, topic).replaced(**updates)


def query_warehouse(settings: PlatformSettings, sql: str) -> list[tuple[object, ...]]:
    """Rows of ``sql`` against the local DuckDB warehouse, opened read-only."""
    import duckdb

    con = duckdb.connect(str(settings.warehouse.duckdb_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def metric_sum(exposition: str, name: str) -> float:
    """The sum of one metric's samples in a Prometheus text exposition (0 when absent).

    ``name`` may carry labels (``requests_total{status="429"}``) to pick one series.
    """
    total = 0.0
    for line in exposition.splitlines():
        if line.startswith((name + " ", name + "{")):
            total += float(line.rsplit(" ", 1)[1])
    return total
