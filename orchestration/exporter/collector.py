"""The Prometheus collector: reads the sources when scraped, at most once per ``cache_seconds``.

A custom collector rather than gauges set by a loop: what a scrape sees is what the stores and Dagster said
when it (or a scrape moments before it) asked, and nothing is read while nobody scrapes. Failed reads are
counted per source; the rest of the snapshot is exported, so the exporter never answers a scrape with an
error because one region's store is down.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable

from prometheus_client.core import Metric

from orchestration.exporter.collect import Snapshot, families
from orchestration.exporter.sources import Sources

log = logging.getLogger(__name__)
EXPORTER_SOURCE = "exporter"  # a fault of the exporter's own code while reading: counted, never raised


class LakeCollector:
    def __init__(self, sources: Sources, cache_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.sources = sources
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._lock = threading.Lock()  # one read at a time: concurrent scrapes wait for it and share it
        self._snapshot = Snapshot()
        self._read_at = -math.inf
        # Every source from the start, at 0: increase() and rate() see the first failure as a step.
        self._errors = dict.fromkeys([*sources.names(), EXPORTER_SOURCE], 0)

    def snapshot(self) -> Snapshot:
        """The cached snapshot, read again first when older than ``cache_seconds``."""
        with self._lock:
            if self.clock() - self._read_at >= self.cache_seconds:
                self._refresh()
            return self._snapshot

    def _refresh(self) -> None:
        try:
            snapshot, failed = self.sources.read()
        except Exception:  # the sources catch their own failures; this is a bug, so keep its traceback
            log.exception("exporter: reading the sources failed")
            snapshot, failed = Snapshot(), [EXPORTER_SOURCE]
        for source in failed:
            self._errors[source] = self._errors.get(source, 0) + 1
        self._snapshot, self._read_at = snapshot, self.clock()

    def errors(self) -> dict[str, int]:
        with self._lock:
            return dict(self._errors)

    def collect(self) -> Iterable[Metric]:
        snapshot = self.snapshot()
        return families(snapshot, self.errors())
