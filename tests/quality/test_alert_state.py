"""The alert state machine: one alert per state change, warnings only once they persist."""

from __future__ import annotations

from quality.alerts.state import AlertState, Evaluation, observe, payload, render_text


def ev(passed: bool, severity: str = "ERROR", check: str = "silver/stg_events:silver_amount_positive") -> Evaluation:
    return Evaluation(
        check, passed, severity, run_id="r1", partition="2026-11-02", observed="3 of 10", expected="min=0"
    )


def kinds(state: AlertState, evaluations: list[Evaluation], warn_after: int = 3) -> list[str | None]:
    return [(a.kind if (a := observe(state, e, warn_after)) else None) for e in evaluations]


def test_an_error_alerts_once_when_it_starts_failing_and_once_when_it_recovers() -> None:
    state = AlertState()
    assert kinds(state, [ev(True), ev(False), ev(False), ev(False), ev(True), ev(True)]) == [
        None,
        "failing",
        None,
        None,
        "recovered",
        None,
    ]


def test_a_warning_alerts_only_after_it_persists_for_n_evaluations() -> None:
    state = AlertState()
    warn = [ev(False, "WARN")] * 4
    assert kinds(state, [*warn, ev(True, "WARN")], warn_after=3) == [None, None, "failing", None, "recovered"]
    assert kinds(AlertState(), [ev(False, "WARN"), ev(True, "WARN"), ev(False, "WARN")], warn_after=2) == [None] * 3


def test_state_survives_a_round_trip_through_the_sensor_cursor() -> None:
    state = AlertState()
    observe(state, ev(False), 3)
    restored = AlertState.from_json(state.to_json())
    assert observe(restored, ev(False), 3) is None
    alert = observe(restored, ev(True), 3)
    assert alert is not None and alert.kind == "recovered"


def test_the_message_names_asset_partition_check_observed_expected_and_links_the_run() -> None:
    alert = observe(AlertState(), ev(False), 3)
    assert alert is not None
    text = render_text(alert, "http://ui:3000/")
    for part in [
        "silver/stg_events",
        "silver_amount_positive",
        "2026-11-02",
        "3 of 10",
        "min=0",
        "http://ui:3000/runs/r1",
    ]:
        assert part in text
    body = payload(alert, "http://ui:3000")
    assert (body["asset"], body["check"], body["severity"]) == ("silver/stg_events", "silver_amount_positive", "ERROR")
