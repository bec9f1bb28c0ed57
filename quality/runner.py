"""Validate a suite's frames with Great Expectations 1.x and return one structured outcome per rule.

GX runs on pandas DataFrames: locally read from DuckDB, in production from BigQuery query results
(GX's SQL datasource with duckdb-engine fails, GX issues #10738 and #11579). One ephemeral GX
context per process: nothing is written to disk, the suites live in this repository.

GX is imported by the first validation, on its own thread, under a lock: never on a helper thread
beside one that goes on importing. Two threads importing overlapping modules (GX shares sqlalchemy,
scipy, jsonschema... with Dagster) can make Python hand one of them a half-initialised module.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quality.rules import QualityParams, Rule, Severity, Suite

if TYPE_CHECKING:
    import pandas as pd

SAMPLE_ROWS = 5
_IGNORED_KWARGS = {"column", "batch_id", "row_condition", "condition_parser"}


@dataclass(frozen=True)
class RuleOutcome:
    """What a person needs to act on one rule: observed vs expected, how many rows, which rows."""

    rule: str
    severity: Severity
    passed: bool
    description: str
    observed: str
    expected: str
    unexpected_count: int | None = None
    element_count: int | None = None
    sample: list[dict[str, Any]] = field(default_factory=list)


def _skip_fingerprints() -> None:
    """Stop GX hashing every row of every batch it is given (twice per validation).

    GX fingerprints pandas batches under 1 GB (``HASH_THRESHOLD``) to label results it persists; our
    context is ephemeral and persists nothing, and the hash cost more than all the rules together
    (~1.4 s per million rows per hash). There is no public switch, so the threshold is set to zero;
    ``tests/quality/test_runner.py`` fails if GX renames it or hashes anyway.
    """
    from great_expectations.execution_engine import pandas_execution_engine

    if not hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        raise RuntimeError("great_expectations no longer has HASH_THRESHOLD: revisit quality.runner")
    pandas_execution_engine.HASH_THRESHOLD = 0  # type: ignore[attr-defined]


_CONTEXT_LOCK = threading.Lock()


def warm_up() -> Any:
    """Import GX and build the process's context, once, on the calling thread; the context.

    ``validate`` calls it first. The lock keeps a second validating thread waiting instead of
    importing GX beside the first.
    """
    with _CONTEXT_LOCK:
        return _context()


@functools.cache
def _context() -> Any:
    import great_expectations as gx

    _skip_fingerprints()
    context = gx.get_context(mode="ephemeral")
    context.data_sources.add_pandas("meridian")
    return context


def _batch_definition(context: Any, name: str) -> Any:
    source = context.data_sources.get("meridian")
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
        asset.add_batch_definition_whole_dataframe("whole")
    return asset.get_batch_definition("whole")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    return str(value)


def _expected(config: Any) -> str:
    kwargs = {k: v for k, v in config.kwargs.items() if k not in _IGNORED_KWARGS and v is not None}
    return ", ".join(f"{k}={_jsonable(v)}" for k, v in sorted(kwargs.items())) or config.type


def _outcome(rule: Rule, result: Any, frame: pd.DataFrame) -> RuleOutcome:
    details = result.result or {}
    unexpected = details.get("unexpected_count")
    elements = details.get("element_count")
    if "observed_value" in details:
        observed = str(_jsonable(details["observed_value"]))
    else:
        observed = f"{unexpected} of {elements} rows unexpected"
    indexes = details.get("partial_unexpected_index_list") or []
    sample = [
        {column: _jsonable(value) for column, value in row.items()}
        for row in frame.loc[list(indexes)[:SAMPLE_ROWS]].to_dict("records")
    ]
    return RuleOutcome(
        rule=rule.name,
        severity=rule.severity,
        passed=bool(result.success),
        description=rule.description,
        observed=observed,
        expected=_expected(result.expectation_config),
        unexpected_count=unexpected,
        element_count=elements,
        sample=sample,
    )


def _columns_read(expectations: list[Any]) -> set[str] | None:
    """The columns the expectations read, or None when one reads the whole table (e.g. its schema).

    GX copies the batch's columns while it computes metrics, so validating only these columns saves
    copying the others (an object column of 10M ids costs seconds); samples still show whole rows.
    """
    columns: set[str] = set()
    for expectation in expectations:
        named = [getattr(expectation, key, None) for key in ("column", "column_A", "column_B")]
        named += list(getattr(expectation, "column_list", None) or [])
        if not any(named) or getattr(expectation, "row_condition", None):  # a condition may read any column
            return None
        columns.update(c for c in named if c)
    return columns


def validate(suite: Suite, frames: Mapping[str, pd.DataFrame], params: QualityParams) -> list[RuleOutcome]:
    """Every rule of ``suite`` whose frame is given; a rule without its frame is not evaluated."""
    context = warm_up()
    import great_expectations as gx  # imported by warm_up: a lookup

    outcomes: list[RuleOutcome] = []
    for frame_name, frame in frames.items():
        rules = [r for r in suite.rules if r.frame == frame_name]
        if not rules:
            continue
        expectations = []
        for rule in rules:
            expectation = rule.expectation(params)
            expectation.meta = {"rule": rule.name}
            expectation.severity = "critical" if rule.severity is Severity.ERROR else "warning"
            expectations.append(expectation)
        gx_suite = gx.ExpectationSuite(name=f"{suite.name}.{frame_name}", expectations=expectations)
        frame = frame.reset_index(drop=True)
        read = _columns_read(expectations)
        validated = frame if read is None else frame[[c for c in frame.columns if c in read]]
        definition = _batch_definition(context, f"{suite.name}.{frame_name}")
        batch = definition.get_batch(batch_parameters={"dataframe": validated})
        result = batch.validate(gx_suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20})
        by_rule = {r.expectation_config.meta["rule"]: r for r in result.results}
        outcomes.extend(_outcome(rule, by_rule[rule.name], frame) for rule in rules)
    return outcomes
