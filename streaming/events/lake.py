"""The bronze and quarantine Arrow schemas, derived from the contract's JSON Schemas.

Bronze keeps every field any supported contract version defines (a reader of either version reads
both, see :mod:`streaming.events.compat`), then where the edge received the event (null for events
produced straight to Kafka), then where the record sat in Kafka, and when and in which region's lake
bronze landed it. Deriving the columns from the schema files means a new optional field reaches the
lake by editing the contract alone; a test holds the derivation to the files.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa

from streaming.events.contract import SUPPORTED_VERSIONS, load_schema

_JSON_TO_ARROW = {"string": pa.string(), "number": pa.float64(), "integer": pa.int64(), "boolean": pa.bool_()}
# schema_version has been int32 in every bronze file written so far; kept so old and new files union cleanly.
_OVERRIDES = {"schema_version": pa.int32()}

# Added by the edge collector (streaming.edge.intake.enrich): when and where it took the event.
PROVENANCE_FIELDS: dict[str, pa.DataType] = {
    "received_at": pa.string(),  # RFC 3339 text as the edge wrote it; silver types it
    "edge_id": pa.string(),
    "edge_region": pa.string(),
}
KAFKA_FIELDS = [
    pa.field("kafka_topic", pa.string(), nullable=False),
    pa.field("kafka_partition", pa.int32(), nullable=False),
    pa.field("kafka_offset", pa.int64(), nullable=False),
    pa.field("kafka_timestamp", pa.timestamp("ms", tz="UTC")),
]
# The region whose lake landed the record: every region lands its own Kafka cluster, and the global
# build unions every region's bronze. Nullable because files landed before it existed lack it.
INGEST_REGION = pa.field("ingest_region", pa.string())


@cache
def contract_fields() -> dict[str, pa.DataType]:
    """Every property of every supported contract version, in the order the schema files list them."""
    fields: dict[str, pa.DataType] = {}
    for version in SUPPORTED_VERSIONS:
        for name, spec in load_schema(version)["properties"].items():
            kind = spec.get("type")
            if name in fields:
                continue
            if name in _OVERRIDES:
                fields[name] = _OVERRIDES[name]
            elif isinstance(kind, str) and kind in _JSON_TO_ARROW:
                fields[name] = _JSON_TO_ARROW[kind]
            else:
                raise ValueError(
                    f"event schema v{version}: field {name!r} has type {kind!r}, which bronze cannot store"
                )
    return fields


@cache
def event_fields() -> dict[str, pa.DataType]:
    """The event's columns in bronze: the contract's, then the edge's provenance."""
    return {**contract_fields(), **PROVENANCE_FIELDS}


@cache
def events_schema() -> pa.Schema:
    return pa.schema(
        [pa.field(name, dtype) for name, dtype in event_fields().items()]
        + KAFKA_FIELDS
        + [pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False), INGEST_REGION]
    )


@cache
def quarantine_schema() -> pa.Schema:
    return pa.schema(
        KAFKA_FIELDS
        + [
            pa.field("raw_value", pa.binary()),
            pa.field("reason", pa.string(), nullable=False),
            pa.field("detail", pa.string()),
            pa.field("quarantined_at", pa.timestamp("us", tz="UTC"), nullable=False),
            INGEST_REGION,
        ]
    )
