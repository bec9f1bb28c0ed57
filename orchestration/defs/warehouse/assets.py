"""Silver and gold: the dbt project as software-defined assets, daily-partitioned by event_date."""

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.shared.resources import KafkaResource, LakeResource
from orchestration.defs.warehouse.project import MeridianTranslator, dbt_project, manifest_path
from orchestration.defs.warehouse.resources import WarehouseResource
from orchestration.lib.warehouse import bronze_glob, window_vars, write_bronze_index

REFERENCE_SELECT = "resource_type:seed dim_regions"
SILVER_SELECT = "path:models/staging"
GOLD_SELECT = "path:models/marts"
# DuckDB has one writer at a time: every dbt build, however launched (sensor, schedule, backfill, the
# UI), takes the pool's one slot (deploy/local/dagster/dagster.yaml: run granularity, limit 1).
WAREHOUSE_POOL = "warehouse"
# dbt's unit tests check the models' SQL against given rows: they belong to development and CI
# (tests/dbt_project runs them), not to every production build, as dbt's own docs advise.
BUILD = ("build", "--exclude-resource-type", "unit_test")


def global_bronze_files(lake: LakeResource, topic: str) -> list[str]:
    """The same files as URIs an engine opens."""
    store, keys = lake.global_bronze(topic)
    return [store.uri(key) for key in keys]


def _dbt_vars(lake: LakeResource, kafka: KafkaResource, warehouse: WarehouseResource) -> dict[str, Any]:
    store = lake.storage(lake.aggregation_holder())
    dbt_vars: dict[str, Any] = {
        "bronze_events_glob": bronze_glob(store, kafka.events_topic),
        "region_order": list(lake.regions),
        **warehouse.dbt_vars(),
    }
    if warehouse.target == "local":
        files = global_bronze_files(lake, kafka.events_topic)
        if files:  # nothing landed anywhere yet: the glob's "no files" is the clearer error
            index = Path(warehouse.duckdb_path).with_suffix(".bronze_index.json")
            write_bronze_index(index, files)
            dbt_vars["bronze_events_index"] = str(index)
    return dbt_vars


class WarehouseBuildConfig(dg.Config):
    """``full_refresh`` rebuilds every table from scratch (dbt --full-refresh), ignoring the window."""

    full_refresh: bool = False


def with_row_counts(
    events: list[Any],
    warehouse: WarehouseResource,
    window: tuple[str, str] | None,
    keys_by_output: Mapping[str, dg.AssetKey],
) -> Iterator[Any]:
    """dbt's events, each model's output with ``dagster/row_count`` (rows of the run's window when partitioned).

    Counted once dbt has exited, so the events reach Dagster when the build ends rather than model
    by model: dagster-dbt's own ``fetch_row_counts`` queries while dbt still holds DuckDB's only write
    lock, and fails there. Our keys are ``[schema, table]`` (layers are schemas), so a key is a relation.
    """
    relation_of: dict[str, tuple[str, str]] = {}
    for event in events:
        key = keys_by_output.get(event.output_name) if isinstance(event, dg.Output) else None
        if key is not None and len(key.path) == 2:
            relation_of[event.output_name] = (key.path[0], key.path[1])
    counts = warehouse.row_counts(sorted(set(relation_of.values())), window) if relation_of else {}
    for event in events:
        relation = relation_of.get(event.output_name) if isinstance(event, dg.Output) else None
        if relation is None:
            yield event
        else:
            yield event.with_metadata({**event.metadata, "dagster/row_count": counts[relation]})


def build_warehouse_assets(
    partitions: dg.DailyPartitionsDefinition, translator: MeridianTranslator | None = None
) -> list[dg.AssetsDefinition]:
    common: dict[str, Any] = {
        "manifest": manifest_path(),
        "project": dbt_project(),
        "dagster_dbt_translator": translator or MeridianTranslator(),
        "pool": WAREHOUSE_POOL,
    }

    @dbt_assets(select=REFERENCE_SELECT, name="warehouse_reference", **common)
    def warehouse_reference(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ) -> Iterator[Any]:
        """Seeds (fx rates, regions) and the dimensions built from them: small, rebuilt whole."""
        with warehouse.profile_environment():
            # cautious: tests that also touch daily models (relationships to dim_regions) run with those
            events = list(dbt.cli([*BUILD, "--indirect-selection", "cautious"], context=context).stream())
        yield from with_row_counts(events, warehouse, None, context.assets_def.keys_by_output_name)

    def daily(name: str, select: str, layer: str) -> dg.AssetsDefinition:
        @dbt_assets(
            select=select,
            exclude=REFERENCE_SELECT,
            name=name,
            partitions_def=partitions,
            backfill_policy=dg.BackfillPolicy.single_run(),
            **common,
        )
        def build(
            context: dg.AssetExecutionContext,
            config: WarehouseBuildConfig,
            dbt: DbtCliResource,
            warehouse: WarehouseResource,
            lake: LakeResource,
            kafka: KafkaResource,
        ) -> Iterator[Any]:
            from orchestration.defs.dr.fencing import builder_lease, publish_gold

            lease = builder_lease(lake)  # disaster recovery on: refused unless this region holds the lease
            dbt_vars = _dbt_vars(lake, kafka, warehouse)
            args = list(BUILD)
            if config.full_refresh:
                args.append("--full-refresh")
            else:
                window = context.partition_time_window
                dbt_vars.update(window_vars(window.start, window.end))
                context.log.info(f"dbt build of {layer}: event_date {dbt_vars['min_date']} .. {dbt_vars['max_date']}")
            with warehouse.profile_environment():
                events = list(dbt.cli([*args, "--vars", json.dumps(dbt_vars)], context=context).stream())
            window = None if config.full_refresh else (dbt_vars["min_date"], dbt_vars["max_date"])
            yield from with_row_counts(events, warehouse, window, context.assets_def.keys_by_output_name)
            if lease is not None and layer == "gold":
                built = {
                    "run_id": context.run_id,
                    "window": list(window) if window else None,
                    "warehouse": warehouse.duckdb_path,
                }
                publication = publish_gold(lake, lease, built)
                context.log.info(f"published global gold under lease epoch {lease.epoch}: {publication.payload}")

        build.__doc__ = f"{layer.capitalize()} for the run's event_date window: one dbt build however many days."
        return build

    # Two dbt invocations, not one: silver's blocking quality checks run between them, so gold is
    # never built from silver that failed an ERROR check.
    silver = daily("warehouse_silver", SILVER_SELECT, "silver")
    gold = daily("warehouse_gold", GOLD_SELECT, "gold")
    return [warehouse_reference, silver, gold]
