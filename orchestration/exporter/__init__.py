"""``meridian exporter``: the lake's signals as Prometheus metrics, read at scrape time.

The edge and the stream export what happens inside them; what the lake and Dagster know (how far each
region's bronze ledger has come, how far each replica is behind, when gold was last built, which asset
checks fail) lives in stores and in the Dagster instance, so a small process of its own reads it there:
:mod:`~orchestration.exporter.sources` reads, :mod:`~orchestration.exporter.collect` turns what was read
into metrics (pure), :mod:`~orchestration.exporter.collector` caches it per scrape and counts failed reads,
:mod:`~orchestration.exporter.server` serves ``/metrics`` and ``/healthz``.
"""
