"""Bronze events: the ranges of the latest bronze landing (rows and quarantine).

bronze has no dbt tests; the contract already rejects bad records one by one at landing. This
suite judges the batch: the Parquet columns are exactly the contract's (ERROR: silver reads them),
the share of records that were JSON at all (WARNING: a producer sending garbage), and the share
quarantined for any reason (WARNING: a contract drift between producers and us).
"""

from __future__ import annotations

from typing import Any

from quality.rules import QualityParams, Rule, Severity, Suite, expectations


def _schema(p: QualityParams) -> Any:
    from streaming.events.lake import events_schema

    return expectations().ExpectTableColumnsToMatchSet(column_set=list(events_schema().names), exact_match=True)


def _parse_rate(p: QualityParams) -> Any:
    return expectations().ExpectColumnValuesToBeBetween(column="parse_rate", min_value=p.min_parse_rate)


def _quarantine_ratio(p: QualityParams) -> Any:
    return expectations().ExpectColumnValuesToBeBetween(
        column="quarantine_ratio", min_value=0, max_value=p.max_quarantine_ratio
    )


BRONZE_EVENTS = Suite(
    name="bronze_events",
    adds=__doc__ or "",
    rules=(
        Rule("bronze_schema_matches_contract", Severity.ERROR, "Bronze columns are the contract's.", _schema),
        Rule("bronze_parse_rate", Severity.WARNING, "Share of records that are JSON.", _parse_rate, "summary"),
        Rule(
            "bronze_quarantine_ratio", Severity.WARNING, "Share of records quarantined.", _quarantine_ratio, "summary"
        ),
    ),
)
