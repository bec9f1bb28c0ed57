"""Where the offline deploy-checking tools live, so every deploy test finds them the same way.

They are built or fetched once into ``.local/`` by ``make setup`` (like the Kafka jars). A missing tool is a
broken setup, not an optional feature: ``require`` fails the test with the command that fixes it, never skips.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / ".local"

HELM = LOCAL / "bin" / "helm"
KUBECONFORM = LOCAL / "bin" / "kubeconform"
TFLINT = LOCAL / "bin" / "tflint"
# The machine's terraform (or tofu) linked there, else OpenTofu built there (deploy/tools/terraform.sh).
TERRAFORM_BIN = LOCAL / "bin" / "terraform"
CHECKOV = LOCAL / "checkov" / "bin" / "checkov"
CHECKOV_PYTHON = LOCAL / "checkov" / "bin" / "python"
CRD_VALIDATOR = LOCAL / "crd-validator"
K8S_SCHEMAS = LOCAL / "k8s-schemas"


def _system(name: str) -> Path:
    """Debian's package path, else whatever is on PATH (so a developer's own install also works)."""
    debian = Path("/usr/bin") / name
    if debian.exists():
        return debian
    found = shutil.which(name)
    return Path(found) if found else debian


PROMTOOL = _system("promtool")
PROMETHEUS = _system("prometheus")
BUILDAH = _system("buildah")


def require(path: Path) -> Path:
    """Return ``path`` if the tool is there; otherwise fail the test saying how to get it."""
    if not path.exists():
        pytest.fail(
            f"{path} is missing: run `make setup` (deploy tools are built once into .local/; system tools such as "
            "prometheus, promtool and buildah come from `make system-deps`)",
            pytrace=False,
        )
    return path
