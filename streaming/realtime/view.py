"""What the streaming service offers its readers: a consistent copy of its windows, taken under its lock.

The HTTP API reads this and nothing else of the service, so a response is consistent with whole
batches (never half of one) and the API does not depend on how the service keeps its state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streaming.events.window_records import Aggregate, MergedWindow, WindowKey, merge

Partial = tuple[WindowKey, int, Aggregate]


@dataclass(frozen=True)
class WindowsView:
    window_ms: int
    lateness_ms: int
    partitions: list[int]
    late_events: int
    open: list[Partial]  # windows still accepting events, one partial per partition
    closed: list[Partial]  # the most recent closed windows kept per partition

    def merged(self) -> tuple[list[MergedWindow], list[MergedWindow]]:
        """(closed, open) windows with each window's partials combined."""
        return merge(self.closed, self.window_ms), merge(self.open, self.window_ms)

    def to_json(self) -> dict[str, Any]:
        closed, open_ = self.merged()
        windows = [w.to_json(closed=True) for w in closed] + [w.to_json(closed=False) for w in open_]
        windows.sort(key=lambda w: (w["window_start"], w["region"], w["event_type"]))
        return {
            "window_seconds": self.window_ms / 1000,
            "allowed_lateness_seconds": self.lateness_ms / 1000,
            "partitions": self.partitions,
            "late_events": self.late_events,
            "windows": windows,
        }
