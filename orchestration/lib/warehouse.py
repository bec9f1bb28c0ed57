"""Pure helpers for the dbt-built warehouse: partition windows, dbt vars, days with data, bronze indexes.

A bronze index is the exact list of bronze files a build reads (the global build: a region's own
files plus the replicas whose manifests verified; a listing is never trusted for that). It is a JSON
file, ``{"version": 1, "files": ["<uri>", ...]}``, each entry a path or URI as DuckDB opens it
(absolute local paths, ``gs://...``). dbt reads it when var ``bronze_events_index`` names it (macro
``bronze_events``); Python reads it with :func:`read_bronze_index`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from orchestration.lib.lake import LakeStorage

BRONZE_INDEX_VERSION = 1


class BronzeIndexError(ValueError):
    """A bronze index that does not list files to read; the message says what is wrong with it."""


def window_vars(start: datetime, end: datetime) -> dict[str, str]:
    """dbt vars for a Dagster time window ``[start, end)`` of daily partitions (dates inclusive)."""
    last = (end - timedelta(days=1)).date()
    if last < start.date():
        raise ValueError(f"empty partition window [{start}, {end})")
    return {"min_date": start.date().isoformat(), "max_date": last.isoformat()}


def bronze_glob(storage: LakeStorage, topic: str) -> str:
    """Where an engine reads bronze events: every range file of every Kafka partition."""
    return storage.uri(f"bronze/events/topic={topic}/*/*.parquet")


def lookback_window(today: date, days: int) -> tuple[date, date]:
    """The days a scheduled run rebuilds: the ``days`` full days before ``today``."""
    return today - timedelta(days=days), today - timedelta(days=1)


def write_bronze_index(path: Path | str, uris: Iterable[str]) -> None:
    """Write the index of exactly ``uris`` at ``path``, atomically (a reader sees the old index or the new).

    Refuses an empty list (a build of nothing: skip the build instead) and a file listed twice (its
    rows would be read twice).
    """
    files = _checked_files(list(uris), "the files to index")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"version": BRONZE_INDEX_VERSION, "files": files}, out, indent=1)
            out.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_bronze_index(path: Path | str) -> list[str]:
    """The files a bronze index lists, in its order."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BronzeIndexError(f"cannot read the bronze index {path}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("version") != BRONZE_INDEX_VERSION:
        raise BronzeIndexError(
            f"{path} is not a version {BRONZE_INDEX_VERSION} bronze index "
            '({"version": 1, "files": [...]}); write it with write_bronze_index'
        )
    return _checked_files(doc.get("files"), f"the bronze index {path}")


def _checked_files(files: object, what: str) -> list[str]:
    if not isinstance(files, list):
        raise BronzeIndexError(f"{what}: expected a list of file paths or URIs, got {type(files).__name__}")
    bad = next((i for i, f in enumerate(files) if not isinstance(f, str) or not f), None)
    if bad is not None:
        raise BronzeIndexError(f"{what}: entry {bad} is {files[bad]!r}, not a file path or URI")
    if not files:
        raise BronzeIndexError(f"{what}: no files; with nothing to read, skip the build rather than index nothing")
    repeated = sorted(f for f, n in Counter(files).items() if n > 1)
    if repeated:
        raise BronzeIndexError(f"{what}: {repeated} listed more than once (their rows would be read twice)")
    return files


def event_dates_in_bronze(files: str | Sequence[str]) -> list[date]:
    """The UTC event dates present in bronze, read with DuckDB straight from the Parquet files.

    ``files`` is a glob (no file matching it: no dates) or the exact files to read, as a bronze index
    lists them (a listed file that is missing is an error: the list said it is there).
    """
    import duckdb

    is_glob = isinstance(files, str)
    if not is_glob and not files:
        return []
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select distinct cast(timezone('UTC', cast(occurred_at as timestamptz)) as date) as d "
            "from read_parquet(?, union_by_name = true) order by d",
            [files if is_glob else list(files)],
        ).fetchall()
    except duckdb.IOException:
        if not is_glob:
            raise
        return []
    finally:
        con.close()
    return [row[0] for row in rows]
