"""Render the Meridian chart the way every deploy test sees it: one region, Kubernetes 1.31, namespace meridian.

helm built by ``go install`` reports Kubernetes v1.20, so the version is always passed explicitly.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.tools import HELM, ROOT, require

CHART = ROOT / "deploy" / "helm" / "meridian"
KUBE_VERSION = "1.31.0"
NAMESPACE = "meridian"
RELEASE = "meridian"


def render_text(region: str, *extra_values: Path | str, set_: Mapping[str, str] | None = None) -> str:
    """``helm template`` for ``region`` (its values file, then ``extra_values`` in order, then ``--set``)."""
    command = [
        str(require(HELM)),
        "template",
        RELEASE,
        str(CHART),
        "-f",
        str(CHART / f"values-{region}.yaml"),
        "--kube-version",
        KUBE_VERSION,
        "--namespace",
        NAMESPACE,
    ]
    for values in extra_values:
        command += ["-f", str(values)]
    for key, value in (set_ or {}).items():
        command += ["--set", f"{key}={value}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)  # noqa: S603
    if result.returncode != 0:
        raise AssertionError(f"helm template failed for region {region!r}:\n{result.stderr}")
    return result.stdout


def render(region: str, *extra_values: Path | str, set_: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The rendered objects for ``region``, parsed (empty documents dropped)."""
    return [doc for doc in yaml.safe_load_all(render_text(region, *extra_values, set_=set_)) if doc is not None]
