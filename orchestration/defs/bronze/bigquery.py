"""Bronze in BigQuery: the raw table dbt's BigQuery targets read, loaded from the lake by Dagster.

Only part of the definitions when the warehouse is BigQuery (``MERIDIAN_DBT_TARGET`` dev, prod or
emulator); it then runs in ``bronze_job`` right after the ranges land, so the raw table follows
the lake run by run, under the bronze lane's one-run-at-a-time limit. dagster-gcp's
``BigQueryResource`` is the resource; it has no endpoint setting, so ours adds one for emulators
and leaves production's client (Google's endpoint, ambient credentials) as dagster-gcp makes it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster_gcp import BigQueryResource

from orchestration.defs.bronze.assets import BRONZE_EVENTS
from orchestration.defs.shared.resources import KafkaResource, LakeResource
from orchestration.lib.bigquery import RawEventsTable, bigquery_client, lake_file_rows, load_bronze
from orchestration.settings import BigQuerySettings

BRONZE_EVENTS_BIGQUERY = dg.AssetKey(["bronze", "events_bigquery"])


class MeridianBigQueryResource(BigQueryResource):
    """dagster-gcp's BigQuery resource, plus an API endpoint for emulators and the raw table's name."""

    api_endpoint: str | None = None
    raw_dataset: str = "raw"

    @contextmanager
    def get_client(self) -> Iterator[Any]:
        if not self.api_endpoint:
            with super().get_client() as client:
                yield client
            return
        client = bigquery_client(self.project or "", self.location, self.api_endpoint)
        try:
            yield client
        finally:
            client.close()

    def raw_table_id(self, name: str = "events") -> str:
        return f"{self.project}.{self.raw_dataset}.{name}"

    @classmethod
    def from_settings(cls, bigquery: BigQuerySettings) -> "MeridianBigQueryResource":
        return cls(
            project=bigquery.project,
            location=bigquery.location,
            api_endpoint=bigquery.endpoint,
            raw_dataset=bigquery.raw_dataset,
        )


@dg.asset(
    key=BRONZE_EVENTS_BIGQUERY,
    deps=[BRONZE_EVENTS],
    group_name="bronze",
    kinds={"bigquery"},
    description=(
        "Bronze events in BigQuery (raw.events): every range file of the aggregation region, its own and the "
        "replicas whose manifests exist, loaded once."
    ),
)
def bronze_events_bigquery(
    context: dg.AssetExecutionContext, bigquery: MeridianBigQueryResource, lake: LakeResource, kafka: KafkaResource
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    storage, keys = lake.global_bronze(kafka.events_topic)
    with bigquery.get_client() as client:
        raw = RawEventsTable(client, bigquery.raw_table_id(), bigquery.location)
        report = load_bronze(raw, storage, keys)
        total = raw.count_rows()
    context.log.info(f"loaded {report.rows} rows from {report.files} file(s) in {report.jobs} load job(s)")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": total,
            "rows_loaded": report.rows,
            "files_loaded": report.files,
            "files_already_loaded": report.already_loaded,
            "load_jobs": report.jobs,
            "table": raw.table_id,
        }
    )


@dg.asset_check(asset=BRONZE_EVENTS_BIGQUERY, blocking=True, description="Each lake file's rows are in BigQuery once.")
def bronze_events_bigquery_matches_lake(
    bigquery: MeridianBigQueryResource, lake: LakeResource, kafka: KafkaResource
) -> dg.AssetCheckResult:
    """Rows per source file in the raw table equal the rows of that file in the lake: no loss, no double load."""
    storage, keys = lake.global_bronze(kafka.events_topic)
    with bigquery.get_client() as client:
        raw = RawEventsTable(client, bigquery.raw_table_id(), bigquery.location)
        in_table = raw.rows_per_file()
    in_lake = {path: lake_file_rows(storage, path) for path in keys}
    mismatched = {p: (in_lake.get(p, 0), in_table.get(p, 0)) for p in in_lake.keys() | in_table.keys()}
    mismatched = {p: counts for p, counts in mismatched.items() if counts[0] != counts[1]}
    return dg.AssetCheckResult(
        passed=not mismatched,
        metadata={
            "files": len(in_lake),
            "rows_in_lake": sum(in_lake.values()),
            "rows_in_bigquery": sum(in_table.values()),
            "mismatched_files (lake, bigquery)": {p: list(c) for p, c in sorted(mismatched.items())[:20]},
        },
    )
