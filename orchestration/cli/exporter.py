"""``meridian exporter``: the lake's Prometheus metrics (ledger frontiers, replication lag, gold, checks)."""

from __future__ import annotations

from typing import Annotated

import typer

from orchestration.cli.io import clear_errors


def exporter(
    port: Annotated[int | None, typer.Option(help="HTTP port (default MERIDIAN_EXPORTER_HTTP_PORT, 9108).")] = None,
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default MERIDIAN_EXPORTER_HTTP_HOST, 127.0.0.1).")
    ] = None,
) -> None:
    """Serve the lake's signals on /metrics: bronze frontiers, replication lag, the last gold build, failing checks.

    Reads every region of MERIDIAN_REGIONS (its store as the lake settings name it) and the Dagster instance of
    DAGSTER_HOME, when scraped; a source that cannot be read is counted in meridian_exporter_scrape_errors_total.
    """
    import logging

    from dagster import DagsterInstance

    from orchestration.exporter.collector import LakeCollector
    from orchestration.exporter.server import serve
    from orchestration.exporter.settings import ExporterSettings
    from orchestration.exporter.sources import build_sources
    from orchestration.settings import LakeSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # Dagster's SQLite storage says each migration step
    updates: dict[str, object] = {}
    if port is not None:
        updates["http_port"] = port
    if host is not None:
        updates["http_host"] = host
    with clear_errors():
        settings = ExporterSettings().model_copy(update=updates)
        sources = build_sources(LakeSettings(), DagsterInstance.get)
    serve(settings, LakeCollector(sources, settings.cache_seconds))
