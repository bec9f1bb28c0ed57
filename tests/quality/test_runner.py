"""The runner's cost on large frames: GX must not fingerprint every row of every batch."""

from __future__ import annotations

import pandas as pd
import pytest

from quality.frames import silver_frames
from quality.rules import QualityParams
from quality.runner import validate
from quality.suites import SILVER_EVENTS


def test_frames_are_validated_without_hashing_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """GX hashes pandas batches under HASH_THRESHOLD; that hash cost more than all silver rules together."""
    from great_expectations.execution_engine import pandas_execution_engine

    def refuse(frame: pd.DataFrame) -> str:
        raise AssertionError("GX fingerprinted a batch")

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", refuse)
    rows = pd.DataFrame(
        {
            "event_id": ["e1", "e2"],
            "event_type": ["purchase", "click"],
            "occurred_at": pd.to_datetime(["2026-11-03 00:15", "2026-11-03 00:16"]),
            "latency_ms": [12.0, 30.0],
            "amount": [9.5, None],
            "currency": ["USD", None],
        }
    )
    outcomes = validate(SILVER_EVENTS, silver_frames(rows), QualityParams())
    assert len(outcomes) == len(SILVER_EVENTS.rules) and all(o.passed for o in outcomes)
