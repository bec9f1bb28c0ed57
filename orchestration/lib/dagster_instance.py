"""The Dagster instance's ``dagster.yaml``: one file for every deployment, two storages.

``deploy/local/dagster/dagster.yaml`` holds what every instance must carry (run retries, run
monitoring, the run coordinator, concurrency). With SQLite storage it is used as it is; with
PostgreSQL the same text gets one ``storage`` block, so the two can never drift apart. The block
names the variable that holds the URL, never the URL itself: a production password stays in the
environment (a Kubernetes secret), not in a file.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

POSTGRES_URL_ENV = "MERIDIAN_DAGSTER_POSTGRES_URL"
# dagster-postgres brings psycopg2; SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, so the
# instance's URL names its driver.
POSTGRES_URL_SCHEME = "postgresql+psycopg2://"


class DagsterStorage(StrEnum):
    """Where the instance keeps runs, event logs and schedule state."""

    SQLITE = "sqlite"  # files in $DAGSTER_HOME: one machine, one writer at a time
    POSTGRES = "postgres"  # dagster-postgres: what production runs, and what survives a lost pod


POSTGRES_STORAGE = f"""\
# PostgreSQL storage (runs, event logs, schedules and sensor state) through dagster-postgres; the URL
# is read from the environment when the instance loads.
storage:
  postgres:
    postgres_url:
      env: {POSTGRES_URL_ENV}
"""


def render_instance_yaml(base: str, storage: DagsterStorage | str) -> str:
    """``base`` (the text of deploy/local/dagster/dagster.yaml) for ``storage``; only the storage block differs."""
    storage = DagsterStorage(storage)
    if re.search(r"^storage:", base, flags=re.MULTILINE):
        raise ValueError("the base dagster.yaml already has a storage block; keep storage out of it")
    if storage is DagsterStorage.SQLITE:
        return base  # Dagster's default: SQLite files under $DAGSTER_HOME
    return base.rstrip("\n") + "\n" + POSTGRES_STORAGE


def instance_postgres_url(libpq_url: str) -> str:
    """A libpq URL (``postgresql://user@host:port/db``, what psql and psycopg2 take) as the instance's URL."""
    for prefix in ("postgresql://", "postgres://"):
        if libpq_url.startswith(prefix):
            return POSTGRES_URL_SCHEME + libpq_url[len(prefix) :]
    if libpq_url.startswith(POSTGRES_URL_SCHEME):
        return libpq_url
    raise ValueError(f"not a PostgreSQL URL: {libpq_url.split('@')[-1]!r} (expected postgresql://...)")


def write_instance_yaml(dagster_home: Path, base: str, storage: DagsterStorage | str) -> Path:
    """Write ``$DAGSTER_HOME/dagster.yaml`` for ``storage``; its path."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    target = dagster_home / "dagster.yaml"
    target.write_text(render_instance_yaml(base, storage))
    return target
