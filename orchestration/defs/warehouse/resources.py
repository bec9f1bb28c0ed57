"""Where the warehouse is: a DuckDB file locally, BigQuery in dev/prod (dbt profile targets)."""

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import dagster as dg


class WarehouseResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The settings dbt's profile reads (``MERIDIAN_*`` env vars), handed to each dbt invocation."""

    target: str = "local"
    duckdb_path: str = ""

    def profile_env(self) -> dict[str, str]:
        env = {"MERIDIAN_DBT_TARGET": self.target}
        if self.duckdb_path:
            env["MERIDIAN_DUCKDB_PATH"] = self.duckdb_path
        return env

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
