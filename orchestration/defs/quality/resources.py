"""Quality settings as a resource: thresholds, windows and where reports go."""

import csv
import importlib
import sys
from pathlib import Path

import dagster as dg

from orchestration.settings import Settings
from quality.rules import QualityParams


def start_gx_import() -> None:
    """Import Great Expectations in a daemon thread and build the runner's context (Python's import
    lock makes a concurrent ``import great_expectations`` wait for it rather than import twice)."""
    import threading

    if "great_expectations" not in sys.modules:
        threading.Thread(target=_warm_up, daemon=True).start()


def _warm_up() -> None:
    """The import, then the runner's ephemeral GX context (it is built once per process too)."""
    importlib.import_module("great_expectations")
    importlib.import_module("quality.runner").warm_up()


class QualityResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """What the suites are validated with; fx currencies come from the dbt seed so they cannot drift."""

    lookback_days: int = 3
    freshness_hours: int = 48
    report_root: str = ""
    fx_rates_csv: str = ""
    max_quarantine_ratio: float = 0.05
    volume_sigma: float = 3.0

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Start importing Great Expectations in the background as soon as a run needs this resource.

        The import costs ~20 s of CPU here and every run process pays it once. In ``warehouse_job``
        (one process) the resource is set up when the run starts, so the import overlaps silver's
        dbt build (a subprocess) instead of delaying silver's checks by that much.
        """
        start_gx_import()

    def params(self) -> QualityParams:
        currencies: tuple[str, ...] = QualityParams().currencies
        if self.fx_rates_csv:
            with Path(self.fx_rates_csv).open(newline="") as handle:
                currencies = tuple(row["currency"] for row in csv.DictReader(handle))
        return QualityParams(
            max_quarantine_ratio=self.max_quarantine_ratio, volume_sigma=self.volume_sigma, currencies=currencies
        )

    def report_dir(self) -> Path:
        return Path(self.report_root)

    @classmethod
    def from_settings(cls, settings: Settings) -> "QualityResource":
        from orchestration.defs.warehouse.project import DBT_PROJECT_DIR

        return cls(
            lookback_days=settings.gold_lookback_days,
            freshness_hours=settings.quality_freshness_hours,
            report_root=str(settings.quality_report_root),
            fx_rates_csv=str(DBT_PROJECT_DIR / "seeds" / "fx_rates.csv"),
            max_quarantine_ratio=settings.quality_max_quarantine_ratio,
            volume_sigma=settings.quality_volume_sigma,
        )
