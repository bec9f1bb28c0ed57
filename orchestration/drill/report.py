"""The drill's report: a timeline of phases, the figures, and whether each goal was met (pure).

RPO is counted in acknowledged events, not seconds: every event an edge answered 2xx for, as the
drill's clients logged it, that is missing from global gold. It is measured twice. *After recovery*
(the survivor's first global gold after the kill) it can only miss what was held by the lost region
alone at the kill: acknowledged on its edge's disk and not yet forwarded, or in its Kafka and not
yet mirrored. No asynchronous design avoids that without making every acknowledgement wait for
another region; the report shows how many events were at risk and the goal is that nothing else is
missing. *After failback* (the region back, its buffers drained) the goal is 0: every acknowledged
event in gold, each once.

RTO is the time from the kill to the survivor's first fresh global gold, broken into phases: the
holder's heartbeat going stale (detected), the lease taken over (promoted), the first bronze landed
in the survivor, and that gold build.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import orjson


@dataclass
class Goals:
    rto_seconds: float = 120.0
    rpo_after_failback: int = 0


@dataclass
class Phase:
    name: str
    at: datetime | None
    since_kill_s: float | None


@dataclass
class DrillReport:
    regions: list[str]
    lost: str
    survivor: str
    rate: float
    started_at: datetime
    killed_at: datetime
    phases: list[Phase]
    rto_seconds: float | None
    at_risk: dict[str, Any]  # what the lost region alone held at the kill
    acked_total: int
    acked_before_kill: int
    rpo_after_recovery: int | None
    missing_beyond_risk: int | None
    rpo_after_failback: int | None
    double_counted: int | None
    gold_matches_oracle: bool | None
    oracle_mismatches: list[str]
    stale_primary_fenced: bool
    fenced_by: list[str]
    acked_by_edge: dict[str, int]
    failovers: dict[str, int]
    survivor_instance: str
    goals: Goals = field(default_factory=Goals)
    errors: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        """Every goal missed, in words; empty when the drill passed."""
        missed = list(self.errors)
        if self.rto_seconds is None:
            missed.append("no fresh global gold in the survivor: RTO not reached")
        elif self.rto_seconds > self.goals.rto_seconds:
            missed.append(f"RTO {self.rto_seconds:.1f} s is over the goal of {self.goals.rto_seconds:.0f} s")
        if self.missing_beyond_risk:
            missed.append(
                f"{self.missing_beyond_risk} acknowledged event(s) missing after recovery that the lost region "
                "did not hold alone at the kill"
            )
        if self.rpo_after_failback is None:
            missed.append("failback never converged: RPO after failback not measured")
        elif self.rpo_after_failback > self.goals.rpo_after_failback:
            missed.append(f"RPO after failback is {self.rpo_after_failback} acknowledged event(s), goal 0")
        if self.double_counted:
            missed.append(f"{self.double_counted} event(s) counted more than once in gold")
        if self.gold_matches_oracle is False:
            missed.append("gold differs from the independent computation: " + "; ".join(self.oracle_mismatches[:5]))
        if not self.stale_primary_fenced:
            missed.append(f"the returning stale primary {self.lost} was not fenced")
        return missed

    @property
    def passed(self) -> bool:
        return not self.failures()

    def to_json(self) -> bytes:
        doc = asdict(self)
        doc["passed"] = self.passed
        doc["failures"] = self.failures()
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)

    def table(self) -> str:
        """The report for a person: the timeline, then the figures, then the verdict."""

        def secs(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f} s"

        risk = self.at_risk
        lines = [
            f"DR drill: lost {self.lost}, survivor {self.survivor}, regions {', '.join(self.regions)}, "
            f"{self.rate:g} events/s",
            "",
            f"{'phase':<38} {'at (UTC)':<13} {'since kill':>10}",
            f"{'region killed (kill -9)':<38} {self.killed_at:%H:%M:%S.%f}"[:-3] + f" {'0.0 s':>10}",
        ]
        for phase in self.phases:
            at = f"{phase.at:%H:%M:%S.%f}"[:-3] if phase.at else "-"
            lines.append(f"{phase.name:<38} {at:<13} {secs(phase.since_kill_s):>10}")
        lines += [
            "",
            f"RTO (kill -> fresh global gold)    {secs(self.rto_seconds)}  (goal {self.goals.rto_seconds:.0f} s)",
            f"acknowledged events                {self.acked_total} ({self.acked_before_kill} before the kill)",
            "at risk at the kill               "
            f" mirror lag {risk.get('mirror_lag_records', '-')} record(s) / {risk.get('mirror_lag_seconds', '-')} s,"
            f" replication lag {risk.get('replication_lag_seconds', '-')} s"
            f" ({risk.get('replication_missing_ranges', '-')} range(s)),"
            f" edge buffer {risk.get('edge_buffered_records', '-')} record(s)",
            f"RPO after recovery                 {_n(self.rpo_after_recovery)} acknowledged event(s) missing"
            f" ({_n(self.missing_beyond_risk)} beyond what the lost region alone held)",
            f"RPO after failback                 {_n(self.rpo_after_failback)} (goal 0)",
            f"counted twice in gold              {_n(self.double_counted)}",
            f"gold = independent computation     {_yes(self.gold_matches_oracle)}",
            f"stale primary fenced               {_yes(self.stale_primary_fenced)}"
            f" ({', '.join(self.fenced_by) or '-'})",
            f"survivor's Dagster instance        {self.survivor_instance}",
            f"acknowledged by edge               {_pairs(self.acked_by_edge)}",
            f"batches failed over, by edge       {_pairs(self.failovers)}",
            "",
            "PASSED" if self.passed else "FAILED: " + "; ".join(self.failures()),
        ]
        return "\n".join(lines)


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)


def _yes(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


def _pairs(values: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(values.items())) or "-"


def since(moment: datetime | None, kill: datetime) -> float | None:
    return None if moment is None else (moment - kill).total_seconds()


def compare_gold(
    gold_ids: list[str],
    gold_hourly: list[tuple[str, str, int]],
    expected: Mapping[str, tuple[str, str]],
) -> tuple[int, list[str]]:
    """(events counted more than once, mismatches of the hourly counts against ``expected``).

    ``expected``: event_id -> (region, hour) of every event that should be in gold, computed from the
    clients' own log, never from the lake.
    """
    doubles = sum(n - 1 for n in Counter(gold_ids).values() if n > 1)
    want = Counter(expected.values())
    have = {(region, hour[:19]): int(n) for region, hour, n in gold_hourly}
    mismatches = [
        f"{region} {hour}: gold {have.get((region, hour), 0)}, expected {n}"
        for (region, hour), n in sorted(want.items())
        if have.get((region, hour), 0) != n
    ]
    mismatches += [
        f"{region} {hour}: gold {n}, expected 0"
        for (region, hour), n in sorted(have.items())
        if (region, hour) not in want and n
    ]
    return doubles, mismatches
