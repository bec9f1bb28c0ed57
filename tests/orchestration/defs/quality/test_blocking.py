"""A failing ERROR check on silver stops gold in the same run; fixing the data and re-running clears it.

The defect (a negative purchase amount) is written into a landed bronze file, as bad data that got
past an older contract would be, so the real pipeline carries it: dbt builds silver, the GX check
fails, gold is not built. Restoring the file and re-running builds gold, and ``quality_job`` then
finds every rule and gold's freshness passing.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from orchestration.definitions import build_definitions
from orchestration.defs.shared.resources import LakeResource
from orchestration.lib.bronze.batch import to_parquet
from orchestration.runner import RunSummary, build_days, run_pending
from orchestration.settings import PlatformSettings
from streaming.generator import TrafficSpec, generate
from tests.helpers import produce_and_place

pytestmark = pytest.mark.integration

GOLD = {dg.AssetKey(["gold", n]) for n in ["fct_events", "fct_region_hourly_metrics", "fct_daily_active_users"]}
STG_EVENTS = dg.AssetKey(["silver", "stg_events"])


def with_negative_amount(parquet: bytes) -> tuple[bytes, str]:
    table = pq.read_table(io.BytesIO(parquet))
    row = pc.index(table["event_type"], "purchase").as_py()
    amounts = table["amount"].to_pylist()
    amounts[row] = -abs(amounts[row])
    broken = table.set_column(table.schema.get_field_index("amount"), "amount", pa.array(amounts, pa.float64()))
    return to_parquet(broken), str(table["event_id"][row])


def materialized(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {e.asset_key for e in result.get_asset_materialization_events() if e.asset_key}  # type: ignore[misc]


def test_a_failing_silver_check_stops_gold_and_fixing_the_data_clears_it(settings: PlatformSettings) -> None:
    start = datetime.combine(datetime.now(UTC).date() - timedelta(days=2), time(), UTC)
    records = list(generate(TrafficSpec(count=3_000, seed=12, start=start, days=2, late=0, malformed=0)))
    produce_and_place(settings.kafka.bootstrap_servers, settings.kafka.events_topic, records)
    assert run_pending(settings, warehouse=False).success
    storage = LakeResource.from_settings(settings.lake).storage()
    path = storage.list("bronze/events/")[0]
    original = storage.read(path)
    broken, event_id = with_negative_amount(original)
    storage.write(path, broken)
    first, last = (start.date().isoformat(), (start.date() + timedelta(days=1)).isoformat())

    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        assert defs.resolve_job_def("reference_job").execute_in_process(instance=instance).success
        blocked = build_days(defs, settings, instance, first, last, RunSummary())

        storage.write(path, original)  # the fix: the bronze file as it should have been
        fixed = build_days(defs, settings, instance, first, last, RunSummary())
        quality = defs.resolve_job_def("quality_job").execute_in_process(instance=instance, raise_on_error=False)

    assert not blocked.success
    assert STG_EVENTS in materialized(blocked) and not GOLD & materialized(blocked)
    failed = [e for e in blocked.get_asset_check_evaluations() if not e.passed]
    assert [(e.check_name, e.severity) for e in failed] == [("silver_amount_positive", dg.AssetCheckSeverity.ERROR)]
    assert failed[0].metadata["unexpected_count"].value == 1
    assert failed[0].metadata["failing_rows_sample"].value[0]["event_id"] == event_id  # type: ignore[index]
    assert failed[0].metadata["report"].value.endswith(".html")  # type: ignore[union-attr]

    assert fixed.success and GOLD <= materialized(fixed)
    assert all(e.passed for e in fixed.get_asset_check_evaluations())

    assert quality.success
    evaluations = {e.check_name: e.passed for e in quality.get_asset_check_evaluations()}
    assert evaluations["gold_fresh"] and evaluations["silver_amount_positive"] and all(evaluations.values())
    assert {"bronze_schema_matches_contract", "gold_revenue_matches_fct_events"} <= evaluations.keys()
