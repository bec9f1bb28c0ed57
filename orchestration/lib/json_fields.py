"""Reading the fields of the JSON documents the lake keeps (replication manifests, the lease): strict types, so a
hand-edited or foreign document is refused with what was wrong, never read as something else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def typed(value: Any, kind: type) -> Any:
    """``value`` if it is a ``kind`` (a bool is not an int), else TypeError."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value


def utc_time(value: Any) -> datetime:
    """An ISO 8601 timestamp with a time zone, as UTC; ValueError without one."""
    parsed = datetime.fromisoformat(typed(value, str))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no time zone")
    return parsed.astimezone(UTC)
