"""A run that needs the quality resource starts importing Great Expectations at once, in the background."""

from __future__ import annotations

import sys
import threading

import pytest

from orchestration.defs.quality import resources


def test_setting_up_the_resource_imports_gx_and_builds_the_context_in_a_daemon_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    imported: list[tuple[str, bool]] = []
    done = threading.Event()

    class Runner:
        @staticmethod
        def warm_up() -> None:
            done.set()

    def fake_import(name: str) -> object:
        imported.append((name, threading.current_thread() is threading.main_thread()))
        return Runner

    monkeypatch.delitem(sys.modules, "great_expectations", raising=False)
    monkeypatch.setattr(resources.importlib, "import_module", fake_import)
    resources.QualityResource().setup_for_execution(None)  # type: ignore[arg-type]
    assert done.wait(5)
    assert imported == [("great_expectations", False), ("quality.runner", False)]


def test_nothing_is_started_once_gx_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "great_expectations", object())
    monkeypatch.setattr(threading, "Thread", None)
    resources.start_gx_import()  # would fail on Thread=None if it tried
