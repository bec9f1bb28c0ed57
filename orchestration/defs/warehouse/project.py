"""The dbt project as Dagster sees it: where it is, its manifest, and how its nodes are named.

The manifest is prepared at build time (``make dbt-manifest``, part of ``make run``/``make
test``), never by importing this module; loading definitions without it fails with the fix.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DbtProject

# The dbt project sits beside the Python packages in the repository (it is not part of the wheels).
DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
LAYER_BY_FOLDER = {"staging": "silver", "intermediate": "silver", "marts": "gold"}


class ManifestMissingError(RuntimeError):
    pass


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def manifest_path() -> Path:
    if not MANIFEST.exists():
        raise ManifestMissingError(
            f"{MANIFEST} is missing: run `make dbt-manifest` (dbt parse) before loading the definitions"
        )
    return MANIFEST


def layer_of(props: Mapping[str, Any]) -> str:
    """silver for staging/intermediate models, gold for marts and reference seeds."""
    if props["resource_type"] == "seed":
        return "gold"
    folder = props["fqn"][1] if len(props["fqn"]) > 2 else ""
    return LAYER_BY_FOLDER.get(folder, "gold")


class MeridianTranslator(DagsterDbtTranslator):
    """Keys say where data lives (``["silver", name]``, ``["gold", name]``); groups are layers.

    ``source_keys`` re-points dbt sources for one engine: on BigQuery, dbt reads bronze from the raw
    table the ``bronze/events_bigquery`` asset loads, so that asset, not the lake files, is upstream.
    """

    def __init__(self, source_keys: Mapping[tuple[str, ...], Sequence[str]] | None = None) -> None:
        super().__init__()
        self.source_keys = dict(source_keys or {})

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> Any:
        if dbt_resource_props["resource_type"] == "source":
            key = super().get_asset_key(dbt_resource_props)
            override = self.source_keys.get(tuple(key.path))
            return key if override is None else type(key)(list(override))
        import dagster as dg

        return dg.AssetKey([layer_of(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return layer_of(dbt_resource_props)
