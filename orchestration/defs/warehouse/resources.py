"""Where the warehouse is: a DuckDB file locally, BigQuery in dev/prod (dbt profile targets)."""

import contextlib
import os
from collections.abc import Collection, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

import dagster as dg

from orchestration.lib.frames import arrow_to_frame
from orchestration.lib.warehouse_engines import BigQueryWarehouse, DuckDBWarehouse, Warehouse
from orchestration.settings import BigQuerySettings, WarehouseSettings

if TYPE_CHECKING:
    import pandas as pd


class WarehouseResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The settings dbt's profile reads (``MERIDIAN_*`` env vars), handed to each dbt invocation."""

    target: str = "local"
    duckdb_path: str = ""
    bq_project: str = ""
    bq_dataset: str = ""
    bq_raw_dataset: str = ""
    bq_location: str = ""
    bq_endpoint: str = ""
    bq_incremental_strategy: str = "insert_overwrite"

    def profile_env(self) -> dict[str, str]:
        env = {
            "MERIDIAN_DBT_TARGET": self.target,
            "MERIDIAN_DUCKDB_PATH": self.duckdb_path,
            "MERIDIAN_BQ_PROJECT": self.bq_project,
            "MERIDIAN_BQ_DATASET": self.bq_dataset,
            "MERIDIAN_BQ_RAW_DATASET": self.bq_raw_dataset,
            "MERIDIAN_BQ_LOCATION": self.bq_location,
            "MERIDIAN_BQ_ENDPOINT": self.bq_endpoint,
        }
        return {key: value for key, value in env.items() if value}

    def dbt_vars(self) -> dict[str, str]:
        """Engine choices the models read as vars (only BigQuery has one today)."""
        return {"bigquery_incremental_strategy": self.bq_incremental_strategy}

    def warehouse(self) -> Warehouse:
        """The engine behind the dbt target: DuckDB for ``local``, BigQuery for every other (dbt_project/profiles.yml).

        The one place that chooses; everything else talks to the :class:`Warehouse` it returns.
        """
        if self.target == "local":
            return DuckDBWarehouse(self.duckdb_path)
        return BigQueryWarehouse(self.bq_project, self.bq_location or None, self.bq_endpoint or None)

    @property
    def engine(self) -> str:
        """The SQL dialect reads are written in (``duckdb`` or ``bigquery``)."""
        return self.warehouse().engine

    def read_frame(
        self, sql: str, categories: Collection[str] = (), arrow_strings: Collection[str] = ()
    ) -> "pd.DataFrame":
        """A query's rows as a DataFrame with the same dtypes on both engines (``orchestration.lib.frames``).

        ``categories`` names low-cardinality string columns to read as pandas categoricals,
        ``arrow_strings`` string columns to leave Arrow-backed.
        """
        return arrow_to_frame(self.warehouse().read_arrow(sql), categories, arrow_strings)

    def row_counts(
        self, relations: list[tuple[str, str]], window: tuple[str, str] | None = None
    ) -> dict[tuple[str, str], int]:
        """Rows per (schema, table), of the inclusive ``event_date`` window when given.

        Counted after dbt has exited: DuckDB lets no other process open the file while dbt writes it.
        """
        warehouse = self.warehouse()
        dates = None if window is None else (date.fromisoformat(window[0]), date.fromisoformat(window[1]))
        return {relation: warehouse.count_rows(*relation, dates) for relation in relations}

    @classmethod
    def from_settings(cls, warehouse: WarehouseSettings, bigquery: BigQuerySettings) -> "WarehouseResource":
        return cls(
            target=warehouse.dbt_target,
            duckdb_path=str(warehouse.duckdb_path.absolute()),
            bq_project=bigquery.project,
            bq_dataset=bigquery.dataset,
            bq_raw_dataset=bigquery.raw_dataset,
            bq_location=bigquery.location,
            bq_endpoint=bigquery.endpoint or "",
            bq_incremental_strategy=bigquery.incremental_strategy,
        )

    @contextlib.contextmanager
    def profile_environment(self) -> Iterator[None]:
        """dagster-dbt passes this process's environment to dbt; set the profile's variables for one call."""
        saved = {key: os.environ.get(key) for key in self.profile_env()}
        os.environ.update(self.profile_env())
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def dbt_cli_resource(project_dir: str, dbt_executable: str) -> Any:
    """A DbtCliResource that knows the dbt version without running ``dbt --version``.

    dagster-dbt asks the dbt executable for its version on every invocation; with our adapters
    installed that subprocess takes ~15 s of CPU here (it imports every adapter). We run
    dbt-core (never dbt Fusion), so the installed package's version is the answer.
    """
    from functools import cached_property
    from importlib.metadata import version as installed_version

    from dagster_dbt import DbtCliResource
    from packaging import version

    class _DbtCoreCliResource(DbtCliResource):
        @cached_property
        def _cli_version(self) -> version.Version:
            return version.parse(installed_version("dbt-core"))

    return _DbtCoreCliResource(project_dir=project_dir, profiles_dir=project_dir, dbt_executable=dbt_executable)
