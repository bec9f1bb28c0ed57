"""Model keys come from the dbt manifest through the translator, as dagster-dbt names the assets."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster_dbt import get_asset_key_for_model

from orchestration.definitions import build_definitions
from orchestration.defs.warehouse.project import model_key
from orchestration.settings import PlatformSettings


def test_model_keys_are_the_keys_of_the_dbt_assets() -> None:
    defs = build_definitions(PlatformSettings())
    for name, layer in [("stg_events", "silver"), ("fct_region_hourly_metrics", "gold"), ("fx_rates", "gold")]:
        key = model_key(name)
        assert key == dg.AssetKey([layer, name])
        assert get_asset_key_for_model([defs.resolve_assets_def(key)], name) == key


def test_an_unknown_model_says_how_to_refresh_the_manifest() -> None:
    with pytest.raises(KeyError, match="make dbt-manifest"):
        model_key("no_such_model")
