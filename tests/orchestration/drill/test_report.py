"""The drill's verdict: the goals, and gold against the independent computation."""

from __future__ import annotations

from datetime import UTC, datetime

from orchestration.drill.report import DrillReport, Phase, compare_gold

KILL = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
H = "2026-12-02 11:00:00"


def report(**changes: object) -> DrillReport:
    fields: dict[str, object] = {
        "regions": ["us", "eu"],
        "lost": "us",
        "survivor": "eu",
        "rate": 20.0,
        "started_at": KILL,
        "killed_at": KILL,
        "phases": [Phase("first fresh global gold", KILL, 80.0)],
        "rto_seconds": 80.0,
        "at_risk": {"mirror_lag_records": 3},
        "acked_total": 100,
        "acked_before_kill": 60,
        "rpo_after_recovery": 3,
        "missing_beyond_risk": 0,
        "rpo_after_failback": 0,
        "double_counted": 0,
        "gold_matches_oracle": True,
        "oracle_mismatches": [],
        "stale_primary_fenced": True,
        "fenced_by": ["lease.fence", "warehouse_job"],
        "acked_by_edge": {"us edge": 60, "eu edge": 40},
        "failovers": {"us edge": 2},
        "survivor_instance": "fresh",
    }
    fields.update(changes)
    return DrillReport(**fields)  # type: ignore[arg-type]


def test_events_held_only_by_the_lost_region_do_not_fail_recovery_but_any_loss_after_failback_does() -> None:
    assert report().passed  # 3 missing after recovery, all of them back after failback
    assert "RPO after failback is 1" in " ".join(report(rpo_after_failback=1).failures())
    assert "did not hold alone" in " ".join(report(missing_beyond_risk=2).failures())


def test_every_goal_is_named_when_missed() -> None:
    failures = report(
        rto_seconds=130.0,
        double_counted=2,
        gold_matches_oracle=False,
        oracle_mismatches=["x"],
        stale_primary_fenced=False,
    ).failures()
    text = " ".join(failures)
    assert "RTO 130.0 s is over the goal of 120 s" in text
    assert "2 event(s) counted more than once" in text and "independent computation: x" in text
    assert "stale primary us was not fenced" in text
    assert "RTO not reached" in " ".join(report(rto_seconds=None).failures())
    assert "never converged" in " ".join(report(rpo_after_failback=None).failures())


def test_the_table_and_json_carry_the_figures() -> None:
    text = report().table()
    assert "RTO (kill -> fresh global gold)    80.0 s" in text and "PASSED" in text
    assert b'"passed": true' in report().to_json()


def test_gold_is_compared_count_by_count_and_doubles_are_counted() -> None:
    expected = {"a": ("us", H), "b": ("us", H), "c": ("eu", H)}
    assert compare_gold(["a", "b", "c"], [("us", H, 2), ("eu", H, 1)], expected) == (0, [])
    doubles, mismatches = compare_gold(["a", "a", "b", "c"], [("us", H, 3), ("eu", H, 1)], expected)
    assert doubles == 1 and mismatches == [f"us {H}: gold 3, expected 2"]
    _, extra = compare_gold(["a", "b", "c"], [("us", H, 2), ("eu", H, 1), ("apac", H, 4)], expected)
    assert extra == [f"apac {H}: gold 4, expected 0"]


def test_the_drill_job_records_the_figures_as_plottable_metadata() -> None:
    from orchestration.defs.dr.drill import drill_metadata

    meta = drill_metadata(report())
    assert (meta["rto_seconds"], meta["rpo_after_recovery"], meta["rpo_after_failback"]) == (80.0, 3, 0)
    assert meta["phase_first_fresh_global_gold_s"] == 80.0 and meta["at_risk_mirror_lag_records"] == 3
    assert drill_metadata(report(rto_seconds=None, rpo_after_failback=None))["rto_seconds"] == -1.0
