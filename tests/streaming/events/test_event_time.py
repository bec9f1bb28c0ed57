"""The event-time rule: what no daily partition will read is refused, with its own reason code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from streaming.events.event_time import BEFORE_PARTITIONS, TOO_FAR_IN_FUTURE, EventTimeRules

RULES = EventTimeRules(date(2026, 10, 1), timedelta(days=1))
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("occurred_at", "reason"),
    [
        (NOW, None),
        (datetime(2026, 10, 1, tzinfo=UTC), None),  # the first partition's first instant
        (NOW + timedelta(days=1), None),  # exactly the allowed skew
        (NOW + timedelta(days=1, microseconds=1), TOO_FAR_IN_FUTURE),
        (datetime(9999, 12, 31, 23, 59, tzinfo=UTC), TOO_FAR_IN_FUTURE),
        (datetime(2026, 9, 30, 23, 59, 59, 999999, tzinfo=UTC), BEFORE_PARTITIONS),
        (datetime(1, 1, 1, tzinfo=UTC), BEFORE_PARTITIONS),
        # an offset is an instant like any other: 2026-10-01T01:00+02:00 is still September in UTC
        (datetime(2026, 10, 1, 1, 0, tzinfo=UTC) - timedelta(hours=2), BEFORE_PARTITIONS),
    ],
)
def test_events_are_placed_or_refused(occurred_at: datetime, reason: str | None) -> None:
    outcome = RULES.check(occurred_at, NOW)
    assert (outcome.reason if outcome else None) == reason
    if outcome:
        assert "MERIDIAN_" in outcome.detail  # the person reading it learns which setting decides


def test_now_near_the_end_of_time_does_not_overflow() -> None:
    assert RULES.check(datetime(9999, 12, 31, tzinfo=UTC), datetime(9999, 12, 31, 12, tzinfo=UTC)) is None
