"""The code location: ``dagster dev -m orchestration.definitions``.

Each domain under ``orchestration/defs/`` builds its own ``Definitions`` from the settings; they are
merged here. Built inside a ``@dg.definitions`` function so settings are read when Dagster loads the
code location, not when Python imports this module.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.bronze import definitions as bronze
from orchestration.defs.dr import definitions as dr
from orchestration.defs.quality import definitions as quality
from orchestration.defs.replication import definitions as replication
from orchestration.defs.shared import definitions as shared
from orchestration.defs.streaming import definitions as streaming
from orchestration.defs.warehouse import definitions as warehouse
from orchestration.settings import PlatformSettings, get_settings

DOMAINS = (shared, bronze, replication, warehouse, quality, streaming, dr)


def build_definitions(settings: PlatformSettings) -> dg.Definitions:
    return dg.Definitions.merge(*(domain.build(settings) for domain in DOMAINS))


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(get_settings())
