"""The one-way layers, checked by import-linter (the same contracts `make lint` runs).

The kept contracts alone would pass even if import-linter were misconfigured to check nothing, so
a copy of the packages with one deliberately reversed import must break the build.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for package in ("orchestration", "streaming", "quality"):
        shutil.copytree(REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "target"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_service_importing_the_lakehouse_breaks_the_build(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "streaming" / "edge" / "reversed.py").write_text("from orchestration.settings import get_settings\n")
    result = _lint(root)
    assert result.returncode != 0
    assert "Nothing in streaming/ or quality/ imports orchestration BROKEN" in result.stdout
    assert "streaming.edge.reversed -> orchestration.settings" in result.stdout


def test_the_bottom_importing_a_service_breaks_the_build(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    contract = root / "streaming" / "events" / "contract.py"
    contract.write_text(contract.read_text() + "\nfrom streaming.realtime import settings as _reversed  # noqa\n")
    result = _lint(root)
    assert result.returncode != 0
    assert "Layers: events and kafka <- realtime, edge, quality <- orchestration BROKEN" in result.stdout


def test_the_lakehouse_loading_the_rust_windows_breaks_the_build(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    metrics = root / "orchestration" / "lib" / "stream_metrics.py"
    metrics.write_text(metrics.read_text() + "\nfrom streaming.realtime.windows import PartitionWindows  # noqa\n")
    assert _lint(root).returncode != 0
