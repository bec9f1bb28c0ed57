"""Event times the platform can place: not too far in the future, not before the daily partitions begin.

An ``occurred_at`` in year 9999 or 0001 passes the contract but falls in no daily partition that is
ever built, so it would land in bronze and then vanish from silver and gold without a word. The edge
rejects such events and bronze quarantines them, both with the reason codes below.

"Now" is a parameter: the edge passes the time it received the event; bronze passes the Kafka record's
timestamp, so landing a range again (a retry) classifies every record exactly as the first time did.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from streaming.events.contract import Rejected

TOO_FAR_IN_FUTURE = "out_of_range:occurred_at_in_future"
BEFORE_PARTITIONS = "out_of_range:occurred_at_before_start"


class EventTimeSettings(BaseSettings):
    """``MERIDIAN_PARTITIONS_START_DATE`` (also the warehouse's first daily partition) and the allowed clock skew."""

    model_config = SettingsConfigDict(
        env_prefix="MERIDIAN_EVENTS_", env_file=".env", extra="ignore", populate_by_name=True
    )

    partitions_start_date: date = Field(
        default=date(2026, 10, 1), validation_alias=AliasChoices("MERIDIAN_PARTITIONS_START_DATE")
    )
    max_clock_skew_seconds: float = Field(default=86_400.0, ge=0)  # MERIDIAN_EVENTS_MAX_CLOCK_SKEW_SECONDS

    def rules(self) -> EventTimeRules:
        return EventTimeRules(self.partitions_start_date, timedelta(seconds=self.max_clock_skew_seconds))


class EventTimeRules:
    """The pure check, built once from settings (``EventTimeSettings.rules``)."""

    __slots__ = ("earliest", "skew", "start_date")

    def __init__(self, start_date: date, skew: timedelta) -> None:
        self.start_date = start_date
        self.skew = skew
        self.earliest = datetime(start_date.year, start_date.month, start_date.day, tzinfo=UTC)

    def check(self, occurred_at: datetime, now: datetime) -> Rejected | None:
        """None when the platform can place ``occurred_at``; otherwise why not."""
        if occurred_at.tzinfo is None:  # the contract requires an offset; be safe for callers that skip it
            occurred_at = occurred_at.replace(tzinfo=UTC)
        if occurred_at < self.earliest:
            return Rejected(
                BEFORE_PARTITIONS,
                f"occurred_at {occurred_at.isoformat()} is before the first daily partition "
                f"({self.start_date.isoformat()}, MERIDIAN_PARTITIONS_START_DATE)",
            )
        try:
            latest = now + self.skew
        except OverflowError:
            return None
        if occurred_at > latest:
            return Rejected(
                TOO_FAR_IN_FUTURE,
                f"occurred_at {occurred_at.isoformat()} is more than {self.skew.total_seconds():g}s after "
                f"{now.isoformat()} (MERIDIAN_EVENTS_MAX_CLOCK_SKEW_SECONDS)",
            )
        return None
