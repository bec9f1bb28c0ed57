"""Gold metrics (``gold.fct_region_hourly_metrics``), one partition window at a time.

Adds to the dbt tests (grain unique, keys not null, region in dim_regions): the numbers themselves.
Counts and revenue are never negative and error_rate is a rate (ERROR); revenue_usd per hour equals
the sum of amount_usd over that hour's purchases in ``gold.fct_events``, recomputed independently
(ERROR: the two gold tables must agree); and each day's event volume stays within k sigma of its
trailing 14-day mean (WARNING: a drop or a spike is worth a look, not a reason to stop).
"""

from __future__ import annotations

from typing import Any

from quality.rules import QualityParams, Rule, Severity, Suite, expectations

COUNT_COLUMNS = ("events", "users", "purchases", "revenue_usd")


def _non_negative(column: str) -> Any:
    def build(p: QualityParams) -> Any:
        return expectations().ExpectColumnValuesToBeBetween(column=column, min_value=0)

    return build


def _error_rate(p: QualityParams) -> Any:
    return expectations().ExpectColumnValuesToBeBetween(column="error_rate", min_value=0, max_value=1)


def _revenue_matches(p: QualityParams) -> Any:
    return expectations().ExpectColumnValuesToBeBetween(
        column="revenue_diff_usd", min_value=0, max_value=p.revenue_tolerance_usd
    )


def _volume_within_sigma(p: QualityParams) -> Any:
    return expectations().ExpectColumnValuesToBeBetween(
        column="volume_sigma", min_value=-p.volume_sigma, max_value=p.volume_sigma
    )


GOLD_METRICS = Suite(
    name="gold_metrics",
    adds=__doc__ or "",
    rules=(
        *(
            Rule(f"gold_{column}_non_negative", Severity.ERROR, f"{column} is never negative.", _non_negative(column))
            for column in COUNT_COLUMNS
        ),
        Rule("gold_error_rate_is_a_rate", Severity.ERROR, "error_rate within [0, 1].", _error_rate),
        Rule(
            "gold_revenue_matches_fct_events",
            Severity.ERROR,
            "Hourly revenue_usd equals the sum over fct_events' purchases of that hour.",
            _revenue_matches,
        ),
        Rule(
            "gold_daily_volume_within_k_sigma",
            Severity.WARNING,
            "Each day's events within k sigma of the trailing 14-day mean.",
            _volume_within_sigma,
            frame="daily_volume",
        ),
    ),
)
