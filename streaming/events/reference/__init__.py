"""Reference data the event vocabulary needs at run time, shipped as package data.

``fx_rates.csv`` is the one copy of the conversion rates: the streaming service reads it from the
installed package, and dbt seeds gold's ``fx_rates`` table from this same file (``seed-paths`` in
``dbt_project/dbt_project.yml``), so both layers convert revenue alike.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources
from pathlib import Path


def fx_rates_path() -> Path:
    """The file itself (for readers that take a path); packages are installed unzipped."""
    return Path(str(resources.files(__name__).joinpath("fx_rates.csv")))


def fx_rates_text() -> str:
    return resources.files(__name__).joinpath("fx_rates.csv").read_text()


@cache
def _rates() -> tuple[tuple[str, float], ...]:
    return tuple((row["currency"], float(row["rate_to_usd"])) for row in csv.DictReader(io.StringIO(fx_rates_text())))


def load_fx_rates() -> dict[str, float]:
    """currency -> rate to US dollars (a fresh dict: callers may keep it)."""
    return dict(_rates())
