"""The dbt project as Dagster sees it: where it is, its manifest, and how its nodes are named.

The manifest is prepared at build time (``make dbt-manifest``, part of ``make run``/``make
test``), never by importing this module; loading definitions without it fails with the fix.
"""

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtProject

# The dbt project sits beside the Python packages in the repository (it is not part of the wheels).
DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
LAYER_BY_FOLDER = {"staging": "silver", "intermediate": "silver", "marts": "gold"}
ASSET_RESOURCE_TYPES = ("model", "seed", "snapshot")


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

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            key = super().get_asset_key(dbt_resource_props)
            override = self.source_keys.get(tuple(key.path))
            return key if override is None else dg.AssetKey(list(override))
        return dg.AssetKey([layer_of(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return layer_of(dbt_resource_props)


@lru_cache(maxsize=1)
def _nodes_by_name(manifest: Path, modified_ns: int) -> Mapping[str, list[Mapping[str, Any]]]:
    """The manifest's models, seeds and snapshots by name; read again when ``make dbt-manifest`` rewrites it."""
    nodes: dict[str, list[Mapping[str, Any]]] = {}
    for props in json.loads(manifest.read_text())["nodes"].values():
        if props["resource_type"] in ASSET_RESOURCE_TYPES:
            nodes.setdefault(props["name"], []).append(props)
    return nodes


def model_key(name: str, translator: DagsterDbtTranslator | None = None) -> dg.AssetKey:
    """The asset key of the dbt model (or seed) ``name``, as the translator names it from the manifest.

    Code outside the dbt assets (checks, sensors) refers to models through this, never by typing a key:
    moving a model to another layer then moves every reference with it.
    """
    path = manifest_path()
    matches = _nodes_by_name(path, path.stat().st_mtime_ns).get(name, [])
    if len(matches) != 1:
        found = "no" if not matches else f"{len(matches)}"
        raise KeyError(
            f"{found} dbt model or seed named {name!r} in {path}; is the manifest current (make dbt-manifest)?"
        )
    return (translator or MeridianTranslator()).get_asset_key(matches[0])
