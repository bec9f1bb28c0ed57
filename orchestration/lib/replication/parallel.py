"""Run I/O-bound tasks on a bounded pool and stop at the first failure.

Copies are network-bound, so a few threads overlap reads, writes and stats the way a tuned upload loop would,
without ever holding more than ``workers`` ranges in memory. When one task fails (a store went away), no new
task starts; tasks already running finish, so a range whose files are written still gets its manifest if and
only if they verified, and the failure is raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def run_all(pool: ThreadPoolExecutor, tasks: Iterable[Callable[[], T]]) -> list[T]:
    """Every task's result in submission order, or the first failure (by submission order) raised."""
    futures: list[Future[T]] = [pool.submit(task) for task in tasks]
    done, _ = wait(futures, return_when=FIRST_EXCEPTION)
    failed = [f for f in futures if f in done and f.exception() is not None]
    if not failed:
        return [f.result() for f in futures]
    for f in futures:
        f.cancel()
    wait(futures)
    errors = [exc for f in futures if not f.cancelled() and (exc := f.exception()) is not None]
    for extra in errors[1:]:
        log.warning("another task failed too: %s", extra)
    raise errors[0]
