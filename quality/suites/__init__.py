"""One module per dataset, each a :class:`quality.rules.Suite` built in code and versioned with the repo."""

from quality.suites.bronze_events import BRONZE_EVENTS
from quality.suites.gold_metrics import GOLD_METRICS
from quality.suites.silver_events import SILVER_EVENTS

__all__ = ["BRONZE_EVENTS", "GOLD_METRICS", "SILVER_EVENTS"]
