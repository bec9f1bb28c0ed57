"""Known defects injected into a generated dataset are each caught by the rule meant for them.

Great Expectations really runs (pandas engine, as in production); the frames are built from the
generator's events by the independent oracle, so the clean baseline is the pipeline's expected
output. Null and duplicate event_ids are dbt's tests (see test_dbt_key_tests.py), not repeated here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from orchestration.lib.bronze.batch import EVENTS_SCHEMA
from orchestration.lib.frames import arrow_to_frame
from orchestration.lib.quality_sql import SILVER_EVENTS_CATEGORIES
from quality.frames import bronze_summary, daily_volume, gold_hourly, silver_frames
from quality.rules import QualityParams, Severity, Suite
from quality.runner import RuleOutcome, validate
from quality.suites import BRONZE_EVENTS, GOLD_METRICS, SILVER_EVENTS
from streaming.generator import TrafficSpec, generate
from tests.dbt_project.oracle import expected_gold

NOW = datetime(2026, 11, 10, tzinfo=UTC)
PARAMS = QualityParams(now=NOW)
Frames = dict[str, pd.DataFrame]


@pytest.fixture(scope="module")
def clean() -> dict[str, Frames]:
    records = list(generate(TrafficSpec(count=4_000, seed=8, start=datetime(2026, 11, 2, tzinfo=UTC), days=3)))
    gold = expected_gold(records)
    silver = pd.DataFrame(list(gold["fct_events"].values()))
    hourly = pd.DataFrame(
        [{"region": r, "event_hour": h, **m} for (r, h), m in gold["fct_region_hourly_metrics"].items()]
    )
    purchases = hourly[["region", "event_hour", "revenue_usd"]].rename(
        columns={"revenue_usd": "recomputed_revenue_usd"}
    )
    days = [date(2026, 10, 20) + timedelta(days=i) for i in range(21)]
    volumes = pd.DataFrame({"event_date": days, "events": [10_000 + 37 * (i % 5) for i in range(21)]})
    bronze_rows = pd.DataFrame({name: [] for name in EVENTS_SCHEMA.names})
    return {
        "silver": {"rows": silver},
        "gold": {
            "rows": gold_hourly(hourly, purchases),
            "daily_volume": daily_volume(volumes, days[-3:], trailing=14, min_history=7),
        },
        "bronze": {"rows": bronze_rows, "summary": bronze_summary(10_000, {"invalid_json": 3, "missing:user_id": 20})},
    }


def as_read(dataset: str, frames: Frames) -> Frames:
    """The frames with the dtypes ``WarehouseResource.read_frame`` gives (categoricals, ns timestamps).

    The suites must hold on exactly what production validates; bronze frames come from the lake, not
    from a warehouse read, and stay as they are.
    """
    if dataset == "bronze":
        return frames
    categories = SILVER_EVENTS_CATEGORIES if dataset == "silver" else ()
    read = {
        name: arrow_to_frame(pa.Table.from_pandas(frame, preserve_index=False), categories if name == "rows" else ())
        for name, frame in frames.items()
    }
    return silver_frames(read["rows"]) if dataset == "silver" else read


def failing(outcomes: list[RuleOutcome]) -> dict[str, Severity]:
    return {o.rule: o.severity for o in outcomes if not o.passed}


SUITES: dict[str, Suite] = {"silver": SILVER_EVENTS, "gold": GOLD_METRICS, "bronze": BRONZE_EVENTS}


def test_clean_data_passes_every_rule(clean: dict[str, Frames]) -> None:
    for name, suite in SUITES.items():
        outcomes = validate(suite, as_read(name, clean[name]), PARAMS)
        assert {o.rule for o in outcomes} == {r.name for r in suite.rules}
        assert failing(outcomes) == {}, name


def _first_purchase(frame: pd.DataFrame) -> Any:
    return frame.index[frame["event_type"] == "purchase"][0]


def future_timestamp(f: Frames) -> None:
    f["rows"].loc[3, "occurred_at"] = (NOW + timedelta(hours=2)).replace(tzinfo=None)


def negative_amount(f: Frames) -> None:
    f["rows"].loc[_first_purchase(f["rows"]), "amount"] = -12.5


def purchase_without_currency(f: Frames) -> None:
    f["rows"].loc[_first_purchase(f["rows"]), "currency"] = None


def unknown_currency(f: Frames) -> None:
    f["rows"].loc[_first_purchase(f["rows"]), "currency"] = "XXX"


def absurd_latency(f: Frames) -> None:
    f["rows"].loc[7, "latency_ms"] = 9_000_000.0


def negative_count(f: Frames) -> None:
    f["rows"].loc[0, "users"] = -1


def error_rate_above_one(f: Frames) -> None:
    f["rows"].loc[0, "error_rate"] = 1.5


def revenue_disagrees(f: Frames) -> None:
    f["rows"].loc[0, "revenue_diff_usd"] = 4.2


def volume_drop(f: Frames) -> None:
    f["daily_volume"] = daily_volume(
        pd.DataFrame(
            {
                "event_date": [date(2026, 11, 1) + timedelta(days=i) for i in range(15)],
                "events": [10_000 + 37 * (i % 5) for i in range(14)] + [2_000],
            }
        ),
        [date(2026, 11, 15)],
        trailing=14,
        min_history=7,
    )


def schema_drift(f: Frames) -> None:
    f["rows"]["surprise"] = 1


def garbage_producer(f: Frames) -> None:
    f["summary"] = bronze_summary(9_000, {"invalid_json": 1_000})


@pytest.mark.parametrize(
    ("dataset", "defect", "rule", "severity"),
    [
        ("silver", future_timestamp, "silver_occurred_at_not_in_future", Severity.ERROR),
        ("silver", negative_amount, "silver_amount_positive", Severity.ERROR),
        ("silver", purchase_without_currency, "silver_purchase_has_currency", Severity.ERROR),
        ("silver", unknown_currency, "silver_currency_has_fx_rate", Severity.ERROR),
        ("silver", absurd_latency, "silver_latency_in_range", Severity.ERROR),
        ("gold", negative_count, "gold_users_non_negative", Severity.ERROR),
        ("gold", error_rate_above_one, "gold_error_rate_is_a_rate", Severity.ERROR),
        ("gold", revenue_disagrees, "gold_revenue_matches_fct_events", Severity.ERROR),
        ("gold", volume_drop, "gold_daily_volume_within_k_sigma", Severity.WARNING),
        ("bronze", schema_drift, "bronze_schema_matches_contract", Severity.ERROR),
    ],
    ids=lambda v: v.__name__ if callable(v) else None,
)
def test_each_defect_is_caught_by_its_rule_with_its_severity(
    clean: dict[str, Frames], dataset: str, defect: Callable[[Frames], None], rule: str, severity: Severity
) -> None:
    frames = {name: frame.copy() for name, frame in clean[dataset].items()}
    defect(frames)
    outcomes = validate(SUITES[dataset], as_read(dataset, frames), PARAMS)
    assert failing(outcomes) == {rule: severity}
    caught = next(o for o in outcomes if o.rule == rule)
    if caught.unexpected_count is not None:
        assert caught.unexpected_count == 1 and len(caught.sample) == 1  # the injected row, shown to the reader


def test_a_producer_sending_garbage_fails_parse_rate_and_quarantine_ratio_as_warnings(clean: dict[str, Frames]) -> None:
    frames = {name: frame.copy() for name, frame in clean["bronze"].items()}
    garbage_producer(frames)
    assert failing(validate(BRONZE_EVENTS, frames, PARAMS)) == {
        "bronze_parse_rate": Severity.WARNING,
        "bronze_quarantine_ratio": Severity.WARNING,
    }
