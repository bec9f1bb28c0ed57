"""Kubernetes JSON schemas for kubeconform, offline.

PyPI ``kubernetes-validate`` (installed in checkov's virtualenv by ``make setup``) ships strict schemas for
Kubernetes 1.25-1.37, but each file carries ``$id: https://kubernetes.io/api/...`` and refers to
``/api/_definitions.json``, which resolves to kubernetes.io: kubeconform would try the network and, when that
fails, *skip the object silently*. So they are copied once into kubeconform's own layout under
``.local/k8s-schemas/<version>-standalone-strict/`` with the ``$id`` dropped and made standalone (kubeconform's
own layout): each kind's file carries, under ``$defs``, just the definitions it reaches, so kubeconform neither
fetches anything nor parses the 4 MB ``_definitions.json`` once per kind. A stamp records the source and the
rewrite, so a new ``kubernetes-validate`` or a change here rebuilds the copy.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.deploy.tools import K8S_SCHEMAS, LOCAL, require

REWRITE_VERSION = "2"  # bump when _rewrite changes, so cached copies are rebuilt
REMOTE_DEFINITIONS = "/api/_definitions.json#"
LOCAL_DEFINITIONS = "#"

# kubeconform fills this template per object: version "v1.31.0", "-strict" under -strict, the lower-cased
# kind, and "-<first label of the API group>-<version>" ("-apps-v1", "-networking-v1", "-v1" for core).
SCHEMA_LOCATION = str(K8S_SCHEMAS) + (
    "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
)


def source_dir(kube_version: str) -> Path:
    """The strict schemas kubernetes-validate ships for ``kube_version`` (e.g. ``1.31.0``)."""
    packages = sorted((LOCAL / "checkov" / "lib").glob("python*/site-packages/kubernetes_validate"))
    if not packages:
        require(LOCAL / "checkov" / "lib" / "python3.11" / "site-packages" / "kubernetes_validate")
    return require(packages[-1] / "kubernetes-json-schema" / f"v{kube_version}-local-strict")


def _rewrite(node: Any) -> Any:
    """The same schema with no ``$id`` and every kubernetes.io reference made relative to the file."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$id":
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith(REMOTE_DEFINITIONS):
                value = LOCAL_DEFINITIONS + value[len(REMOTE_DEFINITIONS) :]
            elif key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                raise ValueError(f"unexpected $ref {value!r}: the rewrite only knows {REMOTE_DEFINITIONS}")
            out[key] = _rewrite(value)
        return out
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    return node


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.removeprefix("#/$defs/")
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _standalone(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the definitions it reaches, transitively, under its own ``$defs``."""
    reached: dict[str, Any] = {}
    pending = list(_references(schema))
    while pending:
        name = pending.pop()
        if name not in reached:
            reached[name] = definitions[name]
            pending.extend(_references(reached[name]))
    return {**schema, "$defs": reached} if reached else schema


def _stamp(source: Path) -> str:
    version_file = source.parents[1] / "version.py"
    return f"source={source}\nkubernetes-validate={version_file.read_text().strip()}\nrewrite={REWRITE_VERSION}\n"


def ensure_schemas(kube_version: str) -> Path:
    """The directory of rewritten strict schemas for ``kube_version``, built on first use."""
    source = source_dir(kube_version)
    target = K8S_SCHEMAS / f"v{kube_version}-standalone-strict"
    stamp = _stamp(source)
    stamp_file = target / ".stamp"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return target
    K8S_SCHEMAS.mkdir(parents=True, exist_ok=True)
    # Built aside, then renamed in, so a concurrent test worker never reads a half-written directory.
    staging = Path(tempfile.mkdtemp(prefix=f".v{kube_version}-", dir=K8S_SCHEMAS))
    definitions = _rewrite(json.loads((source / "_definitions.json").read_text()))["$defs"]
    for schema in source.glob("*.json"):
        if schema.name in ("all.json", "_definitions.json"):  # all.json: a oneOf over every kind
            continue
        standalone = _standalone(_rewrite(json.loads(schema.read_text())), definitions)
        (staging / schema.name).write_text(json.dumps(standalone))
    (staging / ".stamp").write_text(stamp)
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    try:
        os.replace(staging, target)
    except OSError:  # another worker won the race; its copy is the same
        shutil.rmtree(staging, ignore_errors=True)
    return target
