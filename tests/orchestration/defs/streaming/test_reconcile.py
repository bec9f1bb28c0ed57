"""The speed layer in the lake, reconciled with gold, end to end on the real broker and real dbt.

``meridian stream`` emits windows; bronze, silver and gold are built by ``run_pending``; the
Dagster asset lands the metrics topic and its check compares hour by hour. Then one window is
overwritten with a wrong count (the latest record of a key wins) and the check must fail on
exactly that hour.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import orjson
import pytest

from orchestration.definitions import build_definitions
from orchestration.runner import run_pending
from orchestration.settings import PlatformSettings
from streaming.generator import TrafficSpec, generate
from streaming.kafka import clients
from tests.helpers import read_layer
from tests.streaming.realtime.service_helpers import (
    StreamProcess,
    end_of,
    place,
    read_partials,
    stream_settings,
    tick,
)

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
MINUTES = 45  # 09:30-10:15: the 09:00 hour is whole in the stream's view, 10:00 too once ticked past


def materialize(settings: PlatformSettings) -> dg.AssetCheckEvaluation:
    defs = build_definitions(settings)
    job = defs.get_job_def("stream_metrics_job")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert result.success
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_the_speed_layer_agrees_with_gold_and_a_wrong_window_is_caught(
    settings: PlatformSettings, tmp_path: Path
) -> None:
    s = stream_settings(settings.replaced(event_time={"partitions_start_date": "2026-11-19"}))
    spec = TrafficSpec(count=4_000, seed=31, start=START, days=MINUTES / 1440, ordered=True, duplicates=0.0, late=0.01)
    by_partition = place(s, list(generate(spec)))
    tick(s, by_partition, end_of(START, MINUTES / 1440), 6)
    service = StreamProcess(s, tmp_path / "stream.log").start()
    try:
        service.wait_for(
            "the last window",
            lambda: len(read_partials(s)) > 100 and service.metric("meridian_stream_windows_emitted_total") > 0,
        )
        service.wait_for("every window", lambda: service.metric("meridian_stream_consumer_lag") == 0)
        service.wait_for("a checkpoint after the end", lambda: service.metric("meridian_stream_checkpoints_total") > 3)
    finally:
        service.stop()
    assert run_pending(s).success  # bronze -> silver -> gold, the batch layer over the same topic

    evaluation = materialize(s)
    meta = evaluation.metadata
    assert evaluation.passed, meta
    assert meta["hours_compared"].value >= 2  # type: ignore[union-attr]
    assert len(read_layer(s.lake.root, "us", "events", s.kafka.events_topic)) > 0

    # one window, overwritten with one event too many: the check must name that hour
    compared = meta["compared"].value  # type: ignore[union-attr]
    hour = compared[0]
    rows = [orjson.loads(v) for v in read_partials(s).values()]
    wrong = next(
        r for r in rows
        if r.get("kind") == "window" and r["region"] == hour["region"]
        and datetime.fromtimestamp(r["window_start_ms"] // 3_600_000 * 3600, UTC).isoformat() == hour["hour"]
    )  # fmt: skip
    wrong["events"] += 1
    producer = clients.producer(s.kafka)
    key = (
        f"{wrong['window_start_ms']}|{wrong['window_ms']}|{wrong['region']}|{wrong['event_type']}|{wrong['partition']}"
    )
    producer.send(s.stream.metrics_topic, key=key.encode(), value=orjson.dumps(wrong)).get(timeout=30)
    producer.close()

    evaluation = materialize(s)
    assert not evaluation.passed
    (mismatch,) = evaluation.metadata["mismatches"].value  # type: ignore[union-attr]
    assert (mismatch["region"], mismatch["hour"]) == (hour["region"], hour["hour"])
    assert mismatch["stream_events"] == mismatch["gold_events"] + 1
