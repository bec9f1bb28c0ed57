"""What a quality rule is, without importing Great Expectations (it costs seconds to import).

Dagster needs every check's name and severity when it loads the code location; the GX expectation
behind a rule is only built when the rule is validated, by ``quality.runner``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """ERROR blocks downstream assets and alerts at once; WARNING alerts when it persists."""

    ERROR = "error"
    WARNING = "warning"


def expectations() -> Any:
    """``great_expectations.expectations``, imported when a rule is built, not when its suite is."""
    import great_expectations as gx

    return gx.expectations


@dataclass(frozen=True)
class QualityParams:
    """Thresholds and the clock a validation runs with (settings in production, fixed in tests)."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    future_skew_minutes: int = 5
    max_latency_ms: float = 300_000.0
    max_quarantine_ratio: float = 0.05
    min_parse_rate: float = 0.99
    volume_sigma: float = 3.0
    volume_trailing_days: int = 14
    volume_min_history_days: int = 7
    revenue_tolerance_usd: float = 1e-6
    currencies: tuple[str, ...] = ("USD", "CAD", "EUR", "GBP", "JPY", "SGD", "AUD")


@dataclass(frozen=True)
class Rule:
    """One Dagster asset check, validated by one GX expectation on one of the dataset's frames."""

    name: str
    severity: Severity
    description: str
    expectation: Callable[[QualityParams], Any]
    frame: str = "rows"


@dataclass(frozen=True)
class Suite:
    """The rules of one dataset, and what they add to the dbt tests on the same tables."""

    name: str
    adds: str
    rules: tuple[Rule, ...]

    def rule(self, name: str) -> Rule:
        return next(r for r in self.rules if r.name == name)
