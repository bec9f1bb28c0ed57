"""What bronze needs beyond Kafka and the lake: the event-time rules it quarantines by."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from streaming.events.event_time import EventTimeRules, EventTimeSettings


class BronzeResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Events no daily partition will read (too far in the future, before the first day) are quarantined."""

    partitions_start_date: str = "2026-10-01"
    max_clock_skew_seconds: float = 86_400.0

    def rules(self) -> EventTimeRules:
        return EventTimeRules(
            date.fromisoformat(self.partitions_start_date), timedelta(seconds=self.max_clock_skew_seconds)
        )

    @classmethod
    def from_settings(cls, event_time: EventTimeSettings) -> BronzeResource:
        return cls(
            partitions_start_date=event_time.partitions_start_date.isoformat(),
            max_clock_skew_seconds=event_time.max_clock_skew_seconds,
        )
